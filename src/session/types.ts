/**
 * What the gateway keeps in a server-side session. The browser only ever holds the signed
 * session id; everything here stays on the server, so keep it small (target ≤ 2 KB per session).
 */

/** The signed-in user, as the gateway remembers them between requests. */
export interface SessionUser {
  /**
   * The small set of OIDC claims the gateway needs later (e.g. `sub`, `name`, `email`,
   * `phone_number`, `picture`), flattened to strings. Not the whole ID token: it is large and
   * the ticket route needs only these.
   */
  claims: Record<string, string>;
  /** The IdP's session id (`sid` claim), kept so back-channel logout can find this session. */
  sid?: string;
}

/**
 * Where a session stands with the IdP (see `src/auth/revalidate.ts`). Absent when the IdP granted
 * no refresh token: re-validation is then off for the session.
 */
export interface SessionRevalidation {
  /** Epoch ms of the last re-validation attempt that finished (the sign-in counts as one). */
  checkedAt: number;
  /**
   * Epoch ms of the first failed attempt (IdP unreachable or refusing the gateway) since the
   * last success. Stored in the record, so every instance counts the same grace period.
   */
  failingSince?: number;
}

/** One session as stored: the user, the two instants its lifetime is measured from, re-validation. */
export interface SessionRecord {
  user: SessionUser;
  /** Epoch ms when the user signed in; the absolute lifetime is measured from here. */
  createdAt: number;
  /**
   * Epoch ms of the last request seen, at a coarse resolution (see `createSessions`). Written on
   * its own, never together with the rest, so an activity stamp can never carry old data back.
   */
  lastSeenAt: number;
  revalidation?: SessionRevalidation;
}

/** A session as read from a store: its record and the generation the record was read at. */
export interface StoredSession {
  readonly record: SessionRecord;
  /**
   * Bumped by every replacement of the record. A replacement names the generation it read and
   * is refused when the stored one moved on: no stale write ever wins.
   */
  readonly gen: number;
}

/**
 * Which sessions an IdP-initiated logout ends: those of one IdP session (`sid`), or every
 * session of one user (`sub`). With both, a session must match both (the token names one IdP
 * session of one user). At least one is always present: the logout token is refused otherwise.
 */
export type LogoutTarget = { readonly sid: string; readonly sub?: string } | { readonly sid?: string; readonly sub: string };
