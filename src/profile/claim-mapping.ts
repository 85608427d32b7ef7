/**
 * Which OIDC claims feed which OneTalk field: the schema of `config/claim-mapping.json`.
 */
import { z } from 'zod';
import defaultMappingJson from '../../config/claim-mapping.json' with { type: 'json' };
import { deepFreeze } from './deep-freeze.js';

/**
 * Sources computed from other claims rather than read as-is. They start with `@`, which no
 * registered OIDC claim name does, so they can never be mistaken for a claim.
 */
export const DERIVED_SOURCES = {
  /** The part before the `@` of the `email` claim (only when that claim looks like an address). */
  '@email_local_part': 'email',
} as const;

export type DerivedSource = keyof typeof DERIVED_SOURCES;

/** Whether `name` is a derived source such as `"@email_local_part"`. */
export function isDerived(name: string): name is DerivedSource {
  return Object.hasOwn(DERIVED_SOURCES, name);
}

/** A claim read as it is, e.g. `"name"`. */
const claimName = z
  .string()
  .trim()
  .min(1, 'a claim name must not be empty')
  .refine((name) => !name.startsWith('@'), 'a claim name must not start with "@" (derived sources are text-only)');

/** A claim name or a derived source such as `"@email_local_part"`. */
const textSource = z
  .string()
  .trim()
  .min(1, 'a claim name must not be empty')
  .refine((name) => !name.startsWith('@') || isDerived(name), {
    message: `unknown derived source; known: ${Object.keys(DERIVED_SOURCES).join(', ')}`,
  });

/** One text candidate: a single source, or several joined with one space. */
const textCandidate = z.union([textSource, z.array(textSource).min(1, 'a join list must name at least one claim')]);

/**
 * The claim mapping. Each OneTalk field lists candidates in order of preference; the first
 * candidate that yields a usable value wins.
 *
 * - `"claim"`: the string claim of that name (non-string claims are ignored).
 * - `["a", "b"]` (`fullName` and `alias` only): the non-empty ones among those claims, joined
 *   with one space, e.g. `["given_name", "family_name"]` → `"Ada Lovelace"`.
 * - `"@email_local_part"` (`fullName` and `alias` only): the local part of the `email` claim,
 *   e.g. `"ada.l"` from `"ada.l@example.com"`.
 *
 * `customerUserID` is not mappable: it is always the configured prefix + `sub`, because it is the
 * user's identity at OneTalk. `fullName` always ends with a value (see `mapClaims`), so its list
 * must not be empty; an empty list for any other field means "never send it". Unknown keys are
 * refused so that a typo (`"fullname"`) fails at start-up instead of silently doing nothing.
 */
export const claimMappingSchema = z.strictObject({
  fullName: z.array(textCandidate).min(1, 'fullName needs at least one candidate'),
  alias: z.array(textCandidate),
  email: z.array(claimName),
  phone: z.array(claimName),
  photoURL: z.array(claimName),
});

/** A parsed claim mapping (see {@link claimMappingSchema}). */
export type ClaimMapping = z.output<typeof claimMappingSchema>;

/** A text candidate of `fullName` or `alias`. */
export type TextCandidate = ClaimMapping['fullName'][number];

/** Every claim name a mapping reads, derived sources resolved to the claims they read. */
export function referencedClaims(mapping: ClaimMapping): Set<string> {
  const names = new Set<string>();
  const add = (source: string): void => {
    names.add(isDerived(source) ? DERIVED_SOURCES[source] : source);
  };
  for (const candidate of [...mapping.fullName, ...mapping.alias]) {
    for (const source of typeof candidate === 'string' ? [candidate] : candidate) add(source);
  }
  for (const source of [...mapping.email, ...mapping.phone, ...mapping.photoURL]) add(source);
  return names;
}

/** `config/claim-mapping.json`, parsed and frozen (shared by every caller, so nobody may mutate it). */
export const defaultClaimMapping: ClaimMapping = deepFreeze(claimMappingSchema.parse(defaultMappingJson));
