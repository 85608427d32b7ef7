/**
 * The document's phone rule: "must start with country code". The document's example
 * (`6281234567890`) is bare digits, country code first, no `+`, so that is what is accepted.
 */
import metadata from 'libphonenumber-js/min/metadata';

/**
 * Every ITU country calling code libphonenumber-js knows, geographic (62, 1, 44…) and
 * non-geographic (800, 870, 882…). Calling codes are prefix-free by design (E.164), so at most
 * one of a number's first 1..3 digits can be a code.
 */
const CALLING_CODES: ReadonlySet<string> = new Set([
  ...Object.keys(metadata.country_calling_codes),
  ...Object.keys(metadata.nonGeographic ?? {}),
]);

const DIGITS = /^[0-9]+$/;

/** The calling code a digit string starts with, or `undefined` when it starts with none. */
export function callingCodeOf(digits: string): string | undefined {
  for (let length = 1; length <= 3 && length <= digits.length; length += 1) {
    const prefix = digits.slice(0, length);
    if (CALLING_CODES.has(prefix)) return prefix;
  }
  return undefined;
}

/**
 * Why `phone` breaks the rule, as the message the API answers with; `undefined` when it is fine.
 * Only ASCII digits count: a `+`, spaces or dashes mean the caller did not normalize.
 */
export function phoneProblem(phone: string): string | undefined {
  if (!DIGITS.test(phone)) return 'Phone must contain digits only';
  const code = callingCodeOf(phone);
  if (code === undefined) return 'Phone must start with a country code';
  if (code.length === phone.length) return 'Phone must have a number after the country code';
  return undefined;
}
