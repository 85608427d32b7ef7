import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';

/**
 * The login-binding cookie ties a login transaction to the browser that started it, so a callback
 * URL replayed from another browser (login CSRF, a leaked `state`) is refused. One value per
 * browser serves every tab: each transaction stores a hash of it.
 */
export function bindingCookieName(secureCookies: boolean): string {
  return secureCookies ? '__Host-onetalk.login' : 'onetalk.login';
}

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const value = parseCookie(header)[name];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** Reuses the browser's binding value or sets a new one; returns its hash for the transaction. */
export function ensureBinding(req: Request, res: Response, secureCookies: boolean, ttlMs: number): string {
  const name = bindingCookieName(secureCookies);
  let value = readCookie(req, name);
  if (!value) value = randomBytes(32).toString('base64url');
  const options: CookieOptions = { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', maxAge: ttlMs };
  // Refresh the expiry on each login so a tab opened later still matches.
  res.cookie(name, value, options);
  return hashBinding(value);
}

/** True when the request carries the binding cookie whose hash the transaction holds. */
export function bindingMatches(req: Request, secureCookies: boolean, expectedHash: string): boolean {
  const value = readCookie(req, bindingCookieName(secureCookies));
  if (!value) return false;
  const actual = Buffer.from(hashBinding(value));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
