import type { LoginTransaction, TransactionStore } from '../session/index.js';
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

function isTransaction(value: unknown): value is LoginTransaction {
  if (!value || typeof value !== 'object') return false;
  const tx = value as Record<string, unknown>;
  return (
    typeof tx.codeVerifier === 'string' &&
    typeof tx.nonce === 'string' &&
    typeof tx.returnTo === 'string' &&
    typeof tx.binding === 'string' &&
    typeof tx.createdAt === 'number'
  );
}

const PUT = lua(`redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);
const TAKE = lua(`return redis.call('GETDEL', KEYS[1])`);

/**
 * Login transactions in Redis, so a sign-in started on one instance can finish on another.
 * Redis expires them (`PX`), and `GETDEL` reads and deletes in one step: two callbacks racing
 * with the same `state`, even on two instances, cannot both get the transaction.
 */
export class RedisTransactionStore implements TransactionStore {
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
    const key = `${this.#keyPrefix}login:${state}`;
    await guarded(this.#scripts.run(PUT, [key], [JSON.stringify(tx), this.#ttlMs]), this.#deadlineMs);
  }

  async take(state: string): Promise<LoginTransaction | undefined> {
    // `state` comes from the callback's query string: never let it shape arbitrary keys.
    if (!STATE.test(state)) return undefined;
    const raw = await guarded(this.#scripts.run(TAKE, [`${this.#keyPrefix}login:${state}`], []), this.#deadlineMs);
    if (typeof raw !== 'string') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    return isTransaction(parsed) ? parsed : undefined;
  }

  /** The Redis client belongs to the app's Redis resources, which close it. */
  async close(): Promise<void> {}
}
