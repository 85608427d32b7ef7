import { RedisStore } from 'connect-redis';
import session from 'express-session';
import type { SessionData } from 'express-session';
import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import { guarded } from './redis-errors.js';
import type { RedisSessionIndex } from './redis-index.js';
import type { LogoutTarget, RevocableStore } from './revoke.js';
import type {} from './types.js'; // the SessionData augmentation (`user`)

type Callback<T> = (err: unknown, value?: T) => void;

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: RedisClientType;
  /** Key prefix of session data, `<REDIS_KEY_PREFIX>sess:`. */
  prefix: string;
  index: RedisSessionIndex;
  /** Longest a store operation may take before it fails as unavailable, in ms. */
  deadlineMs: number;
  /** Where a failed TTL extension is reported (it cannot reach a response any more). */
  logger?: Logger;
}

/**
 * Sessions in Redis: connect-redis does the storing; this wrapper adds what the gateway needs
 * around it.
 *
 * - Fails fast and typed: every operation has a deadline, and every failure reaches
 *   express-session as `StoreUnavailableError`, which the error middleware answers with 503.
 *   It never falls back to memory: sessions written there would be invisible to the other
 *   instances and lost at restart, so the "outage" would silently become "signed out".
 * - Never emits `disconnect`: express-session skips the session entirely while a store reports
 *   itself disconnected, which would turn a Redis outage into a quiet "not signed in" (401)
 *   instead of an honest 503.
 * - Indexes signed-in sessions by IdP `sid` and `sub` before storing them, for back-channel
 *   logout ({@link RedisSessionIndex}).
 * - A failed read never turns into a sign-out: `createSessionMiddleware` forgets the session id
 *   of a request whose store read failed, so express-session sends no destroy for it.
 */
export class RedisSessionStore extends session.Store implements RevocableStore {
  readonly #inner: RedisStore;
  readonly #index: RedisSessionIndex;
  readonly #deadlineMs: number;
  readonly #logger: Logger | undefined;

  constructor(options: RedisSessionStoreOptions) {
    super();
    this.#inner = new RedisStore({ client: options.client, prefix: options.prefix });
    this.#index = options.index;
    this.#deadlineMs = options.deadlineMs;
    this.#logger = options.logger;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.#run(this.#inner.get(sid) as Promise<SessionData | null>, callback);
  }

  override set(sid: string, sess: SessionData, callback?: Callback<void>): void {
    const user = sess.user;
    const write = async (): Promise<void> => {
      // Index first: a session that is stored but not indexed could outlive a back-channel logout.
      if (user) await this.#index.record(sid, user);
      await this.#inner.set(sid, sess);
    };
    this.#run(write(), callback);
  }

  override destroy(sid: string, callback?: Callback<void>): void {
    this.#run(this.#inner.destroy(sid) as Promise<void>, callback);
  }

  /**
   * Best effort. express-session touches after the response head is out, so an error here can
   * only reach Express's last-resort handler, which drops the connection; a missed extension
   * is harmless, the next request extends the TTL again.
   */
  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    guarded(this.#inner.touch(sid, sess) as Promise<void>, this.#deadlineMs).then(
      () => callback && process.nextTick(callback),
      (err: unknown) => {
        this.#logger?.warn({ err: err instanceof Error ? (err.cause ?? err) : err }, 'session TTL not extended: Redis unavailable');
        if (callback) process.nextTick(callback);
      },
    );
  }

  /** Ends the sessions `target` names (back-channel logout). @returns how many existed. */
  revokeSessions(target: LogoutTarget): Promise<number> {
    return guarded(this.#index.revoke(target), this.#deadlineMs);
  }

  /**
   * Settles the callback outside the promise chain: an exception thrown by express-session's
   * callback must surface as itself, not as a swallowed or unhandled rejection of ours.
   */
  #run<T>(operation: Promise<T>, callback: Callback<T> | undefined): void {
    guarded(operation, this.#deadlineMs).then(
      (value) => {
        if (callback) process.nextTick(callback, null, value);
      },
      (err: unknown) => {
        if (callback) process.nextTick(callback, err);
      },
    );
  }
}
