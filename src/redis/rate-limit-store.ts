import type { Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { guarded, StoreUnavailableError } from './errors.js';
import { isNoScriptError, lua, type LuaScript } from './scripts.js';

/**
 * The one thing the rate-limit store needs from Redis: a raw command, with the key it touches so
 * that a Cluster sends it to the master that owns the key.
 */
export interface RedisCommandSender {
  sendCommand(args: string[], key?: string): Promise<unknown>;
}

/**
 * rate-limit-redis with one deadline per count (the `EVAL` after a `NOSCRIPT` included) and typed
 * failures: a store failure is a `StoreUnavailableError` (503 `rate_limit_unavailable`), and the
 * limiter never lets requests through unlimited (fail closed, like the session store).
 */
class GuardedRedisStore extends RedisStore {
  readonly #deadlineMs: number;

  constructor(options: ConstructorParameters<typeof RedisStore>[0], deadlineMs: number) {
    super(options);
    this.#deadlineMs = deadlineMs;
  }

  override increment(key: string): ReturnType<RedisStore['increment']> {
    return guarded(super.increment(key), this.#deadlineMs, 'rate_limit_unavailable');
  }
}

/**
 * Counters of one limiter in Redis, shared by every instance: keys `<prefix>rl:<name>:<key>`.
 *
 * rate-limit-redis loads its Lua script with `SCRIPT LOAD` and runs it by SHA. Here a load never
 * reaches Redis: the SHA is the script's SHA-1, computed on the spot (so start-up needs no Redis,
 * and a load can neither fail nor be shared between keys on different nodes). A node that does
 * not know the script (it restarted, was promoted, or joined a Cluster) answers `NOSCRIPT`, and the
 * script then runs by `EVAL` on the node that owns the key, which keeps it from then on: the
 * Cluster client follows `MOVED` and `ASK` for it like for any command.
 *
 * Every command has a deadline of its own too (`guarded`): on a half-open connection the client
 * believes it is connected and a written command may wait for its reply forever.
 */
export function redisRateLimitStore(client: RedisCommandSender, options: { keyPrefix: string; name: string; deadlineMs?: number }): Store {
  const deadlineMs = options.deadlineMs ?? 1000;
  const send = async (command: string[], key: string | undefined) =>
    (await guarded(client.sendCommand(command, key), deadlineMs, 'rate_limit_unavailable')) as RedisReply;
  const scripts = new Map<string, LuaScript>();
  return new GuardedRedisStore(
    {
      prefix: `${options.keyPrefix}rl:${options.name}:`,
      // Each counter is one key (`increment`'s script touches only it), so any Cluster slot will do.
      sendCommandCluster: async ({ key, command }) => {
        const [verb = '', sub = '', text] = command;
        if (verb.toUpperCase() === 'SCRIPT' && sub.toUpperCase() === 'LOAD' && text !== undefined) {
          const script = lua(text);
          scripts.set(script.sha, script);
          return script.sha;
        }
        const script = verb.toUpperCase() === 'EVALSHA' ? scripts.get(sub) : undefined;
        try {
          return await send(command, key);
        } catch (err) {
          if (!script || !(err instanceof StoreUnavailableError && isNoScriptError(err.cause))) throw err;
          return send(['EVAL', script.source, ...command.slice(2)], key);
        }
      },
    },
    deadlineMs,
  );
}
