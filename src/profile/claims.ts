/**
 * Reading untrusted claim objects. An IdP (or a forged session) may send any JSON: only own,
 * string-valued properties are ever read, so numbers, objects, arrays, null and booleans are
 * ignored and inherited names such as `constructor` never resolve.
 */
import { emailLocalPart } from './identifiers.js';
import { isDerived } from './claim-mapping.js';
import type { TextCandidate } from './claim-mapping.js';
import { cutToCodePoints, normaliseText } from './text.js';

/** A claims object whose values are not yet trusted. */
export type Claims = Readonly<Record<string, unknown>>;

/** `value` as a claims object, or `undefined` for anything that is not a plain object. */
export function asClaims(value: unknown): Claims | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Claims;
}

/** The claim `name` when it is an own string property, else `undefined`. */
export function stringClaim(claims: Claims, name: string): string | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value = claims[name];
  return typeof value === 'string' ? value : undefined;
}

/** A text source's raw value: a claim, or a derived source such as `@email_local_part`. */
function sourceText(claims: Claims, source: string): string | undefined {
  if (!isDerived(source)) return stringClaim(claims, source);
  const email = stringClaim(claims, 'email');
  return email === undefined ? undefined : emailLocalPart(email);
}

/**
 * The first candidate that yields visible text, normalised and cut to `limit` code points.
 * A join list normalises each part first, so a part that is only spaces or controls does not
 * leave a stray separator behind.
 */
export function firstText(claims: Claims, candidates: readonly TextCandidate[], limit: number): string | undefined {
  for (const candidate of candidates) {
    const sources = typeof candidate === 'string' ? [candidate] : candidate;
    const parts = sources
      .map((source) => normaliseText(sourceText(claims, source) ?? ''))
      .filter((part) => part !== '');
    const text = cutToCodePoints(parts.join(' '), limit);
    if (text !== '') return text;
  }
  return undefined;
}

/** The first candidate claim that `accept` turns into a value. */
export function firstAccepted(
  claims: Claims,
  names: readonly string[],
  accept: (value: string) => string | undefined,
): string | undefined {
  for (const name of names) {
    const raw = stringClaim(claims, name);
    const value = raw === undefined ? undefined : accept(raw);
    if (value !== undefined) return value;
  }
  return undefined;
}
