/**
 * The one error type the OneTalk adapter lets out. Callers branch on `code`, never on message text.
 *
 * Security argument: the API key travels in a request header, and HTTP libraries keep request
 * headers on their errors (axios' `err.config.headers`, say). A OneTalkError therefore never holds a
 * library error, a request, or a response: only the safe scalars below, plus a sanitized `cause`
 * built from an error code alone. Nothing reachable from it can serialize the key.
 */
import type { Endpoint, FieldName } from './types.js';

/** Stable error codes. Their meaning is part of the adapter's contract; see DESIGN.md for the HTTP mapping. */
export const OneTalkErrorCode = {
  /** Our own field check failed before sending; nothing went on the wire. Has `field`. */
  INVALID_INPUT: 'ONETALK_INVALID_INPUT',
  /** 400 with envelope code 40002. Has `field` when OneTalk named one. */
  PARAM_VALIDATION: 'ONETALK_PARAM_VALIDATION',
  /** 400 with envelope code 40001 (a missing or malformed header, e.g. API-Key). */
  HEADER_VALIDATION: 'ONETALK_HEADER_VALIDATION',
  /** HTTP 499 or envelope code 49900: the organization has not selected a tier. */
  TIER_NOT_SELECTED: 'ONETALK_TIER_NOT_SELECTED',
  /** HTTP 401 or 403. The document is silent on a wrong key, so both statuses are read as "key refused". */
  KEY_REFUSED: 'ONETALK_KEY_REFUSED',
  /** Any other 4xx, e.g. sync conflicts (409 / 40901 duplicate keys, 40902 tied to another customer user ID). */
  REJECTED: 'ONETALK_REJECTED',
  /** HTTP 429. Has `retryAfterMs` when a usable Retry-After header came with it. */
  RATE_LIMITED: 'ONETALK_RATE_LIMITED',
  /** 5xx, or the connection failed: refused, reset, hang-up, DNS, EPIPE... */
  UNAVAILABLE: 'ONETALK_UNAVAILABLE',
  /** The whole-call deadline passed (connecting, sending, waiting or reading). */
  TIMEOUT: 'ONETALK_TIMEOUT',
  /** The caller's own AbortSignal fired. */
  ABORTED: 'ONETALK_ABORTED',
  /** An answer we cannot trust: not JSON, wrong envelope shape, success without ticket/userID, 3xx... */
  BAD_RESPONSE: 'ONETALK_BAD_RESPONSE',
  /**
   * The circuit breaker is open after repeated upstream failures: refused at once, nothing sent.
   * Has `retryAfterMs` (until the breaker lets a probe through) when known.
   */
  CIRCUIT_OPEN: 'ONETALK_CIRCUIT_OPEN',
  /** Too many calls in flight and the wait queue full (or no slot freed within the deadline): nothing sent. */
  OVERLOADED: 'ONETALK_OVERLOADED',
} as const;

/** One of the {@link OneTalkErrorCode} values. */
export type OneTalkErrorCode = (typeof OneTalkErrorCode)[keyof typeof OneTalkErrorCode];

/** The safe details a OneTalkError carries. */
export interface OneTalkErrorDetails {
  endpoint: Endpoint;
  upstreamStatus?: number | undefined;
  upstreamCode?: string | undefined;
  field?: FieldName | string | undefined;
  retryAfterMs?: number | undefined;
  /** Only a sanitized error (see {@link sanitizedCause}); never a library error. */
  cause?: Error | undefined;
}

/** What `toJSON()` returns: every field is safe to log. */
export interface OneTalkErrorJSON {
  name: 'OneTalkError';
  code: OneTalkErrorCode;
  message: string;
  endpoint: Endpoint;
  upstreamStatus?: number;
  upstreamCode?: string;
  field?: string;
  retryAfterMs?: number;
}

/** A failure of a OneTalk call, translated at the adapter's boundary. */
export class OneTalkError extends Error {
  readonly code: OneTalkErrorCode;
  readonly endpoint: Endpoint;
  // `declare`: with ES2022 class fields an undeclared optional would still become an own
  // property holding undefined; these exist only when they carry a value.
  declare readonly upstreamStatus?: number;
  declare readonly upstreamCode?: string;
  declare readonly field?: string;
  declare readonly retryAfterMs?: number;

  constructor(code: OneTalkErrorCode, message: string, details: OneTalkErrorDetails) {
    // ES2022 installs `cause` as a non-enumerable own property, so spreading or iterating the
    // error never reaches it.
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.endpoint = details.endpoint;
    const extra: Partial<Record<'upstreamStatus' | 'retryAfterMs', number> & Record<'upstreamCode' | 'field', string>> = {};
    if (details.upstreamStatus !== undefined) extra.upstreamStatus = details.upstreamStatus;
    if (details.upstreamCode !== undefined && details.upstreamCode !== '') extra.upstreamCode = details.upstreamCode;
    if (details.field !== undefined && details.field !== '') extra.field = details.field;
    if (details.retryAfterMs !== undefined) extra.retryAfterMs = details.retryAfterMs;
    Object.assign(this, extra);
  }

  /** The safe fields only; `JSON.stringify(err)` and loggers that honour toJSON use this. */
  toJSON(): OneTalkErrorJSON {
    const out: OneTalkErrorJSON = { name: 'OneTalkError', code: this.code, message: this.message, endpoint: this.endpoint };
    if (this.upstreamStatus !== undefined) out.upstreamStatus = this.upstreamStatus;
    if (this.upstreamCode !== undefined) out.upstreamCode = this.upstreamCode;
    if (this.field !== undefined) out.field = this.field;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    return out;
  }
}

// On the prototype, not an own field: the stack header reads "OneTalkError: ..." and the name
// does not clutter every serialized instance.
OneTalkError.prototype.name = 'OneTalkError';

/** Type guard for {@link OneTalkError}. */
export function isOneTalkError(e: unknown): e is OneTalkError {
  return e instanceof OneTalkError;
}

/**
 * A plain Error that keeps only a low-level error's `code` (e.g. 'ECONNREFUSED'): that is all a
 * log reader needs, and a code cannot contain a header value.
 */
export function sanitizedCause(code: string | undefined): Error {
  const safe = typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : 'UNKNOWN';
  return Object.assign(new Error(safe), { code: safe });
}

/**
 * Upstream text is only ever logged, but it is still foreign input: flatten control characters
 * (no forged log lines) and bound its length.
 */
export function cleanUpstreamText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  const points = [...flat];
  return points.length > max ? `${points.slice(0, max).join('')}…` : flat;
}
