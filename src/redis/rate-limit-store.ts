import type { Options, Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { guarded, StoreUnavailableError } from './errors.js';
import { isNoScriptError } from './scripts.js';

/**
 * The one thing the rate-limit store needs from Redis: a raw command, with the key it touches so
 * that a Cluster sends it to the master that owns the key. `SCRIPT LOAD` comes with the key the
 * script is about to run on, and goes to that master alone.
 */
export interface RedisCommandSender {
  sendCommand(args: string[], key?: string): Promise<unknown>;
}

/**
 * rate-limit-redis caches the promise of its Lua script's SHA, loaded at start-up. Two ways that
 * goes wrong: at start-up the shared client may still be connecting (it queues nothing: commands
 * fail at once), and a load that failed during an outage would fail every later call even after
 * Redis is back. So the script is loaded on first use, and again after any failure, on the node
 * that owns the key at hand (in a Cluster, a load sent to every master would fail while any one
 * of them is down, and take the limiter down for the keys of the healthy ones too). A node that
 * does not know the script answers NOSCRIPT, and rate-limit-redis loads it there and retries.
 *
 * One deadline covers a whole count, loads and retry included. A store failure is a
 * `StoreUnavailableError` (503 `rate_limit_unavailable`): the limiter never lets requests through
 * unlimited (fail closed, like the session store). The gateway never reads a count back, so
 * `get` (and its script) is not used.
 */
class RecoveringRedisStore extends RedisStore {
  #stale = true;
  readonly #deadlineMs: number;

  constructor(options: ConstructorParameters<typeof RedisStore>[0], deadlineMs: number) {
    super(options);
    this.#deadlineMs = deadlineMs;
  }

  override async init(options: Options): Promise<void> {
    this.windowMs = options.windowMs;
  }

  override async increment(key: string): ReturnType<RedisStore['increment']> {
    if (this.#stale) {
      this.#stale = false;
      this.incrementScriptSha = this.loadIncrementScript(this.prefixKey(key));
    }
    try {
      return await guarded(super.increment(key), this.#deadlineMs, 'rate_limit_unavailable');
    } catch (err) {
      this.#stale = true;
      throw err;
    }
  }
}

/**
 * Counters of one limiter in Redis, shared by every instance: keys `<prefix>rl:<name>:<key>`.
 * Every command has a deadline of its own too (`guarded`), so that no promise the store keeps (the
 * script's SHA) stays pending: on a half-open connection the client believes it is connected and
 * a written command may wait for its reply forever.
 */
export function redisRateLimitStore(client: RedisCommandSender, options: { keyPrefix: string; name: string; deadlineMs?: number }): Store {
  const deadlineMs = options.deadlineMs ?? 1000;
  return new RecoveringRedisStore(
    {
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
    },
    deadlineMs,
  );
}
