/**
 * The document's field rules, checked before anything is sent: an input OneTalk would refuse
 * never reaches the network, and the caller learns which field is wrong in our own words.
 */
import { getCountries, getCountryCallingCode } from 'libphonenumber-js';
import { OneTalkError, OneTalkErrorCode } from './errors.js';
import { codePointLength, LONE_SURROGATE } from './text.js';
import { FIELD_LIMITS } from './types.js';
import type { Endpoint, FieldName, TicketUser } from './types.js';

/** Body key order: the document's, so bodies are stable for logs, tests and upstream diffs. */
const FIELD_ORDER = ['customerUserID', 'fullName', 'alias', 'email', 'phone', 'photoURL'] as const satisfies readonly FieldName[];
const REQUIRED: ReadonlySet<FieldName> = new Set(['customerUserID', 'fullName']);

/**
 * Every country calling code libphonenumber-js knows (1 to 3 digits). No calling code starts
 * with 0, so a national number with a trunk prefix ("0812...") is refused. Non-geographic codes
 * (+800, +882...) are not in `getCountries()` and are refused too: no signed-in user has one.
 */
export const REGION_CALLING_CODES: ReadonlySet<string> = new Set(getCountries().map((c) => getCountryCallingCode(c)));

/**
 * True when the phone is digits only, begins with a known country calling code and has at least
 * one digit after it (a bare code is no phone number). Calling codes are prefix-free, so at most
 * one prefix length can match.
 */
export function startsWithCallingCode(phone: string): boolean {
  if (!/^[0-9]+$/.test(phone)) return false;
  for (let n = 1; n <= 3; n++) if (REGION_CALLING_CODES.has(phone.slice(0, n))) return phone.length > n;
  return false;
}

/**
 * Checks `input` against `endpoint`'s documented rules and returns a fresh body.
 *
 * - `customerUserID` and `fullName` are required non-empty strings.
 * - Optional fields given as `undefined`, `null` or `''` are absent and left out of the body
 *   (the document's own example sends `alias: ""`, which its own 1..100 range contradicts).
 * - A present field is a string of 1..limit characters; `phone` is digits with a calling code;
 *   `photoURL` is an absolute http(s) URL.
 * - Unknown properties are dropped; keys come out in the document's order.
 *
 * @throws {OneTalkError} `ONETALK_INVALID_INPUT` with `field` naming the first bad field.
 */
export function prepareBody(endpoint: Endpoint, input: unknown): TicketUser {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(endpoint, undefined, 'the user must be an object');
  }
  const source = input as Partial<Record<FieldName, unknown>>;
  const body: Partial<TicketUser> = {};
  for (const field of FIELD_ORDER) {
    const value = source[field];
    if (value === undefined || value === null || value === '') {
      if (REQUIRED.has(field)) throw invalid(endpoint, field, `${field} is required`);
      continue;
    }
    body[field] = checkField(endpoint, field, value);
  }
  return body as TicketUser;
}

function checkField(endpoint: Endpoint, field: FieldName, value: unknown): string {
  if (typeof value !== 'string') throw invalid(endpoint, field, `${field} must be a string`);
  // A lone surrogate cannot be encoded as UTF-8: it would reach OneTalk as U+FFFD or be refused.
  if (LONE_SURROGATE.test(value)) throw invalid(endpoint, field, `${field} must be well-formed Unicode text`);
  const limit = FIELD_LIMITS[endpoint][field];
  if (limit !== undefined && codePointLength(value) > limit) {
    throw invalid(endpoint, field, `${field} must be at most ${limit} characters`);
  }
  if (field === 'phone' && !startsWithCallingCode(value)) {
    throw invalid(endpoint, field, 'phone must be digits only, starting with a country calling code (e.g. 6281234567890)');
  }
  if (field === 'photoURL' && !isHttpUrl(value)) {
    throw invalid(endpoint, field, 'photoURL must be an absolute http(s) URL');
  }
  return value;
}

/**
 * The document gives photoURL no size and no format. We are stricter on purpose: the widget may
 * render this as an image source, so only absolute http(s) URLs pass (no `javascript:`, `data:`).
 */
function isHttpUrl(value: string): boolean {
  // URL parsing forgives surrounding spaces; the string we send would still carry them.
  if (value.trim() !== value || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

function invalid(endpoint: Endpoint, field: FieldName | undefined, message: string): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.INVALID_INPUT, message, { endpoint, field });
}
