/**
 * The opaque per-user id `GET /auth/session` gives the browser, so `/livechat.js` can tell whose
 * chat the OneTalk widget holds without keeping anything personal in localStorage.
 *
 * A keyed HMAC, not a plain hash: `customerUserID` is prefix + OIDC `sub`, often an e-mail address
 * or a small number, and a plain hash of it is reversed with a dictionary. The key must outlive
 * `SESSION_SECRET` rotations: a new id for every user would log every widget out.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { asClaims } from './claims.js';
import { customerUserIdOf, mapClaims, type MapOptions } from './onetalk-user.js';

/** HKDF `info` for the key derived from the API key: names this one use, so no other use collides. */
export const OWNER_ID_KEY_LABEL = 'onetalk-gateway/auth-session-user-id/v1';

/**
 * The browser-facing id of the user whose OneTalk identity is `customerUserID`: base64url of
 * HMAC-SHA256 under `key`. Same user and key, same id; without the key it says nothing.
 */
export function ownerId(customerUserID: string, key: string): string {
  if (key.length === 0) throw new TypeError('ownerId: the key must not be empty');
  return createHmac('sha256', key).update(customerUserID, 'utf8').digest('base64url');
}

/**
 * The HMAC key when no `USER_ID_SECRET` is set: HKDF-SHA256 of the organization's API key under a
 * fixed label, as base64url text. One-way, so the id never leaks the API key; but rotating the API
 * key changes every id (and logs every widget out once), which `USER_ID_SECRET` avoids.
 */
export function ownerIdKeyFromApiKey(apiKey: string): string {
  if (apiKey.length === 0) throw new TypeError('ownerIdKeyFromApiKey: the API key must not be empty');
  return Buffer.from(hkdfSync('sha256', apiKey, '', OWNER_ID_KEY_LABEL, 32)).toString('base64url');
}

/**
 * {@link ownerId} of the user these session claims make at OneTalk, or `undefined` when they make
 * none (then no ticket can be minted either). The `customerUserID` comes from {@link mapClaims},
 * the very function the ticket route uses, so the id always names the identity a ticket carries.
 */
export function ownerIdOfClaims(claims: unknown, profile: Omit<MapOptions, 'endpoint'>, key: string): string | undefined {
  const mapped = mapClaims(claims, profile);
  return mapped.ok ? ownerId(mapped.user.customerUserID, key) : undefined;
}

/**
 * {@link ownerIdOfClaims} for a signed-in session, without mapping the whole profile: the id
 * depends on `customerUserID` alone (prefix + `sub`, checked as the ticket route checks it),
 * so the session read on every page load skips the phone, e-mail and name rules.
 */
export function ownerIdOfSession(claims: unknown, customerUserIdPrefix: string, key: string): string | undefined {
  const id = customerUserIdOf(asClaims(claims), customerUserIdPrefix);
  return id.ok ? ownerId(id.customerUserID, key) : undefined;
}
