import { createHash, randomBytes } from 'node:crypto';

/**
 * Session ids are `<user tag>.<256 random bits>`, both base64url. The tag is a short hash of the
 * user's `sub`, so every key of one user (sessions, indexes, revocations) can share one Redis
 * Cluster hash slot, and a sign-in, a revocation and their checks each stay one atomic step.
 * It is not a secret: whoever holds the cookie holds the session, and learns nothing more from
 * the tag than the session itself tells them.
 */
export const SESSION_ID = /^[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{43}$/;

/** The hash-slot tag of a user. */
export function userTag(sub: string): string {
  return createHash('sha256').update(`onetalk-gateway/user\0${sub}`).digest('base64url').slice(0, 11);
}

/** A fresh session id for this user. */
export function newSessionId(sub: string): string {
  return `${userTag(sub)}.${randomBytes(32).toString('base64url')}`;
}

/** Splits a well-formed id into its tag and random part. */
export function splitSessionId(id: string): { tag: string; key: string } {
  const dot = id.indexOf('.');
  return { tag: id.slice(0, dot), key: id.slice(dot + 1) };
}

/**
 * The id with its user tag as a Redis hash tag, `{<tag>}.<random>`: a key built on it (a
 * rate-limit counter, say) lives in the same Cluster slot as the user's sessions.
 */
export function slotTaggedId(id: string): string {
  const { tag, key } = splitSessionId(id);
  return `{${tag}}.${key}`;
}
