import { withTimeout } from '../onetalk/index.js';

/**
 * Redis (sessions, login transactions, logout replay records, rate-limit counters) could not be
 * used in time. A typed error of this adapter, not an HTTP answer: the one error middleware maps
 * it to 503 (`src/http/error-handler.ts`). The Redis error stays in `cause`, which the request's
 * log line records; the client only learns that the store is unavailable.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** Which store failed, for the problem's `code`: `session_store_unavailable` or `rate_limit_unavailable`. */
  readonly code: 'session_store_unavailable' | 'rate_limit_unavailable';

  constructor(options?: { cause?: unknown; code?: StoreUnavailableError['code'] }) {
    super('Redis is unavailable', options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'session_store_unavailable';
  }
}

/**
 * Runs a Redis operation with a hard deadline, turning any failure into
 * {@link StoreUnavailableError}.
 *
 * Why a deadline of our own on top of `disableOfflineQueue`: that option only fails commands
 * while the client knows it is disconnected. On a half-open connection (a cut cable, a frozen
 * server) the client still believes it is connected, a written command waits for its reply
 * indefinitely, and node-redis' per-command `timeout` stops applying once the command is written.
 * The deadline keeps every request that needs Redis to about a second, whatever the socket does.
 */
export function guarded<T>(operation: Promise<T>, deadlineMs: number, code?: StoreUnavailableError['code']): Promise<T> {
  const unavailable = (cause: unknown) => new StoreUnavailableError({ cause, ...(code ? { code } : {}) });
  return withTimeout(operation, deadlineMs, () => {
    throw unavailable(new Error(`Redis did not answer within ${deadlineMs} ms`));
  }).catch((err: unknown) => {
    throw err instanceof StoreUnavailableError ? err : unavailable(err);
  });
}
