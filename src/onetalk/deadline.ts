/**
 * One whole-call deadline, shared by every attempt, backoff wait and queue wait of a call.
 *
 * Our own controller rather than AbortSignal.any([AbortSignal.timeout(), caller]): it records
 * which side fired (deadline, caller, shutdown), and its timer and listeners are released as soon
 * as the call settles, so a thousand finished calls leave nothing behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Why a call's signal fired. */
export type AbortCause = 'deadline' | 'caller' | 'shutdown';

export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #endsAt: number;
  readonly #unlink: Array<() => void> = [];
  #cause: AbortCause | undefined;

  /**
   * @param timeoutMs how long the whole call may take from now
   * @param caller the caller's signal, which also ends the call
   */
  constructor(
    readonly timeoutMs: number,
    caller?: AbortSignal,
  ) {
    this.#endsAt = performance.now() + timeoutMs;
    this.#timer = setTimeout(() => this.cancel('deadline'), timeoutMs);
    this.#link(caller);
  }

  /** Fires when the deadline passes, the caller aborts, or the client shuts down. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Which side ended the call, if any has. */
  get cause(): AbortCause | undefined {
    return this.#cause;
  }

  /** When the deadline passes, on the `performance.now()` clock. */
  get endsAt(): number {
    return this.#endsAt;
  }

  /** Milliseconds left before the deadline (0 once passed). */
  remainingMs(): number {
    return Math.max(0, this.#endsAt - performance.now());
  }

  /** Waits `ms` (a backoff); resolves false at once if the call ends first. */
  async pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.#controller.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Releases the timer and the listeners on linked signals; call once the call has settled. */
  dispose(): void {
    clearTimeout(this.#timer);
    for (const unlink of this.#unlink.splice(0)) unlink();
  }

  #link(signal: AbortSignal | undefined): void {
    if (!signal) return;
    if (signal.aborted) {
      this.cancel('caller');
      return;
    }
    const onAbort = () => this.cancel('caller');
    signal.addEventListener('abort', onAbort, { once: true });
    this.#unlink.push(() => signal.removeEventListener('abort', onAbort));
  }

  /** Ends the call now; the first cause wins. */
  cancel(cause: AbortCause): void {
    if (this.#cause) return;
    this.#cause = cause;
    this.#controller.abort();
  }
}

/**
 * Settles as `work` does, or as `onTimeout` does (with its value, or rejecting with what it
 * throws) once `ms` have passed first. The one timeout race of the code base: Redis operations,
 * the readiness probe and waits for a session's re-validation use it. The timer is cleared as
 * soon as either side wins and never holds the process open. `work` is not cancelled, only no
 * longer waited for: the caller's own abort signal, if any, cancels it.
 */
export function withTimeout<T, U = T>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  return new Promise<T | U>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      // After a stalled event loop (a GC pause, a starved process) the timer and an answer that
      // arrived in time are due together, and timers run first. The check phase comes after the
      // I/O that is ready: give the answer that one turn before calling it a timeout.
      setImmediate(() => {
        if (settled) return;
        settled = true;
        try {
          resolve(onTimeout());
        } catch (err) {
          reject(err);
        }
      });
    }, ms);
    timer.unref();
    void work
      .then(
        (value) => {
          if (!settled) resolve(value);
        },
        (err: unknown) => {
          if (!settled) reject(err);
        },
      )
      .finally(() => {
        settled = true;
        clearTimeout(timer);
      });
  });
}
