import type { Options, Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { guarded, StoreUnavailableError } from './errors.js';
import { isNoScriptError } from './scripts.js';

/**
 * The one thing the rate-limit store needs from Redis: a raw command, with the key it touches so
 * that a Cluster sends it to the node that owns the key (`undefined` for none: `SCRIPT LOAD`,
 * which a Cluster client sends to every node).
 */
export interface RedisCommandSender {
  sendCommand(args: string[], key?: string): Promise<unknown>;
}

/**
 * rate-limit-redis caches the promise of its Lua script's SHA, loaded at start-up. Two ways that
 * goes wrong: at start-up the shared client may still be connecting (it queues nothing: commands
 * fail at once), and a load that failed during an outage would fail every later call even after
 * Redis is back. So the script is loaded on first use, and again after any failure. A store
 * failure is a `StoreUnavailableError` (503 `rate_limit_unavailable`): the limiter never lets
 * requests through unlimited (fail closed, like the session store).
 */
class RecoveringRedisStore extends RedisStore {
  #stale = true;

  override async init(options: Options): Promise<void> {
    this.windowMs = options.windowMs;
  }

  override async increment(key: string): ReturnType<RedisStore['increment']> {
    if (this.#stale) {
      this.#stale = false;
      this.incrementScriptSha = this.loadIncrementScript();
    }
    try {
      return await super.increment(key);
    } catch (err) {
      this.#stale = true;
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError({ cause: err, code: 'rate_limit_unavailable' });
    }
  }
}

/**
 * Counters of one limiter in Redis, shared by every instance: keys `<prefix>rl:<name>:<key>`.
 * Every command has a deadline of its own (`guarded`): on a half-open connection the client
 * believes it is connected and a written command may wait for its reply forever.
 */
export function redisRateLimitStore(client: RedisCommandSender, options: { keyPrefix: string; name: string; deadlineMs?: number }): Store {
  const deadlineMs = options.deadlineMs ?? 1000;
  return new RecoveringRedisStore({
    prefix: `${options.keyPrefix}rl:${options.name}:`,
    // Each counter is one key (`increment`'s script touches only it), so any Cluster slot will do.
    sendCommandCluster: async ({ key, command }) => {
      try {
        return (await guarded(client.sendCommand(command, key), deadlineMs, 'rate_limit_unavailable')) as RedisReply;
      } catch (err) {
        // A Redis that restarted or failed over has forgotten the script: rate-limit-redis loads it
        // again and retries when it sees NOSCRIPT itself, so that reply must reach it unwrapped.
        throw err instanceof StoreUnavailableError && isNoScriptError(err.cause) ? err.cause : err;
      }
    },
  });
}
