/** The limits of a {@link backoffMs} schedule, in ms. */
export interface BackoffLimits {
  /** The first step; it doubles with every attempt. */
  readonly baseMs: number;
  /** No step is longer. */
  readonly maxMs: number;
}

/**
 * Capped exponential backoff with "equal jitter": half of each step is fixed, half random. The
 * fixed half keeps a retry from coming straight back; the random half spreads callers that failed
 * together (every request after a OneTalk blip, every instance after an IdP or Redis restart), so
 * they do not return in step. The one schedule for OneTalk retries, OIDC discovery and Redis
 * reconnects.
 * @param attempt 0 for the first wait
 * @param random a source in [0, 1); tests pass a fixed one
 */
export function backoffMs(attempt: number, limits: BackoffLimits, random: () => number = Math.random): number {
  // The exponent stops growing long before the cap matters: a client that reconnects forever
  // never computes 2 ** 1000 (Infinity).
  const step = Math.min(limits.maxMs, limits.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
