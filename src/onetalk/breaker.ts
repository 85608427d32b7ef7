/**
 * The circuit breaker in front of OneTalk, built on opossum.
 *
 * Why: when OneTalk is down, every ticket request would otherwise hold a browser, a socket and
 * a queue slot for the whole deadline and retry into an upstream that cannot answer. Once most
 * recent calls have failed for health reasons (see `isHealthFailure`), the breaker opens and
 * calls are refused at once for a cool-down; then one probe goes through, and its outcome
 * closes or re-opens the breaker.
 *
 * Cancellation: opossum's own `timeout` aborts its single shared AbortController, which would
 * cancel every other user's in-flight call when one call runs late. So opossum's timeout is
 * off; each call carries its own deadline controller (see deadline.ts), linked to the
 * controller handed to opossum here, which is aborted on shutdown so that no abandoned call
 * keeps a socket open after the client is closed.
 */
import CircuitBreaker from 'opossum';

/** The breaker's state, as exported in metrics. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** How to build an {@link UpstreamBreaker}. */
export interface BreakerOptions {
  /** Calls in the window before the breaker may open (it opens when over half failed). */
  threshold: number;
  cooldownMs: number;
  windowMs: number;
  /** True for errors that say the upstream is unhealthy; the rest never trip the breaker. */
  isFailure: (err: unknown) => boolean;
  onStateChange?: (state: BreakerState) => void;
}

/** Thrown by {@link UpstreamBreaker.run} when the breaker refuses the call. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(readonly retryAfterMs: number | undefined) {
    super('circuit breaker is open');
  }
}

/** A breaker around arbitrary async work. */
export interface UpstreamBreaker {
  readonly state: BreakerState;
  /** Aborted when the breaker shuts down: link every call's controller to it. */
  readonly signal: AbortSignal;
  /** True while a call would be refused at once (open, or half-open with its probe in flight). */
  refusing(): boolean;
  /** Milliseconds until a probe may go through, while open. */
  retryAfterMs(): number | undefined;
  /** Runs `work` under the breaker; rejects with {@link BreakerOpenError} when refused. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Stops opossum's timers and aborts calls still linked to {@link signal}. */
  shutdown(): void;
}

export function createBreaker(options: BreakerOptions): UpstreamBreaker {
  const controller = new AbortController();
  let openedAt: number | undefined;
  const breaker = new CircuitBreaker<[() => Promise<unknown>], unknown>((work) => work(), {
    timeout: false,
    resetTimeout: options.cooldownMs,
    volumeThreshold: options.threshold,
    errorThresholdPercentage: 50,
    rollingCountTimeout: options.windowMs,
    rollingCountBuckets: 10,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    // opossum reads a truthy filter result as "not a failure".
    errorFilter: (err: unknown) => !options.isFailure(err),
    abortController: controller,
  });
  const stateOf = (): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed');
  const report = () => options.onStateChange?.(stateOf());
  breaker.on('open', () => {
    openedAt = performance.now();
    report();
  });
  breaker.on('halfOpen', report);
  breaker.on('close', () => {
    openedAt = undefined;
    report();
  });

  const retryAfterMs = () => (openedAt === undefined ? undefined : Math.max(0, Math.ceil(openedAt + options.cooldownMs - performance.now())));

  return {
    get state() {
      return stateOf();
    },
    signal: controller.signal,
    // The same test opossum makes before refusing: not closed, and no probe slot pending.
    refusing: () => !breaker.closed && !breaker.pendingClose,
    retryAfterMs,
    async run<T>(work: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(work)) as T;
      } catch (err) {
        if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER') throw new BreakerOpenError(retryAfterMs());
        throw err;
      }
    },
    shutdown() {
      breaker.shutdown();
      controller.abort();
    },
  };
}
