/**
 * A cap on concurrent upstream calls with a bounded FIFO queue that admits only calls that can
 * start in time.
 *
 * Why: without a cap, a slow OneTalk turns every waiting browser into an open upstream socket
 * and a pending promise, and memory grows with the backlog. A plain bounded queue is not enough:
 * against a 1.5 s upstream and a 2 s deadline, a call queued behind a full set of slots would
 * wait 1.5 s, be sent with 0.5 s left, and time out, having cost OneTalk a call and the browser
 * its whole deadline. So a call joins the queue only when its estimated start, from how long
 * slots are held and how many calls wait ahead of it, leaves it time to finish; otherwise it is
 * refused at once, with the time until a slot would have come to it.
 *
 * How long a slot is held is learnt from released slots (a moving average). Until the first
 * one is learnt the limiter assumes the worst, a slot held for the whole deadline, so nothing
 * waits behind a full set of slots on a guess.
 *
 * Not cockatiel's bulkhead: it keeps a waiter whose caller gave up in the queue until its turn
 * (a browser that went away would still hold a queue place), and shows no slot start times to
 * estimate a wait from.
 */

/** Why {@link ConcurrencyLimiter.acquire} refused a call. */
export type ShedReason = 'queue_full' | 'too_late';

/** Thrown by {@link ConcurrencyLimiter.acquire} when a call is refused without waiting (or its slot came too late). */
export class ShedError extends Error {
  override readonly name = 'ShedError';
  constructor(
    readonly reason: ShedReason,
    /** When a slot is expected to come free for a call arriving now. */
    readonly retryAfterMs: number,
  ) {
    super(reason === 'queue_full' ? 'the call queue is full' : 'no slot can come in time');
  }
}

/**
 * Gives a slot back; calling it more than once is harmless. `learn`: the slot was held by a
 * call that went upstream and ended by itself, so its hold time says how long slots are held.
 */
export type Release = (learn?: boolean) => void;

/** How to build a {@link ConcurrencyLimiter}. */
export interface LimiterOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** Assumed hold time until one is learnt: the whole-call deadline. */
  priorHoldMs: number;
  /** Weight of the newest hold time in the moving average (0..1]. Default 0.2. */
  weight?: number;
}

/** Per call: its deadline for starting, and its caller's signal. */
export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /**
   * The `performance.now()` time by which the call must start to finish before its deadline.
   * A call estimated to start later is refused at once; a waiter whose slot comes later still is
   * refused then (the slot passes on). Absent: no such limit.
   */
  startBy?: number | undefined;
}

interface Slot {
  readonly startedAt: number;
}

interface Waiter {
  readonly startBy: number;
  grant(release: Release): void;
  refuse(error: ShedError): void;
}

export class ConcurrencyLimiter {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  // Both Sets keep insertion order: slots by start time (oldest first), waiters FIFO; each
  // drops a member in O(1).
  readonly #slots = new Set<Slot>();
  readonly #waiting = new Set<Waiter>();
  readonly #priorHoldMs: number;
  readonly #weight: number;
  #holdMs: number | undefined;

  constructor(options: LimiterOptions) {
    this.maxConcurrent = options.maxConcurrent;
    this.maxQueue = options.maxQueue;
    this.#priorHoldMs = options.priorHoldMs;
    this.#weight = options.weight ?? 0.2;
  }

  /** Calls holding a slot. */
  get active(): number {
    return this.#slots.size;
  }

  /** Calls waiting for one. */
  get queued(): number {
    return this.#waiting.size;
  }

  /** How long a slot is expected to be held: the learnt average, else the prior. */
  holdMs(): number {
    return this.#holdMs ?? this.#priorHoldMs;
  }

  /**
   * Resolves with a release function once a slot is free. Rejects at once with
   * {@link ShedError} when the queue is full or the call could not start by `startBy`, later
   * with a ShedError if its slot comes after `startBy`, or with `signal.reason` if the signal
   * fires while waiting (the waiter then leaves the queue).
   */
  acquire(options: AcquireOptions = {}): Promise<Release> {
    const { signal, startBy = Number.POSITIVE_INFINITY } = options;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#slots.size < this.maxConcurrent) return Promise.resolve(this.#take());
    const now = performance.now();
    const start = this.#estimatedStart(now);
    if (this.#waiting.size >= this.maxQueue) return Promise.reject(new ShedError('queue_full', start - now));
    if (start > startBy) return Promise.reject(new ShedError('too_late', start - now));
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(waiter);
        reject(signal?.reason as Error);
      };
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        startBy,
        grant: (release) => (settle(), resolve(release)),
        refuse: (error) => (settle(), reject(error)),
      };
      this.#waiting.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * When a call queued now would get its slot. Slots are handed over FIFO and each is held for
   * about {@link holdMs}, so the k-th waiter (0-based) gets the slot of the (k mod cap)-th oldest
   * call, after (k div cap) more holds. A call already past its expected end is taken to end now.
   */
  #estimatedStart(now: number): number {
    const hold = this.holdMs();
    const ahead = this.#waiting.size;
    const index = ahead % this.maxConcurrent;
    let i = 0;
    let startedAt = now;
    for (const slot of this.#slots) {
      if (i++ === index) {
        startedAt = slot.startedAt;
        break;
      }
    }
    return Math.max(now, startedAt + hold) + Math.floor(ahead / this.maxConcurrent) * hold;
  }

  #take(): Release {
    const slot: Slot = { startedAt: performance.now() };
    this.#slots.add(slot);
    let released = false;
    return (learn = false) => {
      if (released) return;
      released = true;
      this.#slots.delete(slot);
      const now = performance.now();
      if (learn) this.#learn(now - slot.startedAt);
      this.#handOver(now);
    };
  }

  #learn(heldMs: number): void {
    this.#holdMs = this.#holdMs === undefined ? heldMs : this.#holdMs + this.#weight * (heldMs - this.#holdMs);
  }

  /** Gives the free slot to the oldest waiter that can still start in time; refuses the late ones. */
  #handOver(now: number): void {
    for (const waiter of this.#waiting) {
      this.#waiting.delete(waiter);
      if (now <= waiter.startBy) {
        waiter.grant(this.#take());
        return;
      }
      waiter.refuse(new ShedError('too_late', 0));
    }
  }
}
