import type { RedisClientType } from 'redis';
import type { LogoutTarget } from './revoke.js';
import type { SessionUser } from './types.js';

/** Options of {@link RedisSessionIndex}. */
export interface RedisSessionIndexOptions {
  client: RedisClientType;
  /** `REDIS_KEY_PREFIX`; index keys are `<prefix>sid:<sid>` and `<prefix>sub:<sub>`. */
  keyPrefix: string;
  /** Where connect-redis keeps session data, e.g. `<prefix>sess:`. */
  sessionPrefix: string;
  /** No session outlives its absolute lifetime, so neither need its index entries. */
  ttlMs: number;
}

/**
 * Sets of session ids by IdP session (`sid`) and by user (`sub`), so back-channel logout can end
 * sessions without scanning every key in Redis (SCAN over all sessions is O(n) and unbounded in
 * a shared Redis).
 *
 * An entry is written before the session data it points to (see `RedisSessionStore.set`), so a
 * stored session is always findable. Entries of sessions that ended otherwise (sign-out, expiry)
 * linger until their set expires: deleting a session that is already gone is harmless, and
 * keeping them spares a write on every sign-out.
 */
export class RedisSessionIndex {
  readonly #client: RedisClientType;
  readonly #keyPrefix: string;
  readonly #sessionPrefix: string;
  readonly #ttlMs: number;

  constructor(options: RedisSessionIndexOptions) {
    this.#client = options.client;
    this.#keyPrefix = options.keyPrefix;
    this.#sessionPrefix = options.sessionPrefix;
    this.#ttlMs = options.ttlMs;
  }

  #sidKey(sid: string): string {
    return `${this.#keyPrefix}sid:${sid}`;
  }

  #subKey(sub: string): string {
    return `${this.#keyPrefix}sub:${sub}`;
  }

  /**
   * Records that session `sessionId` belongs to `user`. The sets' expiry is pushed to a full
   * absolute lifetime each time, which always covers the newest member, the longest-lived one.
   */
  async record(sessionId: string, user: SessionUser): Promise<void> {
    const multi = this.#client.multi();
    const keys = [
      ...(user.sid ? [this.#sidKey(user.sid)] : []),
      ...(user.claims.sub ? [this.#subKey(user.claims.sub)] : []),
    ];
    if (keys.length === 0) return;
    for (const key of keys) multi.sAdd(key, sessionId).pExpire(key, this.#ttlMs);
    await multi.exec();
  }

  /** Deletes the sessions the target names. @returns how many existed. */
  async revoke(target: LogoutTarget): Promise<number> {
    const keys = [
      ...(target.sid !== undefined ? [this.#sidKey(target.sid)] : []),
      ...(target.sub !== undefined ? [this.#subKey(target.sub)] : []),
    ];
    if (keys.length === 0) return 0;
    // Both given: the sessions of that IdP session that are also that user's.
    const ids = keys.length === 1 ? await this.#client.sMembers(keys[0] as string) : await this.#client.sInter(keys);
    if (ids.length === 0) return 0;
    const multi = this.#client.multi().del(ids.map((id) => `${this.#sessionPrefix}${id}`));
    for (const key of keys) multi.sRem(key, ids);
    const [deleted] = await multi.exec();
    return typeof deleted === 'number' ? deleted : 0;
  }
}
