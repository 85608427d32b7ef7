import type { ReplayGuard } from '../session/index.js';
import { guarded } from './errors.js';
import { lua, type RedisScripts } from './scripts.js';

const FIRST_USE = lua(`if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0`);
const RELEASE = lua(`return redis.call('DEL', KEYS[1])`);

/** Options of {@link RedisReplayGuard}. */
export interface RedisReplayGuardOptions {
  scripts: RedisScripts;
  /** `REDIS_KEY_PREFIX`; records are `<prefix>logout-jti:<jti>`. */
  keyPrefix: string;
  deadlineMs: number;
}

/** Shared by every instance: `SET NX PX` (in one script) makes the check and the record one atomic step. */
export class RedisReplayGuard implements ReplayGuard {
  readonly #scripts: RedisScripts;
  readonly #keyPrefix: string;
  readonly #deadlineMs: number;

  constructor(options: RedisReplayGuardOptions) {
    this.#scripts = options.scripts;
    this.#keyPrefix = options.keyPrefix;
    this.#deadlineMs = options.deadlineMs;
  }

  async firstUse(jti: string, ttlMs: number): Promise<boolean> {
    const key = `${this.#keyPrefix}logout-jti:${jti}`;
    const reply = await guarded(this.#scripts.run(FIRST_USE, [key], [Math.max(1, Math.ceil(ttlMs))]), this.#deadlineMs);
    return reply === 1;
  }

  async release(jti: string): Promise<void> {
    await guarded(this.#scripts.run(RELEASE, [`${this.#keyPrefix}logout-jti:${jti}`], []), this.#deadlineMs);
  }
}
