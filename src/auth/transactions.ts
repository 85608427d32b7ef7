import { timingSafeEqual } from 'node:crypto';
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
  /** Bound on pending transactions; past it `put` throws {@link LoginCapacityError}. */
  maxPending?: number;
  now?: () => number;
}

/** The in-memory transaction store: bounded, and expired entries never come back. */
export class MemoryTransactionStore implements LoginTransactionStore {
  private readonly pending = new Map<string, LoginTransaction>();
  private readonly ttlMs: number;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(options: MemoryTransactionStoreOptions) {
    this.ttlMs = options.ttlMs;
    this.maxPending = options.maxPending ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async put(state: string, tx: LoginTransaction): Promise<void> {
    this.prune();
    if (this.pending.size >= this.maxPending) {
      // The oldest entry expires first: that is when room is certain to come back.
      const oldest = this.pending.values().next().value;
      const waitMs = oldest ? oldest.createdAt + this.ttlMs - this.now() : this.ttlMs;
      throw new LoginCapacityError(Math.max(1, Math.ceil(waitMs / 1000)));
    }
    this.pending.set(state, tx);
  }

  async takeBound(state: string, binding: string): Promise<LoginTransaction | undefined> {
    const tx = this.pending.get(state);
    if (!tx) return undefined;
    if (this.expired(tx)) {
      this.pending.delete(state);
      return undefined;
    }
    const expected = Buffer.from(tx.binding);
    const actual = Buffer.from(binding);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    this.pending.delete(state);
    return tx;
  }

  async close(): Promise<void> {
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  private expired(tx: LoginTransaction): boolean {
    return this.now() - tx.createdAt > this.ttlMs;
  }

  /** Map order is insertion order, so expired entries sit at the front. */
  private prune(): void {
    for (const [state, tx] of this.pending) {
      if (!this.expired(tx)) break;
      this.pending.delete(state);
    }
  }
}
