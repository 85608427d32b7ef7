import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { ReplayGuard } from '../session/index.js';
import { clusterClients } from './cluster.js';
import type { RedisClients } from './lifecycle.js';
import type { RedisCommandSender } from './rate-limit-store.js';
import { RedisReplayGuard } from './replay-guard.js';
import { RedisScripts } from './scripts.js';
import { sentinelClients } from './sentinel.js';
import { RedisSessionStore } from './session-store.js';
import { singleNodeClients } from './single.js';
import { RedisTransactionStore } from './transactions.js';

/** The Redis connections of an app and everything built on them. */
export interface RedisResources {
  /** Raw commands for the rate-limit counters (routed by key in a Cluster). Fail fast while down. */
  readonly commands: RedisCommandSender;
  readonly sessionStore: RedisSessionStore;
  readonly transactions: RedisTransactionStore;
  /** Remembers accepted back-channel logout tokens across instances. */
  readonly logoutReplay: ReplayGuard;
  /** Resolves once connected for the first time (start-up scripts, tests). */
  whenReady(): Promise<void>;
  /** Closes the connections: gracefully when connected, at once when not. Idempotent. */
  close(): Promise<void>;
}

/** Tuning of {@link createRedisResources}; the defaults suit production. */
export interface RedisResourceOptions {
  /** Longest any Redis-backed operation may take before it answers 503, in ms. Default 1000. */
  deadlineMs?: number;
  /** Longest pause between reconnection attempts, in ms. Default 2000. */
  maxReconnectDelayMs?: number;
}

/**
 * Logs whether replicas acknowledge the writes that end sessions, per master: one line when they
 * stop (such sign-outs then rest on the master alone until replication catches up, and a failover
 * in that time could undo them), one when they answer again.
 */
function replicaReport(logger: Logger, waitMs: number): (replicas: number, node: string) => void {
  const missing = new Set<string>();
  return (replicas, node) => {
    if (replicas === 0 && !missing.has(node)) {
      missing.add(node);
      logger.warn({ waitMs, node }, 'No Redis replica acknowledged a sign-out in time: until one does, a failover could undo sign-outs');
    } else if (replicas > 0 && missing.delete(node)) {
      logger.info({ node }, 'Redis replicas acknowledge sign-outs again');
    }
  };
}

/**
 * Connects to Redis as `config.redis.connection` says (one node, Sentinel or Cluster) in the
 * background, and builds the session store, login transactions and logout replay records on it.
 * The outage behaviour is the same in every mode (see `lifecycle.ts`): fail fast, never queue,
 * reconnect forever, one log line per state change; every gateway operation has a deadline on
 * top, so a half-open connection never blocks a request.
 */
export function createRedisResources(config: Config, logger: Logger, options: RedisResourceOptions = {}): RedisResources {
  const { connection, keyPrefix, replicaWaitMs } = config.redis;
  if (!connection) throw new Error('createRedisResources: config.redis.connection is not set');
  const deadlineMs = options.deadlineMs ?? 1000;
  const tuning = { deadlineMs, maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2000, replicaWaitMs };
  const clients: RedisClients =
    connection.mode === 'single'
      ? singleNodeClients(connection.url, logger, tuning)
      : connection.mode === 'sentinel'
        ? sentinelClients(connection, logger, tuning)
        : clusterClients(connection, logger, tuning);

  const scripts = new RedisScripts(
    clients.scripts,
    clients.replicated ? { writer: clients.replicated, waitMs: replicaWaitMs, onAcknowledged: replicaReport(logger, replicaWaitMs) } : undefined,
  );
  return {
    commands: clients.commands,
    sessionStore: new RedisSessionStore({ scripts, keyPrefix, deadlineMs, indexTtlMs: config.session.absoluteTimeoutMs }),
    transactions: new RedisTransactionStore({ scripts, keyPrefix, ttlMs: config.session.loginTransactionTtlMs, deadlineMs }),
    logoutReplay: new RedisReplayGuard({ scripts, keyPrefix, deadlineMs }),
    whenReady: () => clients.whenReady(),
    close: () => clients.close(),
  };
}
