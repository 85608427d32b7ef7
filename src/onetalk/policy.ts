/**
 * The upstream policy: which failures may be retried, how long to wait between attempts, and
 * which failures say something about OneTalk's health. Pure functions, so they are tested alone.
 *
 * On retrying `request_auth_ticket`: it is not idempotent in the strict sense (it saves the
 * contact's data and mints a new ticket). We retry only where the first attempt either never
 * reached OneTalk or was refused before being processed:
 * - a connection refused, or reset/broken before any byte of a response: nothing was processed,
 *   or at worst the same contact data was saved twice and a ticket minted that nobody receives
 *   (it expires unused within the hour); the contact upsert itself is idempotent;
 * - 502/503/504 from OneTalk or a proxy in front of it, and 429: the upstream says it did not
 *   handle the request and asks us to come back;
 * and never after a timeout of an attempt that may have been processed, a 500, a validation
 * answer (40001/40002), "no tier" (49900), a refused key, or a response we could not read.
 */
import { backoffMs } from './backoff.js';
import { isOneTalkError, OneTalkErrorCode, type OneTalkError } from './errors.js';

/** Limits of the upstream policy. See {@link DEFAULT_POLICY} for the documented defaults. */
export interface UpstreamPolicy {
  /** Retries after the first attempt (0 disables retrying). */
  readonly maxRetries: number;
  /** First backoff step; doubled per retry, then capped. */
  readonly retryBaseDelayMs: number;
  /** Cap of a backoff wait, and the longest `Retry-After` we honour (longer: give up at once). */
  readonly retryMaxDelayMs: number;
  /** Calls in the rolling window before the breaker may open; it opens when over half of them failed. */
  readonly breakerThreshold: number;
  /** How long an open breaker refuses calls before letting one probe through. */
  readonly breakerCooldownMs: number;
  /** The breaker's rolling statistics window. */
  readonly breakerWindowMs: number;
  /** Upstream calls in flight at once. */
  readonly maxConcurrent: number;
  /** Calls waiting for a free slot; past it a call is refused at once. 0: no queue. */
  readonly maxQueue: number;
}

/** The defaults, stated here only: the config's ONETALK_* variables fall back to them. */
export const DEFAULT_POLICY: UpstreamPolicy = Object.freeze({
  maxRetries: 2,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 1_000,
  breakerThreshold: 5,
  breakerCooldownMs: 10_000,
  breakerWindowMs: 10_000,
  maxConcurrent: 100,
  maxQueue: 500,
});

/** Upper bound of retries: more would only pile load onto an upstream that is struggling. */
export const MAX_RETRIES_LIMIT = 5;

/** Validates a policy; throws a TypeError naming the first bad field. */
export function checkPolicy(policy: UpstreamPolicy): UpstreamPolicy {
  const rules: Array<[keyof UpstreamPolicy, number, number]> = [
    ['maxRetries', 0, MAX_RETRIES_LIMIT],
    ['retryBaseDelayMs', 1, 60_000],
    ['retryMaxDelayMs', 1, 60_000],
    ['breakerThreshold', 1, 1_000_000],
    ['breakerCooldownMs', 1, 3_600_000],
    ['breakerWindowMs', 100, 3_600_000],
    ['maxConcurrent', 1, 1_000_000],
    ['maxQueue', 0, 10_000_000],
  ];
  for (const [name, min, max] of rules) {
    const value = policy[name];
    if (!Number.isInteger(value) || value < min || value > max) throw new TypeError(`OneTalk policy ${name} must be an integer from ${min} to ${max}`);
  }
  return policy;
}

/** Network failures that happen before OneTalk could have answered anything. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Statuses by which OneTalk (or its proxy) says "not handled, try again". */
const RETRYABLE_STATUS = new Set([502, 503, 504]);

/**
 * How long to wait before retrying after `err`, or undefined when it must not be retried.
 * Does not look at the retry count or the deadline: the caller checks both.
 */
export function retryDelayMs(err: unknown, retry: number, policy: UpstreamPolicy, random: () => number = Math.random): number | undefined {
  if (!isRetryable(err)) return undefined;
  const asked = err.retryAfterMs;
  // OneTalk asked for a longer pause than we are willing to hold a browser for: give up now
  // and pass its Retry-After on, rather than wait and fail anyway.
  if (asked !== undefined && asked > policy.retryMaxDelayMs) return undefined;
  return Math.max(asked ?? 0, backoffMs(retry, { baseMs: policy.retryBaseDelayMs, maxMs: policy.retryMaxDelayMs }, random));
}

/**
 * The shortest attempt worth starting: a tenth of the deadline, at least 50 ms. A retry or a
 * late queue slot that would leave less is not used, so the browser gets the real failure (or
 * "overloaded") rather than a timeout, and OneTalk is not sent a request we cannot wait for.
 */
export function minAttemptMs(timeoutMs: number): number {
  return Math.max(50, Math.round(timeoutMs / 10));
}

/** True for the failures the module comment lists as safe to retry. */
export function isRetryable(err: unknown): err is OneTalkError {
  if (!isOneTalkError(err)) return false;
  if (err.code === OneTalkErrorCode.RATE_LIMITED) return true;
  if (err.code !== OneTalkErrorCode.UNAVAILABLE) return false;
  if (err.upstreamStatus !== undefined) return RETRYABLE_STATUS.has(err.upstreamStatus);
  const low = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof low === 'string' && CONNECT_FAILURES.has(low);
}

/**
 * True when a failed call says OneTalk is unhealthy: unreachable, erroring (5xx) or too slow.
 * Only these count towards opening the breaker; a validation answer, a refused key or a rate
 * limit come from a working upstream, and our own refusals (invalid input, overload, aborts)
 * say nothing about it.
 */
export function isHealthFailure(err: unknown): boolean {
  return isOneTalkError(err) && (err.code === OneTalkErrorCode.UNAVAILABLE || err.code === OneTalkErrorCode.TIMEOUT);
}

/** The outcome label of a call for logs and metrics: `ok`, or the error code without its prefix. */
export function outcomeKind(err: unknown): string {
  if (err === undefined) return 'ok';
  return isOneTalkError(err) ? err.code.replace(/^ONETALK_/, '').toLowerCase() : 'unavailable';
}
