import type { ReplayGuard } from '../session/index.js';

export type { ReplayGuard };

/** Options of {@link MemoryReplayGuard}. */
export interface MemoryReplayGuardOptions {
  /** Most ids remembered; past it the oldest is forgotten. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * One instance's memory. Only validly signed tokens reach it, so only the IdP can fill it; the
 * bound is a backstop, not a defence against strangers.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryReplayGuardOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async firstUse(jti: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const until = this.#seen.get(jti);
    if (until !== undefined && until > now) return false;
    for (const [id, expiry] of this.#seen) if (expiry <= now) this.#seen.delete(id);
    while (this.#seen.size >= this.#maxEntries) {
      const oldest = this.#seen.keys().next();
      if (oldest.done) break;
      this.#seen.delete(oldest.value);
    }
    this.#seen.set(jti, now + ttlMs);
    return true;
  }

  async release(jti: string): Promise<void> {
    this.#seen.delete(jti);
  }
}

