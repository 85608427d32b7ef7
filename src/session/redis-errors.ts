import { HttpProblem } from '../http/problem.js';

/**
 * Redis (sessions, login transactions, logout replay records) could not be used. It is an
 * {@link HttpProblem} so that the one error middleware answers 503 problem+json without knowing
 * about Redis: express-session hands store errors to `next(err)`, and routes rethrow them.
 * The Redis error stays in `cause`, which the request's log line records; the client only learns
 * that the store is unavailable.
 */
export class StoreUnavailableError extends HttpProblem {
  constructor(options?: { cause?: unknown }) {
    super(
      503,
      'session_store_unavailable',
      'Sessions are temporarily unavailable',
      'The gateway cannot reach its session store; try again shortly.',
      {},
      { 'Retry-After': '2' },
      options,
    );
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
export function guarded<T>(operation: Promise<T>, deadlineMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreUnavailableError({ cause: new Error(`Redis did not answer within ${deadlineMs} ms`) })),
      deadlineMs,
    );
    timer.unref();
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof StoreUnavailableError ? err : new StoreUnavailableError({ cause: err }));
      },
    );
  });
}
