import { LRUCache } from 'lru-cache';
import type { ReplayGuard } from '../session/index.js';

export type { ReplayGuard };

/** Options of {@link MemoryReplayGuard}. */
export interface MemoryReplayGuardOptions {
  /** Most ids remembered; past it the oldest is forgotten. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * One instance's memory of accepted logout tokens, on lru-cache (each id expires with its
 * token's replay window). Only validly signed tokens reach it, so only the IdP can fill it; the
 * bound is a backstop, not a defence against strangers.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #seen: LRUCache<string, true>;

  constructor(options: MemoryReplayGuardOptions = {}) {
    // ttlResolution 0 reads the clock at every check, so a fake clock in tests moves expiry at once.
    this.#seen = new LRUCache({ max: options.maxEntries ?? 10_000, ttlResolution: 0, perf: { now: options.now ?? Date.now } });
  }

  async firstUse(jti: string, ttlMs: number): Promise<boolean> {
    if (this.#seen.has(jti)) return false;
    // Full: forget ids whose window has passed before lru-cache forgets the oldest live one.
    if (this.#seen.size >= this.#seen.max) this.#seen.purgeStale();
    this.#seen.set(jti, true, { ttl: ttlMs });
    return true;
  }

  async release(jti: string): Promise<void> {
    this.#seen.delete(jti);
  }
}
