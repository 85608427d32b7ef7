import { isLoginTransaction, type LoginTransaction, type LoginTransactionStore } from '../session/index.js';
import { guarded } from './errors.js';
import { lua, type RedisScripts } from './scripts.js';

/** Options of {@link RedisTransactionStore}. */
export interface RedisTransactionStoreOptions {
  scripts: RedisScripts;
  /** `REDIS_KEY_PREFIX`; transactions are `<prefix>login:<state>`. */
  keyPrefix: string;
  ttlMs: number;
  /** Longest an operation may take before it fails as unavailable, in ms. */
  deadlineMs: number;
}

/** `state` as the gateway mints it (base64url); anything else is not looked up at all. */
const STATE = /^[A-Za-z0-9_-]{16,128}$/;

const PUT = lua(`redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

/**
 * KEYS[1] = the transaction, ARGV[1] = the caller's binding hash. Returns the stored JSON when it
 * was bound to that hash (and deletes it), else false and leaves it. The compared value is a
 * SHA-256 of a 128-bit secret, so a non-constant-time comparison reveals nothing usable.
 */
const TAKE_IF_BOUND = lua(`local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, tx = pcall(cjson.decode, raw)
if not ok or type(tx) ~= 'table' or tx.binding ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return raw`);

/**
 * Login transactions in Redis, so a sign-in started on one instance can finish on another.
 * Redis expires them (`PX`; never evicted early with `maxmemory-policy noeviction`), and the take
 * reads, compares the browser binding and deletes in one script: a request from another browser
 * that learned `state` leaves the transaction in place, and two callbacks racing with the same
 * `state`, even on two instances, cannot both get it.
 */
export class RedisTransactionStore implements LoginTransactionStore {
  readonly #scripts: RedisScripts;
  readonly #keyPrefix: string;
  readonly #ttlMs: number;
  readonly #deadlineMs: number;

  constructor(options: RedisTransactionStoreOptions) {
    this.#scripts = options.scripts;
    this.#keyPrefix = options.keyPrefix;
    this.#ttlMs = options.ttlMs;
    this.#deadlineMs = options.deadlineMs;
  }

  async put(state: string, tx: LoginTransaction): Promise<void> {
    await guarded(this.#scripts.run(PUT, [`${this.#keyPrefix}login:${state}`], [JSON.stringify(tx), this.#ttlMs]), this.#deadlineMs);
  }

  async takeBound(state: string, binding: string): Promise<LoginTransaction | undefined> {
    // `state` comes from the callback's query string: never let it shape arbitrary keys.
    if (!STATE.test(state)) return undefined;
    const raw = await guarded(this.#scripts.run(TAKE_IF_BOUND, [`${this.#keyPrefix}login:${state}`], [binding]), this.#deadlineMs);
    if (typeof raw !== 'string') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    return isLoginTransaction(parsed) ? parsed : undefined;
  }

  /** The Redis client belongs to the app's Redis resources, which close it. */
  async close(): Promise<void> {}
}
