import type { SessionData, Store } from 'express-session';
import type { SessionUser } from './types.js';

/**
 * Which sessions an IdP-initiated logout ends: those of one IdP session (`sid`), or every
 * session of one user (`sub`). With both, a session must match both (the token names one IdP
 * session of one user). At least one is always present: the logout token is refused otherwise.
 */
export type LogoutTarget = { readonly sid: string; readonly sub?: string } | { readonly sid?: string; readonly sub: string };

/** Ends sessions by IdP session or by user, whichever store holds them. */
export interface SessionRevoker {
  /** @returns how many live sessions were ended. */
  revoke(target: LogoutTarget): Promise<number>;
}

/** A store that can end sessions by target itself, e.g. through an index (Redis). */
export interface RevocableStore {
  revokeSessions(target: LogoutTarget): Promise<number>;
}

/** A store that can scan and destroy its own sessions (the bounded memory store). */
interface ScanningStore {
  destroyWhere(predicate: (sess: SessionData) => boolean): Promise<number>;
}

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

function isRevocable(store: Store): store is Store & RevocableStore {
  return typeof (store as Partial<RevocableStore>).revokeSessions === 'function';
}

function isScanning(store: Store): store is Store & ScanningStore {
  return typeof (store as Partial<ScanningStore>).destroyWhere === 'function';
}

/**
 * The revoker for a session store: the store's own index when it has one (Redis), a scan when
 * it can (memory), or undefined for a store that can do neither (then back-channel logout
 * answers that it is not supported rather than pretending sessions ended).
 */
export function revokerFor(store: Store): SessionRevoker | undefined {
  if (isRevocable(store)) return { revoke: (target) => store.revokeSessions(target) };
  if (isScanning(store)) return { revoke: (target) => store.destroyWhere((sess) => sessionMatches(sess.user, target)) };
  return undefined;
}
