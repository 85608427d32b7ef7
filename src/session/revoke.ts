import type { LogoutTarget, SessionUser } from './types.js';

/**
 * True when the signed-in `user` is one the target names. A session without an IdP `sid`
 * never matches a `sid` target: there is no way to tell which IdP session it belongs to.
 */
export function sessionMatches(user: SessionUser | undefined, target: LogoutTarget): boolean {
  if (!user) return false;
  if (target.sid !== undefined && user.sid !== target.sid) return false;
  if (target.sub !== undefined && user.claims.sub !== target.sub) return false;
  return target.sid !== undefined || target.sub !== undefined;
}

/**
 * Remembers the `jti` of every logout token accepted, until the token could no longer be
 * accepted anyway, so the same token is processed once (OIDC Back-Channel Logout 1.0 §2.6).
 */
export interface ReplayGuard {
  /** Records `jti` for `ttlMs`; false when it was already recorded (a replay). */
  firstUse(jti: string, ttlMs: number): Promise<boolean>;
  /** Forgets `jti`, so the IdP's retry of a token whose logout failed is not taken for a replay. */
  release(jti: string): Promise<void>;
}
