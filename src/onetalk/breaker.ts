/**
 * The circuit breaker in front of OneTalk, built on opossum.
 *
 * Why: when OneTalk is down, every ticket request would otherwise hold a browser, a socket and
 * a queue slot for the whole deadline and retry into an upstream that cannot answer. Once most
 * recent calls have failed for health reasons (see `isHealthFailure`), the breaker opens and
 * calls are refused at once for a cool-down; then one probe goes through, and its outcome
 * closes or re-opens the breaker.
 *
 * Recovery: opossum refuses every call that arrives while its probe is in flight, so a burst
 * right after the cool-down would meet a wall of 503s although OneTalk is back. Here such calls
 * wait for the probe's verdict instead (never past their own deadline): they go through if it
 * closed the breaker and are refused if it re-opened it. They cost OneTalk nothing unless it
 * has just proven healthy. (cockatiel's breaker waits too, but not within the caller's own
 * signal, and its current major needs Node 22.)
 *
 * Cancellation: opossum's own `timeout` aborts its single shared AbortController, which would
 * cancel every other user's in-flight call when one call runs late. So opossum's timeout is
 * off; each call carries its own deadline controller (see deadline.ts), linked to the
 * controller handed to opossum here, which is aborted on shutdown so that no abandoned call
 * keeps a socket open after the client is closed.
 */
import { EventEmitter, once } from 'node:events';
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

/**
 * Thrown by {@link UpstreamBreaker.run} when the breaker refuses the call, or when the call's
 * signal fired while it waited for the probe's verdict.
 */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(readonly retryAfterMs: number | undefined) {
    super('circuit breaker is open');
  }
}

/** Per call. */
export interface RunOptions {
  /** Ends a wait for the probe's verdict. */
  signal: AbortSignal;
  /** Called right before `work` would run, after any wait; may throw to give up instead. */
  ready?: () => void;
  /**
   * Called after a wait for the probe's verdict, before the call goes on; may reject to give up.
   * The wait can outlast the caller's reason for the call (a session that ended meanwhile).
   */
  afterWait?: () => Promise<void>;
}

/** A breaker around arbitrary async work. */
export interface UpstreamBreaker {
  readonly state: BreakerState;
  /** Aborted when the breaker shuts down: link every call's controller to it. */
  readonly signal: AbortSignal;
  /** True during the cool-down, when a call would be refused at once. */
  refusing(): boolean;
  /** Milliseconds until a probe may go through, while open. */
  retryAfterMs(): number | undefined;
  /**
   * Runs `work` under the breaker; rejects with {@link BreakerOpenError} when refused. While a
   * probe is in flight it first waits for the probe's verdict, until `signal` fires.
   */
  run<T>(work: () => Promise<T>, options: RunOptions): Promise<T>;
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
  // Emits 'verdict' when a probe closes or re-opens the breaker, and on shutdown. Every call
  // waiting for the probe listens, so there is no fixed listener limit.
  const verdicts = new EventEmitter().setMaxListeners(0);
  const stateOf = (): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed');
  const report = () => options.onStateChange?.(stateOf());
  breaker.on('open', () => {
    openedAt = performance.now();
    report();
    verdicts.emit('verdict');
  });
  breaker.on('halfOpen', report);
  breaker.on('close', () => {
    openedAt = undefined;
    report();
    verdicts.emit('verdict');
  });

  const retryAfterMs = () => (openedAt === undefined ? undefined : Math.max(0, Math.ceil(openedAt + options.cooldownMs - performance.now())));
  // Half-open with the probe's place taken: opossum would refuse the call.
  const probeInFlight = () => breaker.halfOpen && !breaker.pendingClose;

  return {
    get state() {
      return stateOf();
    },
    signal: controller.signal,
    refusing: () => breaker.opened,
    retryAfterMs,
    async run<T>(work: () => Promise<T>, { signal, ready, afterWait }: RunOptions): Promise<T> {
      for (;;) {
        let waited = false;
        while (probeInFlight()) {
          waited = true;
          try {
            await once(verdicts, 'verdict', { signal });
          } catch {
            throw new BreakerOpenError(undefined);
          }
        }
        // Re-opened by the probe: say so, whatever else `ready` would have said.
        if (breaker.opened) throw new BreakerOpenError(retryAfterMs());
        if (!waited || !afterWait) break;
        // Then look again: another probe may have started while the caller was asked.
        await afterWait();
      }
      ready?.();
      try {
        // No await since the check above: no other call can have taken the probe's place.
        return (await breaker.fire(work)) as T;
      } catch (err) {
        if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER') throw new BreakerOpenError(retryAfterMs());
        throw err;
      }
    },
    shutdown() {
      breaker.shutdown();
      controller.abort();
      verdicts.emit('verdict');
    },
  };
}
