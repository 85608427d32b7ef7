/**
 * Login cookies as the gateway issues them, for tests that need one without walking through
 * /auth/login (e.g. while the store behind it is down), and forgeries of them.
 */
import type { Request, Response } from 'express';
import { bindingCookieName, loginBindingFor } from '../../src/auth/binding.js';
import type { Config } from '../../src/config/index.js';

/** A response stand-in that keeps what `res.cookie` was given. */
function capture(): { res: Response; value(): string } {
  let value = '';
  const res = { cookie: (_name: string, v: string) => (value = v) } as unknown as Response;
  return { res, value: () => value };
}

const requestWith = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as unknown as Request;

/**
 * `name=value` of a login cookie the gateway with `config` accepts: a fresh one, or, with `user`,
 * one of a browser where that user's sign-in finished.
 */
export function issueLoginCookie(config: Config, options: { user?: string; now?: () => number } = {}): string {
  const binding = loginBindingFor(config, options.now ?? Date.now);
  const name = bindingCookieName(config.secureCookies);
  const first = capture();
  binding.ensure(requestWith(), first.res);
  if (!options.user) return `${name}=${first.value()}`;
  const signedIn = capture();
  binding.markSignedIn(requestWith(`${name}=${first.value()}`), signedIn.res, { issuer: config.oidc.issuerUrl, subject: options.user });
  return `${name}=${signedIn.value()}`;
}
