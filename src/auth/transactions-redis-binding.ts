import type { RedisClientType } from 'redis';
import { guarded } from '../session/redis-errors.js';
import { isLoginTransaction, type LoginTransaction, type LoginTransactionStore } from './transactions.js';

/**
 * The callback's take for login transactions in Redis: read, compare the binding and delete in
 * one atomic step, so a request from another browser that learned `state` leaves the
 * transaction in place, and two callbacks racing with the same `state`, even on two instances,
 * cannot both get it (what `GETDEL` gave before, now only for the right browser).
 *
 * `RedisTransactionStore` (src/auth/transactions-redis.ts) keeps storing them (`SET … PX`, the
 * same key and JSON); this adds the bound take beside it until both move to src/redis/.
 */

/**
 * KEYS[1] = the transaction, ARGV[1] = the caller's binding hash. Returns the stored JSON when it
 * was bound to that hash (and deletes it), else false and leaves it. The compared value is a
 * SHA-256 of a 128-bit secret, so a non-constant-time comparison reveals nothing usable.
 */
const TAKE_IF_BOUND = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, tx = pcall(cjson.decode, raw)
if not ok or type(tx) ~= 'table' or tx.binding ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return raw
`;

/** `state` as the gateway mints it (base64url); anything else is not looked up at all. */
const STATE = /^[A-Za-z0-9_-]{16,128}$/;

export interface BoundRedisTransactionOptions {
  client: RedisClientType;
  /** `REDIS_KEY_PREFIX`; transactions are `<prefix>login:<state>`, as RedisTransactionStore writes them. */
  keyPrefix: string;
  /** Longest the take may take before it fails as unavailable (503), in ms. */
  deadlineMs: number;
}

/** A Redis transaction store whose writes go to `writer` and whose take checks the binding. */
export class BoundRedisTransactionStore implements LoginTransactionStore {
  readonly #writer: Pick<LoginTransactionStore, 'put' | 'close'>;
  readonly #options: BoundRedisTransactionOptions;

  constructor(writer: Pick<LoginTransactionStore, 'put' | 'close'>, options: BoundRedisTransactionOptions) {
    this.#writer = writer;
    this.#options = options;
  }

  put(state: string, tx: LoginTransaction): Promise<void> {
    return this.#writer.put(state, tx);
  }

  async takeBound(state: string, binding: string): Promise<LoginTransaction | undefined> {
    // `state` comes from the callback's query string: never let it shape arbitrary keys.
    if (!STATE.test(state)) return undefined;
    const { client, keyPrefix, deadlineMs } = this.#options;
    const raw = await guarded(client.eval(TAKE_IF_BOUND, { keys: [`${keyPrefix}login:${state}`], arguments: [binding] }), deadlineMs);
    if (typeof raw !== 'string') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    return isLoginTransaction(parsed) ? parsed : undefined;
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
