import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { HttpProblem } from '../http/problem.js';
import type { LoginTransaction, LoginTransactionStore } from '../session/index.js';

export { isLoginTransaction, type LoginTransaction, type LoginTransactionStore } from '../session/index.js';

/**
 * The in-memory store is full. New sign-ins are refused with 503 rather than pushing out a
 * pending one: eviction would let a flood of starts cancel real users' sign-ins.
 */
export class LoginCapacityError extends HttpProblem {
  constructor(retryAfterSeconds: number) {
    super({
      status: 503,
      code: 'login_capacity_reached',
      title: 'Sign-in is busy',
      detail: 'Too many sign-ins are in progress right now; try again shortly.',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

export interface MemoryTransactionStoreOptions {
  ttlMs: number;
  /** Bound on pending transactions; past it `put` throws {@link LoginCapacityError}. Default 10 000. */
  maxPending?: number;
  now?: () => number;
}

/**
 * The in-memory transaction store: bounded, and expired entries never come back. lru-cache keeps
 * the entries, their expiry and the bound; this class keeps the one rule lru-cache does not
 * have: a full store refuses, it never evicts a pending sign-in to make room.
 */
export class MemoryTransactionStore implements LoginTransactionStore {
  readonly #pending: LRUCache<string, LoginTransaction>;
  readonly #maxPending: number;
  readonly #now: () => number;
  /** Until this instant the store is known to hold only live transactions: refuse without a sweep. */
  #fullUntil = -Infinity;

  constructor(options: MemoryTransactionStoreOptions) {
    this.#maxPending = options.maxPending ?? 10_000;
    this.#now = options.now ?? Date.now;
    // ttlResolution 0 reads the clock at every check, so a fake clock in tests moves expiry at once.
    this.#pending = new LRUCache({ max: this.#maxPending, ttl: options.ttlMs, ttlResolution: 0, perf: { now: this.#now } });
  }

  async put(state: string, tx: LoginTransaction): Promise<void> {
    if (this.#pending.size >= this.#maxPending) this.#makeRoom();
    this.#pending.set(state, tx);
  }

  async takeBound(state: string, binding: string): Promise<LoginTransaction | undefined> {
    // peek, not get: a lookup must not refresh the entry's place, which is its age order.
    const tx = this.#pending.peek(state);
    if (!tx) return undefined;
    const expected = Buffer.from(tx.binding);
    const actual = Buffer.from(binding);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    this.#pending.delete(state);
    return tx;
  }

  async close(): Promise<void> {
    this.#pending.clear();
  }

  /** Entries held, counting expired ones not yet swept: an upper bound on pending sign-ins. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Sweeps expired transactions out of a full store, or throws {@link LoginCapacityError} when
   * none has expired: lru-cache would otherwise make room by evicting the oldest pending one. The
   * sweep walks every entry, so while the store is known full (until its oldest entry expires,
   * since entries are only ever added younger) further sign-ins are refused without one.
   */
  #makeRoom(): void {
    const now = this.#now();
    if (now <= this.#fullUntil) throw this.#capacityError(now);
    if (this.#pending.purgeStale()) return;
    // Entries are set in age order and only peeked at, so the least recently used is the oldest.
    const oldest = this.#pending.rkeys().next().value;
    this.#fullUntil = now + (oldest === undefined ? 0 : this.#pending.getRemainingTTL(oldest));
    throw this.#capacityError(now);
  }

  /** Room comes back when the oldest transaction expires. */
  #capacityError(now: number): LoginCapacityError {
    return new LoginCapacityError(Math.max(1, Math.ceil((this.#fullUntil - now) / 1000)));
  }
}
