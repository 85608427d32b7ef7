import type { LogoutTarget, SessionRecord, StoredSession } from './types.js';

/** What a sign-in hands the store besides the record. */
export interface CreateOptions {
  /** The session's lifetime in the store from now, in ms (the idle timeout, capped by the absolute one). */
  readonly ttlMs: number;
  /**
   * When the IdP issued the sign-in's ID token (`iat`, epoch seconds, the IdP's clock). A
   * back-channel logout by `sub` ends every sign-in issued before its own `iat`, including one
   * still in flight: its session is refused here, where the check and the write are one step.
   */
  readonly issuedAt: number;
  /** Sealed tokens kept under their own key (read only to refresh or to sign out). */
  readonly tokens?: string;
}

/**
 * Whom a new session is filed under: the user's `sub`, which every store indexes (a sign-out by
 * user must find it), and the IdP's session id when there is one.
 * @throws TypeError naming `store` when the record has no `sub`.
 */
export function sessionOwner(record: SessionRecord, store: string): { sub: string; sid: string | undefined } {
  const { sub } = record.user.claims;
  if (sub === undefined) throw new TypeError(`${store}: a session needs the user's sub`);
  return { sub, sid: record.user.sid };
}

/** Why a create was refused. */
export type CreateRefusal = 'revoked';

/** A revocation as the store records it. */
export interface Revocation {
  readonly target: LogoutTarget;
  /** The logout token's `iat` (epoch seconds, the IdP's clock): sign-ins issued before it are over. */
  readonly issuedAt: number;
  /** How long the record of the revocation must outlive it, in ms (longer than any sign-in in flight). */
  readonly rememberMs: number;
}

/**
 * The session store's write model, shared by the memory and Redis stores. Nothing ever writes a
 * whole session back: a session is created once, under a fresh id, at sign-in; afterwards only
 * these narrow writes exist, each conditional on the session still being there.
 *
 * - {@link SessionStore.touch} renews the activity stamp and the expiry only if the session
 *   still exists, so a request that loaded a session before a sign-out cannot recreate it.
 * - {@link SessionStore.replace} swaps the record only at the generation it was read at.
 * - {@link SessionStore.destroy} and {@link SessionStore.revoke} are final: no later write can
 *   bring the session back, and `revoke` also refuses sign-ins still in flight for its target.
 */
export interface SessionStore {
  /** The live session under `id`, or undefined. */
  get(id: string): Promise<StoredSession | undefined>;
  /** Stores a new session. Refused when a revocation already ended its IdP session or user. */
  create(id: string, record: SessionRecord, options: CreateOptions): Promise<CreateRefusal | undefined>;
  /** Sets `lastSeenAt` and the expiry, only if the session still exists. @returns whether it did. */
  touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean>;
  /**
   * Replaces the record (and the sealed tokens when given) only if the stored generation is
   * `gen`. @returns the new generation, or undefined when the session is gone or moved on.
   */
  replace(id: string, gen: number, record: SessionRecord, tokens?: string): Promise<number | undefined>;
  /** The sealed tokens of a live session, or undefined. */
  tokens(id: string): Promise<string | undefined>;
  /** Ends one session, for good. */
  destroy(id: string): Promise<void>;
  /** Ends every session the revocation names, for good. @returns how many were live. */
  revoke(revocation: Revocation): Promise<number>;
  /**
   * Claims the right to refresh this session at the IdP for `ttlMs`, so one session is never
   * refreshed twice at once, across instances too. @returns a claim to release, or undefined
   * while someone else holds it.
   */
  claimRefresh(id: string, ttlMs: number): Promise<string | undefined>;
  /** Releases a claim (only the holder's own; an expired claim is gone already). */
  releaseRefresh(id: string, claim: string): Promise<void>;
  /** Resolves when the store answers (readiness). */
  ping(): Promise<void>;
  /** Stops timers and background work; the store's client, if shared, is closed by its owner. */
  close(): Promise<void>;
}
