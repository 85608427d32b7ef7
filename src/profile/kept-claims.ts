/**
 * What the gateway keeps of a user in its session, and what it shows the browser.
 */
import { FIELD_LIMITS } from '../onetalk/types.js';
import { asClaims, firstText, stringClaim } from './claims.js';
import { emailField, httpUrlField } from './identifiers.js';
import { defaultClaimMapping, referencedClaims } from './claim-mapping.js';
import type { ClaimMapping } from './claim-mapping.js';
import { cutToCodePoints, normaliseText } from './text.js';
import { FALLBACK_FULL_NAME } from './onetalk-user.js';

/**
 * Longest claim value (UTF-16 code units) kept in a session. Generous enough for long signed
 * picture URLs, small enough that a hostile IdP cannot bloat the session store.
 */
export const MAX_SESSION_CLAIM_LENGTH = 2048;

/** Claims kept for `GET /auth/session` whatever the mapping says. */
const DISPLAY_CLAIMS = ['sub', 'name', 'email', 'picture'] as const;

/**
 * The subset of claims a session stores: the string claims `mapping` reads, plus `sub`, `name`,
 * `email` and `picture` for display. Tokens and every other claim are left behind.
 *
 * A value longer than {@link MAX_SESSION_CLAIM_LENGTH} is dropped, not cut: a cut `sub` would be
 * someone else's identity, and a cut URL or address points somewhere else.
 */
export function pickSessionClaims(claims: unknown, mapping: ClaimMapping): Record<string, string> {
  const input = asClaims(claims);
  if (input === undefined) return {};
  const names = new Set<string>([...DISPLAY_CLAIMS, ...referencedClaims(mapping)]);
  const kept: [string, string][] = [];
  for (const name of names) {
    const value = stringClaim(input, name);
    if (value !== undefined && value.length <= MAX_SESSION_CLAIM_LENGTH) kept.push([name, value]);
  }
  // The one boolean the mapping needs, kept as text (sessions hold strings only).
  if (input.phone_number_verified === true || input.phone_number_verified === 'true') kept.push(['phone_number_verified', 'true']);
  // fromEntries defines own properties, so even a claim named "__proto__" stays plain data.
  return Object.fromEntries(kept);
}

/** The user as `GET /auth/session` shows it. */
export interface DisplayUser {
  name: string;
  email?: string;
  picture?: string;
}

/**
 * The signed-in user for display, from session claims: `name` by the same rule as OneTalk's
 * `fullName` (mapping candidates, then `sub`), `email` only when plausible, `picture` only when
 * an http(s) URL. Pass the gateway's mapping so the page shows the name the agent will see.
 */
export function displayUser(
  claims: Readonly<Record<string, string>>,
  mapping: ClaimMapping = defaultClaimMapping,
): DisplayUser {
  const limits = FIELD_LIMITS.requestAuthTicket;
  const input = asClaims(claims) ?? {};
  const sub = stringClaim(input, 'sub') ?? '';
  const name =
    firstText(input, mapping.fullName, limits.fullName) ||
    cutToCodePoints(normaliseText(sub), limits.fullName) ||
    FALLBACK_FULL_NAME;
  const user: DisplayUser = { name };
  const rawEmail = stringClaim(input, 'email');
  const email = rawEmail === undefined ? undefined : emailField(rawEmail, limits.email);
  if (email !== undefined) user.email = email;
  const rawPicture = stringClaim(input, 'picture');
  const picture = rawPicture === undefined ? undefined : httpUrlField(rawPicture);
  if (picture !== undefined) user.picture = picture;
  return user;
}
