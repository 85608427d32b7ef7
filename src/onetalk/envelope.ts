/**
 * Reading OneTalk's answers: check the status, then parse, then check the shape (as oauth4webapi
 * does). No body is trusted before it has been validated; every way an answer can be wrong ends
 * in a typed {@link OneTalkError}.
 *
 * The document's envelope: `{ status, error: { code, message, field }, data }`.
 */
import { OneTalkError, OneTalkErrorCode, cleanUpstreamText } from './errors.js';
import type { Endpoint } from './types.js';

/** The `data` of a successful ticket answer, once validated. */
export interface TicketData {
  userID: string;
  ticket: string;
  message: string;
}

/** The `data` of a successful sync answer, once validated. */
export interface SyncData {
  userID: string;
  message: string;
}

/** Response headers as an HTTP library hands them over (names in any case). */
export type ResponseHeaders = Readonly<Record<string, unknown>>;

/** Optional knobs for {@link parseEnvelope}. */
export interface ParseOptions {
  /** Clock for Retry-After HTTP-dates; defaults to `Date.now`. */
  now?: () => number;
  /**
   * Applied to every upstream string before it enters an error. The client passes one that
   * blanks the API key, in case OneTalk ever echoes the header back in a message.
   */
  redact?: (text: string) => string;
}

/** The error part of an envelope, when it has a usable one. */
interface ErrorPart {
  code: string;
  message: string;
  field: string;
}

type Fail = (code: OneTalkErrorCode, message: string, extra?: { upstreamCode?: string; field?: string; retryAfterMs?: number }) => OneTalkError;

/**
 * Turns one HTTP answer into validated data, or throws the matching {@link OneTalkError}.
 *
 * Order matters: 5xx → UNAVAILABLE whatever the body (proxies answer HTML); then 499/49900 →
 * TIER_NOT_SELECTED; 401/403 → KEY_REFUSED; 429 → RATE_LIMITED; 400+40001 → HEADER_VALIDATION;
 * 400+40002 → PARAM_VALIDATION; other 4xx → REJECTED; anything but 200 → BAD_RESPONSE; a 200
 * must then carry a well-formed success envelope.
 */
export function parseEnvelope(endpoint: 'requestAuthTicket', status: number, headers: ResponseHeaders, bodyText: string, options?: ParseOptions): TicketData;
export function parseEnvelope(endpoint: 'syncContact', status: number, headers: ResponseHeaders, bodyText: string, options?: ParseOptions): SyncData;
export function parseEnvelope(endpoint: Endpoint, status: number, headers: ResponseHeaders, bodyText: string, options?: ParseOptions): TicketData | SyncData;
export function parseEnvelope(
  endpoint: Endpoint,
  status: number,
  headers: ResponseHeaders,
  bodyText: string,
  options: ParseOptions = {},
): TicketData | SyncData {
  const redact = options.redact ?? ((text: string) => text);
  const fail: Fail = (code, message, extra = {}) =>
    new OneTalkError(code, message, { endpoint, upstreamStatus: status, ...extra });
  const retryAfterMs = () => parseRetryAfter(headerValue(headers, 'retry-after'), (options.now ?? Date.now)());

  const json = parseJson(bodyText);
  const error = errorPart(json, redact);
  const said = error?.message ? `: ${error.message}` : '';
  const upstreamCode = error?.code;

  if (status >= 500) {
    throw fail(OneTalkErrorCode.UNAVAILABLE, `OneTalk answered HTTP ${status}${said}`, withRetry({ upstreamCode }, retryAfterMs()));
  }
  if (status === 499 || upstreamCode === '49900') {
    throw fail(OneTalkErrorCode.TIER_NOT_SELECTED, `OneTalk: the organization has not selected a tier${said}`, { upstreamCode });
  }
  if (status === 401 || status === 403) {
    throw fail(OneTalkErrorCode.KEY_REFUSED, `OneTalk refused the API key (HTTP ${status})${said}`, { upstreamCode });
  }
  if (status === 429) {
    throw fail(OneTalkErrorCode.RATE_LIMITED, `OneTalk is rate limiting (HTTP 429)${said}`, withRetry({ upstreamCode }, retryAfterMs()));
  }
  if (status === 400 && upstreamCode === '40001') {
    throw fail(OneTalkErrorCode.HEADER_VALIDATION, `OneTalk refused the request headers${said}`, { upstreamCode });
  }
  if (status === 400 && upstreamCode === '40002') {
    const field = error?.field;
    const on = field ? ` on ${field}` : '';
    throw fail(OneTalkErrorCode.PARAM_VALIDATION, `OneTalk parameter validation failed${on}${said}`, { upstreamCode, field });
  }
  if (status >= 400) {
    const message = error ? `OneTalk rejected the call (HTTP ${status}, code ${error.code || 'none'})${said}` : `OneTalk answered HTTP ${status}`;
    throw fail(OneTalkErrorCode.REJECTED, message, { upstreamCode, field: error?.field });
  }
  if (status !== 200) {
    throw fail(OneTalkErrorCode.BAD_RESPONSE, `OneTalk answered unexpected HTTP ${status}`);
  }
  return readSuccess(endpoint, json, redact, fail);
}

/** A 200 must be a JSON object envelope that agrees with itself and carries the data we need. */
function readSuccess(endpoint: Endpoint, json: unknown, redact: (t: string) => string, fail: Fail): TicketData | SyncData {
  const bad = (why: string) => fail(OneTalkErrorCode.BAD_RESPONSE, `OneTalk answered HTTP 200 ${why}`);
  if (json === NOT_JSON) throw bad('with a body that is not JSON');
  if (!isObject(json)) throw bad('with JSON that is not an envelope object');
  if (json['status'] !== 200) throw bad('but the envelope status disagrees');
  const error = json['error'];
  if (error !== undefined && !isObject(error)) throw bad('with a malformed error member');
  if (isObject(error) && typeof error['code'] === 'string' && error['code'] !== '') throw bad('with an error code in the envelope');
  const data = json['data'];
  if (!isObject(data)) throw bad('without a data object');

  const message = typeof data['message'] === 'string' ? cleanUpstreamText(redact(data['message'])) : '';
  if (data['success'] === false) {
    throw fail(OneTalkErrorCode.REJECTED, `OneTalk reported no success${message ? `: ${message}` : ''}`);
  }
  if (data['success'] !== undefined && data['success'] !== true) throw bad('with a non-boolean success');
  const userID = data['userID'];
  if (typeof userID !== 'string' || userID === '') throw bad('without a userID');
  if (endpoint === 'syncContact') return { userID, message };
  const ticket = data['ticket'];
  if (typeof ticket !== 'string' || ticket === '') throw bad('without a ticket');
  return { userID, ticket, message };
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unusable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // Date.parse also takes non-HTTP formats; insisting on a GMT suffix keeps it to IMF-fixdate
  // and the obsolete forms, which all end in GMT.
  if (!/GMT$/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Marks a body that did not parse, distinct from a body that parsed to `null`. */
const NOT_JSON: unique symbol = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** The envelope's error member, if it has one we can read. Codes may arrive as numbers in copies of the API. */
function errorPart(json: unknown, redact: (t: string) => string): ErrorPart | undefined {
  if (!isObject(json) || !isObject(json['error'])) return undefined;
  const { code, message, field } = json['error'];
  const codeText = typeof code === 'number' && Number.isInteger(code) ? String(code) : code;
  if (typeof codeText !== 'string') return undefined;
  const safeCode = redact(codeText);
  return {
    // A code is a short token; anything else is not something to branch or log on.
    code: /^[A-Za-z0-9_-]{0,32}$/.test(safeCode) ? safeCode : '',
    message: typeof message === 'string' ? cleanUpstreamText(redact(message)) : '',
    field: typeof field === 'string' ? cleanUpstreamText(redact(field), 64) : '',
  };
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}

function withRetry<T extends object>(extra: T, retryAfterMs: number | undefined): T & { retryAfterMs?: number } {
  return retryAfterMs === undefined ? extra : { ...extra, retryAfterMs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
