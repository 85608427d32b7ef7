/**
 * A cap on concurrent upstream calls with a bounded FIFO queue.
 *
 * Why: without it, a slow OneTalk turns every waiting browser into an open upstream socket and
 * a pending promise, and memory grows with the backlog. With it, the backlog is bounded and
 * whoever does not fit is told so at once (503) instead of waiting for a deadline.
 */

/** Thrown by {@link ConcurrencyLimiter.acquire} when every slot is busy and the queue is full. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** Gives a slot back; calling it more than once is harmless. */
export type Release = () => void;

interface Waiter {
  grant(release: Release): void;
}

export class ConcurrencyLimiter {
  #active = 0;
  // A Set keeps insertion order (FIFO) and drops an aborted waiter in O(1).
  readonly #waiting = new Set<Waiter>();

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {}

  /** Calls holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting for one. */
  get queued(): number {
    return this.#waiting.size;
  }

  /**
   * Resolves with a release function once a slot is free. Rejects at once with
   * {@link QueueFullError} when the queue is full, or with `signal.reason` if the signal fires
   * while waiting (the waiter then leaves the queue).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#active < this.maxConcurrent) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.size >= this.maxQueue) return Promise.reject(new QueueFullError('upstream call queue is full'));
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(waiter);
        reject(signal?.reason as Error);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.#waiting.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A one-shot release: hands the slot straight to the oldest waiter, or frees it. */
  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.values().next();
      if (next.done) {
        this.#active -= 1;
        return;
      }
      this.#waiting.delete(next.value);
      next.value.grant(this.#releaser());
    };
  }
}
