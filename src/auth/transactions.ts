import type { LoginTransaction, TransactionStore } from '../session/index.js';

export type { LoginTransaction, TransactionStore };

export interface MemoryTransactionStoreOptions {
  ttlMs: number;
  /** Bound on pending transactions; the oldest is dropped past it. */
  maxPending?: number;
  now?: () => number;
}

/** The in-memory transaction store: bounded, and expired entries never come back. */
export class MemoryTransactionStore implements TransactionStore {
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
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    this.pending.set(state, tx);
  }

  async take(state: string): Promise<LoginTransaction | undefined> {
    const tx = this.pending.get(state);
    this.pending.delete(state);
    if (!tx || this.now() - tx.createdAt > this.ttlMs) return undefined;
    return tx;
  }

  async close(): Promise<void> {
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Map order is insertion order, so expired entries sit at the front. */
  private prune(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [state, tx] of this.pending) {
      if (tx.createdAt >= cutoff) break;
      this.pending.delete(state);
    }
  }
}
