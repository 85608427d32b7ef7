import { parseCookie, stringifySetCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { Request, Response } from 'express';
import { SESSION_ID } from './ids.js';

const DEFAULT_NAME = 'onetalk.sid';

/**
 * The session cookie's name. `__Host-` (https only) makes the browser insist on `Secure`,
 * `Path=/` and no `Domain`, so a sibling subdomain cannot plant or shadow the cookie.
 */
export function sessionCookieName(secureCookies: boolean, base: string = DEFAULT_NAME): string {
  return secureCookies ? `__Host-${base}` : base;
}

/** Reads, signs and clears the session cookie. The cookie carries only the signed session id. */
export class SessionCookie {
  readonly name: string;
  readonly #secrets: readonly string[];
  readonly #secure: boolean;

  /**
   * @param secrets the first signs, every one verifies (rotation without sign-outs)
   */
  constructor(options: { secrets: readonly string[]; secure: boolean; name?: string }) {
    if (options.secrets.length === 0 || options.secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new TypeError('SessionCookie: secrets must be a non-empty list of non-empty strings');
    }
    this.name = sessionCookieName(options.secure, options.name);
    this.#secrets = options.secrets;
    this.#secure = options.secure;
  }

  /**
   * The verified session id the request carries, or undefined (absent, forged, malformed).
   * `current` is false when an older secret of the list verified it: the cookie should be
   * re-signed with the first one, so active users move to the new secret by themselves.
   */
  read(req: Request): { id: string; current: boolean } | undefined {
    const header = req.headers.cookie;
    if (!header || !header.includes(this.name)) return undefined;
    const value = parseCookie(header)[this.name];
    if (!value) return undefined;
    for (let i = 0; i < this.#secrets.length; i += 1) {
      const id = unsign(value, this.#secrets[i] as string);
      if (id !== false) return SESSION_ID.test(id) ? { id, current: i === 0 } : undefined;
    }
    return undefined;
  }

  /**
   * Sends the cookie for a session. `maxAgeMs` is what is left of the absolute lifetime: the
   * idle timeout is enforced on the server, so the cookie is sent at sign-in and never on reads.
   */
  set(res: Response, id: string, maxAgeMs: number): void {
    res.append('Set-Cookie', this.#serialize(sign(id, this.#secrets[0] as string), Math.max(0, Math.floor(maxAgeMs / 1000))));
  }

  /** Tells the browser to drop the cookie (same attributes, or it would not match). */
  clear(res: Response): void {
    res.append('Set-Cookie', this.#serialize('', 0, new Date(0)));
  }

  #serialize(value: string, maxAge: number, expires?: Date): string {
    return stringifySetCookie({
      name: this.name,
      value,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#secure,
      ...(expires ? { expires } : { maxAge }),
    });
  }
}
