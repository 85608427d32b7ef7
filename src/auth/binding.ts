import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../config/index.js';

/**
 * The login cookie ties a login transaction to the browser that started it, so a callback URL
 * replayed from another browser (login CSRF, a leaked `state`) is refused. One id per browser
 * serves every tab: each transaction stores a hash of it.
 *
 * It also decides whose sign-in budget a start is charged to (src/http/rate-limit.ts). Only the
 * gateway can issue one: the value is MACed under the session secrets, so a flood of invented
 * cookies is just a flood of cookieless requests. A cookie earns a budget of its own only once a
 * sign-in finished in that browser, and that budget is the user's, not the cookie's: harvesting
 * cookies takes a real sign-in at the IdP per cookie, and every cookie one account harvests
 * shares that account's budget.
 *
 * Value: `<id>.<issuedAt>.<user>.<mac>`: 16 random bytes; seconds since the epoch (base 36);
 * empty, or a keyed hash of the user once a sign-in finished here; HMAC-SHA256 of the rest.
 */
export interface LoginCookie {
  readonly id: string;
  /** Milliseconds since the epoch, to the second. */
  readonly issuedAt: number;
  /** Keyed hash of issuer and subject; set once a sign-in finished in this browser. */
  readonly user: string | undefined;
}

export interface LoginBindingOptions {
  /** SESSION_SECRET's list: the first signs, all verify. */
  secrets: readonly string[];
  secureCookies: boolean;
  /** Lifetime of a cookie no sign-in finished with yet: the login transaction's. */
  pendingTtlMs: number;
  /** Lifetime of a cookie a sign-in finished with; each sign-in start renews it. */
  signedInTtlMs: number;
  now: () => number;
}

/** Allowance for clocks of several instances and for `issuedAt` kept to the second. */
const SKEW_MS = 60_000;

const FORMAT = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})?\.([A-Za-z0-9_-]{43})$/;

export function bindingCookieName(secureCookies: boolean): string {
  return secureCookies ? '__Host-onetalk.login' : 'onetalk.login';
}

export function hashBinding(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

const equal = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Issues and verifies the login cookie. Stateless: any instance with the same secrets agrees. */
export class LoginBinding {
  /** One key per secret, derived so this MAC never equals a session-cookie signature. */
  readonly #keys: readonly Buffer[];
  readonly #options: LoginBindingOptions;

  constructor(options: LoginBindingOptions) {
    this.#options = options;
    this.#keys = options.secrets.map((secret) => createHmac('sha256', secret).update('onetalk-gateway login cookie v1').digest());
  }

  /** The request's cookie when the gateway issued it and it has not expired; else undefined. */
  read(req: Request): LoginCookie | undefined {
    const header = req.headers.cookie;
    if (!header) return undefined;
    const match = FORMAT.exec(parseCookie(header)[bindingCookieName(this.#options.secureCookies)] ?? '');
    if (!match) return undefined;
    const [, id = '', issued = '', user, mac = ''] = match;
    const payload = `${id}.${issued}.${user ?? ''}`;
    if (!this.#keys.some((key) => equal(mac, this.#mac(key, payload)))) return undefined;
    const issuedAt = parseInt(issued, 36) * 1000;
    const ttl = user ? this.#options.signedInTtlMs : this.#options.pendingTtlMs;
    if (this.#options.now() >= issuedAt + ttl + SKEW_MS) return undefined;
    return { id, issuedAt, user };
  }

  /**
   * At a sign-in start: keeps the browser's id (every tab's pending sign-in still matches) and
   * its user, renews the cookie so it outlives the new transaction, and returns the binding hash
   * the transaction stores.
   */
  ensure(req: Request, res: Response): string {
    const current = this.read(req);
    const id = current?.id ?? randomBytes(16).toString('base64url');
    this.#write(res, id, current?.user);
    return hashBinding(id);
  }

  /** The binding hash of the request's cookie (for the callback), or undefined without a valid one. */
  bindingOf(req: Request): string | undefined {
    const cookie = this.read(req);
    return cookie ? hashBinding(cookie.id) : undefined;
  }

  /** After a finished sign-in: the same id, now carrying the user, for the signed-in lifetime. */
  markSignedIn(req: Request, res: Response, user: { issuer: string; subject: string }): void {
    const cookie = this.read(req);
    if (!cookie) return;
    const key = this.#keys[0] as Buffer;
    const userKey = createHmac('sha256', key).update(`user\n${user.issuer}\n${user.subject}`).digest().subarray(0, 16).toString('base64url');
    this.#write(res, cookie.id, userKey);
  }

  /** The sign-in budget key of a browser that signed in before (the user's), else undefined. */
  userBudgetKey(req: Request): string | undefined {
    return this.read(req)?.user;
  }

  #mac(key: Buffer, payload: string): string {
    return createHmac('sha256', key).update(payload).digest('base64url');
  }

  #write(res: Response, id: string, user: string | undefined): void {
    const issued = Math.floor(this.#options.now() / 1000);
    const payload = `${id}.${issued.toString(36)}.${user ?? ''}`;
    const value = `${payload}.${this.#mac(this.#keys[0] as Buffer, payload)}`;
    const maxAge = user ? this.#options.signedInTtlMs : this.#options.pendingTtlMs;
    const options: CookieOptions = { httpOnly: true, sameSite: 'lax', secure: this.#options.secureCookies, path: '/', maxAge };
    res.cookie(bindingCookieName(this.#options.secureCookies), value, options);
  }
}

/** The gateway's login cookie, from its config. */
export function loginBindingFor(config: Config, now: () => number): LoginBinding {
  return new LoginBinding({
    secrets: config.session.secrets,
    secureCookies: config.secureCookies,
    pendingTtlMs: config.session.loginTransactionTtlMs,
    signedInTtlMs: config.session.loginCookieSignedInTtlMs,
    now,
  });
}
