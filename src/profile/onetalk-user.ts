/**
 * OIDC claims → the body of OneTalk's `request_auth_ticket` (or `sync_contact`).
 */
import { FIELD_LIMITS } from '../onetalk/types.js';
import type { Endpoint, TicketUser } from '../onetalk/types.js';
import { asClaims, firstAccepted, firstText, stringClaim } from './claims.js';
import { emailField, httpUrlField } from './identifiers.js';
import type { ClaimMapping } from './claim-mapping.js';
import { phoneField } from './phone.js';
import type { CountryCode } from './phone.js';
import { codePointLength, LONE_SURROGATE } from '../onetalk/text.js';
import { cutToCodePoints, normaliseText } from './text.js';

/** Options of {@link mapClaims}. */
export interface MapOptions {
  /** Prepended to `sub` to make `customerUserID` (may be empty; config must keep it well-formed). */
  customerUserIdPrefix: string;
  mapping: ClaimMapping;
  /** Region for phone numbers written without a country code; without it they are left out. */
  defaultRegion?: CountryCode;
  /** Whose field limits apply. Default `'requestAuthTicket'`. */
  endpoint?: Endpoint;
  /**
   * Send `phone` only when the IdP vouches for it (`phone_number_verified: true`). OneTalk matches
   * contacts on phone and adopts an untied contact, so an unverified number could hand one user
   * another person's contact and chats. The gateway's config turns this on by default.
   */
  requireVerifiedPhone?: boolean;
}

/** Why claims could not become a OneTalk user: only `sub` problems are fatal. */
export type MapErrorCode = 'missing_sub' | 'customer_user_id_too_long';

/** The outcome of {@link mapClaims}. Messages name lengths, never claim values. */
export type MapResult =
  | { ok: true; user: TicketUser }
  | { ok: false; code: MapErrorCode; message: string };

/** Last resort for `fullName` when even `sub` has nothing visible in it (OneTalk requires one). */
export const FALLBACK_FULL_NAME = 'User';

/**
 * `customerUserID` = prefix + `sub`, exactly, checked as {@link mapClaims} checks it: the one
 * thing about a user that can make them unusable at OneTalk. Cheap (no other claim is read).
 */
export function customerUserIdOf(
  input: Record<string, unknown> | undefined,
  prefix: string,
  limit: number = FIELD_LIMITS.requestAuthTicket.customerUserID,
): { ok: true; customerUserID: string; sub: string } | { ok: false; code: MapErrorCode; message: string } {
  const sub = input === undefined ? undefined : stringClaim(input, 'sub');
  if (sub === undefined || sub === '') {
    return { ok: false, code: 'missing_sub', message: 'the ID token/userinfo has no non-empty string "sub" claim' };
  }
  // A lone surrogate cannot be sent as UTF-8; OneTalk would see U+FFFD instead, and two
  // different subs could then collapse into one customerUserID: one user's chats in another's.
  if (LONE_SURROGATE.test(sub)) {
    return { ok: false, code: 'missing_sub', message: 'the "sub" claim is not well-formed Unicode' };
  }
  const customerUserID = `${prefix}${sub}`;
  const idLength = codePointLength(customerUserID);
  if (idLength > limit) {
    return {
      ok: false,
      code: 'customer_user_id_too_long',
      message:
        `customerUserID (prefix of ${codePointLength(prefix)} + sub of ${codePointLength(sub)} ` +
        `characters) is ${idLength} characters; OneTalk accepts at most ${limit}`,
    };
  }
  return { ok: true, customerUserID, sub };
}

/**
 * Maps untrusted OIDC claims to a OneTalk user body that satisfies the endpoint's documented
 * field rules. Never throws.
 *
 * - `customerUserID` = prefix + `sub`, exactly: it is the user's identity at OneTalk, so it is
 *   never normalised or cut. A missing, empty or ill-formed `sub` is `missing_sub`; a result over
 *   the limit is `customer_user_id_too_long`.
 * - `fullName`: the mapping's first candidate with visible text (normalised, cut by code points),
 *   then `sub`, then `customerUserID`, then {@link FALLBACK_FULL_NAME}: it always has a value.
 * - `alias`, `email`, `phone`, `photoURL`: the first candidate that passes its field's check;
 *   absent (no key at all) when none does.
 */
export function mapClaims(claims: unknown, options: MapOptions): MapResult {
  const limits = FIELD_LIMITS[options.endpoint ?? 'requestAuthTicket'];
  const input = asClaims(claims);
  const id = customerUserIdOf(input, options.customerUserIdPrefix, limits.customerUserID);
  if (!id.ok || input === undefined) return id.ok ? { ok: false, code: 'missing_sub', message: 'no claims' } : id;
  const { customerUserID, sub } = id;

  const { mapping } = options;
  const fullName =
    firstText(input, mapping.fullName, limits.fullName) ??
    nonEmpty(cutToCodePoints(normaliseText(sub), limits.fullName)) ??
    nonEmpty(cutToCodePoints(normaliseText(customerUserID), limits.fullName)) ??
    FALLBACK_FULL_NAME;

  const user: TicketUser = { customerUserID, fullName };
  const alias = firstText(input, mapping.alias, limits.alias);
  if (alias !== undefined) user.alias = alias;
  const email = firstAccepted(input, mapping.email, (value) => emailField(value, limits.email));
  if (email !== undefined) user.email = email;
  const phone = firstAccepted(input, mapping.phone, (value) => phoneField(value, limits.phone, options.defaultRegion));
  if (phone !== undefined && (!options.requireVerifiedPhone || isPhoneVerified(input))) user.phone = phone;
  const photoURL = firstAccepted(input, mapping.photoURL, httpUrlField);
  if (photoURL !== undefined) user.photoURL = photoURL;
  return { ok: true, user };
}

/** `phone_number_verified` as the IdP sends it (boolean) or as a session keeps it (string). */
function isPhoneVerified(claims: Readonly<Record<string, unknown>>): boolean {
  const verified = claims.phone_number_verified;
  return verified === true || verified === 'true';
}

function nonEmpty(text: string): string | undefined {
  return text === '' ? undefined : text;
}
