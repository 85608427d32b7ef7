import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { backoffMs, withTimeout } from '../onetalk/index.js';
import type { ReplayGuard } from '../session/index.js';
import { RedisReplayGuard } from './replay-guard.js';
import { RedisScripts } from './scripts.js';
import { RedisSessionStore } from './session-store.js';
import { RedisTransactionStore } from './transactions.js';

/** The one Redis client of an app and everything built on it. */
export interface RedisResources {
  /** Shared: rate-limit counters reuse it (`client.sendCommand`). Commands fail fast while down. */
  readonly client: RedisClientType;
  readonly sessionStore: RedisSessionStore;
  readonly transactions: RedisTransactionStore;
  /** Remembers accepted back-channel logout tokens across instances. */
  readonly logoutReplay: ReplayGuard;
  /** Resolves once the client is connected for the first time (start-up scripts, tests). */
  whenReady(): Promise<void>;
  /** Closes the client: gracefully when connected, at once when not. Idempotent. */
  close(): Promise<void>;
}

/** Tuning of {@link createRedisResources}; the defaults suit production. */
export interface RedisResourceOptions {
  /** Longest any Redis-backed operation may take before it answers 503, in ms. Default 1000. */
  deadlineMs?: number;
  /** Longest pause between reconnection attempts, in ms. Default 2000. */
  maxReconnectDelayMs?: number;
}

/** The error as a log field: name, code and message, never the client options (the URL has the password). */
function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * Creates the Redis client for `config.redis.url` and connects it in the background, with the
 * session store, login transactions and logout replay records on top of it.
 *
 * Outage behaviour, by design: commands are rejected at once while disconnected
 * (`disableOfflineQueue`, so nothing queues up behind an outage and requests do not hang), every
 * gateway operation has a deadline on top (a half-open connection never blocks a request), the
 * client reconnects forever with capped backoff (so the gateway recovers by itself), and `error`
 * events are logged, never thrown (an EventEmitter's unhandled `error` would end the process).
 * A ping every 2 s plus a 5 s socket timeout notice a connection that died silently.
 */
export function createRedisResources(config: Config, logger: Logger, options: RedisResourceOptions = {}): RedisResources {
  const url = config.redis.url;
  if (!url) throw new Error('createRedisResources: config.redis.url is not set');
  const deadlineMs = options.deadlineMs ?? 1000;
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const keyPrefix = config.redis.keyPrefix;

  const client: RedisClientType = createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: 2000,
    socket: {
      connectTimeout: 2000,
      socketTimeout: 5000,
      // Capped: recovery within about `maxDelay` of Redis returning.
      reconnectStrategy: (retries) => backoffMs(retries, { baseMs: 50, maxMs: maxDelay }),
    },
  });

  let up = false;
  let reported = false;
  client.on('error', (err: unknown) => {
    // One line per state change, not one per reconnection attempt.
    if (up || !reported) logger.error({ err: describe(err) }, up ? 'Redis connection lost' : 'Redis unreachable');
    else logger.debug({ err: describe(err) }, 'Redis still unreachable');
    up = false;
    reported = true;
  });
  client.on('ready', () => {
    logger.info(reported ? 'Redis connection restored' : 'Redis connected');
    up = true;
    reported = false;
  });

  let closed = false;
  const connected = client.connect().then(
    () => undefined,
    (err: unknown) => {
      // Only a close during the first connection ends up here; the strategy never gives up.
      if (!closed) logger.error({ err: describe(err) }, 'Redis client stopped');
    },
  );

  const scripts = new RedisScripts(client);
  return {
    client,
    sessionStore: new RedisSessionStore({ scripts, keyPrefix, deadlineMs, indexTtlMs: config.session.absoluteTimeoutMs }),
    transactions: new RedisTransactionStore({ scripts, keyPrefix, ttlMs: config.session.loginTransactionTtlMs, deadlineMs }),
    logoutReplay: new RedisReplayGuard({ scripts, keyPrefix, deadlineMs }),
    whenReady: () => connected,
    async close() {
      if (closed) return;
      closed = true;
      if (!client.isOpen) return;
      if (!client.isReady) {
        client.destroy();
        return;
      }
      // Let in-flight commands finish, but never let shutdown wait on a Redis that stopped
      // answering: the deadline bounds close() whatever the client's own promise does.
      await withTimeout(client.close().catch(() => client.destroy()), deadlineMs, () => client.destroy());
    },
  };
}
