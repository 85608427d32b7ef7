import type { RedisClientType } from 'redis';
import { guarded } from '../session/redis-errors.js';

/**
 * Remembers the `jti` of every logout token accepted, until the token could no longer be
 * accepted anyway, so the same token is processed once (OIDC Back-Channel Logout 1.0 §2.6).
 */
export interface ReplayGuard {
  /** Records `jti` for `ttlMs`; false when it was already recorded (a replay). */
  firstUse(jti: string, ttlMs: number): Promise<boolean>;
  /** Forgets `jti`, so the IdP's retry of a token whose logout failed is not taken for a replay. */
  release(jti: string): Promise<void>;
}

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

/** Options of {@link RedisReplayGuard}. */
export interface RedisReplayGuardOptions {
  client: RedisClientType;
  /** `REDIS_KEY_PREFIX`; records are `<prefix>logout-jti:<jti>`. */
  keyPrefix: string;
  deadlineMs: number;
}

/** Shared by every instance: `SET NX PX` makes the check and the record one atomic step. */
export class RedisReplayGuard implements ReplayGuard {
  readonly #client: RedisClientType;
  readonly #keyPrefix: string;
  readonly #deadlineMs: number;

  constructor(options: RedisReplayGuardOptions) {
    this.#client = options.client;
    this.#keyPrefix = options.keyPrefix;
    this.#deadlineMs = options.deadlineMs;
  }

  async firstUse(jti: string, ttlMs: number): Promise<boolean> {
    const reply = await guarded(
      this.#client.set(`${this.#keyPrefix}logout-jti:${jti}`, '1', {
        condition: 'NX',
        expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
      }),
      this.#deadlineMs,
    );
    return reply === 'OK';
  }

  async release(jti: string): Promise<void> {
    await guarded(this.#client.del(`${this.#keyPrefix}logout-jti:${jti}`), this.#deadlineMs);
  }
}
