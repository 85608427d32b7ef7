import type { Logger } from 'pino';
import { backoffMs, withTimeout } from '../onetalk/index.js';
import type { RedisCredentials } from '../config/index.js';
import type { RedisCommandSender } from './rate-limit-store.js';
import type { EvalClient, ReplicatedWriter } from './scripts.js';

/**
 * What every Redis deployment (one node, Sentinel, Cluster) gives the stores, with one outage
 * behaviour for all: commands fail at once while there is no connection (nothing queues behind
 * an outage), the connection is retried forever with capped backoff, each state change is logged
 * once, and an `error` event never throws.
 */
export interface RedisClients {
  /** Scripts, routed by their first key in a Cluster. */
  readonly scripts: EvalClient;
  /** Raw commands of the rate-limit counters, routed by key in a Cluster. */
  readonly commands: RedisCommandSender;
  /** Where writes can wait for a replica; absent for a single node. */
  readonly replicated?: ReplicatedWriter;
  /** Resolves once connected for the first time (or closed before that). */
  whenReady(): Promise<void>;
  /** Closes every connection, within `deadlineMs` whatever the server does. Idempotent. */
  close(): Promise<void>;
}

/** Tuning shared by the three modes. */
export interface ClientTuning {
  /** Longest a command may wait to be sent before it is dropped, in ms. */
  deadlineMs: number;
  /** Longest pause between reconnection attempts, in ms. */
  maxReconnectDelayMs: number;
}

/** Socket settings of every data-node connection: a ping every 2 s and a 5 s socket timeout notice a silent death. */
export const NODE_SOCKET = { connectTimeout: 2000, socketTimeout: 5000 } as const;

/** Client options carrying the credentials, when there are any. */
export const credentialsOf = (credentials: RedisCredentials | undefined): { username?: string; password?: string } =>
  credentials ? { ...(credentials.username !== undefined ? { username: credentials.username } : {}), password: credentials.password } : {};

/** `WAIT`'s reply as a count (a number in RESP3; anything else counts as no replica). */
export const replicaCount = (reply: unknown): number => (typeof reply === 'number' ? reply : Number(reply) || 0);

/** Exponential backoff with jitter, capped: recovery within about `maxMs` of Redis returning. */
export function reconnectDelay(retries: number, maxMs: number): number {
  return backoffMs(retries, { baseMs: 50, maxMs });
}

/**
 * The error as a log field: name, code and message, never the client options (they hold the
 * password). node-redis' Sentinel client also emits plain strings.
 */
export function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** One log line per change between connected and not: never one per reconnection attempt. */
export interface ConnectionState {
  up(fields?: Record<string, unknown>): void;
  down(err: unknown, fields?: Record<string, unknown>): void;
  readonly isUp: boolean;
}

/**
 * `quietFirstUp`: the first connection is not news (a part whose whole already said "connected").
 * `muted`: while true, changes go to debug only (a second connection whose trouble the first one
 * already reported).
 */
export function connectionState(logger: Logger, what = 'Redis', options: { quietFirstUp?: boolean; muted?: () => boolean } = {}): ConnectionState {
  let up = false;
  let reported = false;
  let first = true;
  const muted = () => options.muted?.() ?? false;
  return {
    get isUp() {
      return up;
    },
    up(fields = {}) {
      if (up) return;
      if (reported) logger.info(fields, `${what} connection restored`);
      else if ((first && options.quietFirstUp) || muted()) logger.debug(fields, `${what} connected`);
      else logger.info(fields, `${what} connected`);
      first = false;
      up = true;
      reported = false;
    },
    down(err, fields = {}) {
      if (!muted() && (up || !reported)) {
        logger.error({ err: describe(err), ...fields }, up ? `${what} connection lost` : `${what} unreachable`);
        reported = true;
      } else {
        logger.debug({ err: describe(err), ...fields }, `${what} still unreachable`);
      }
      up = false;
    },
  };
}

/**
 * Calls `connect` until it succeeds, with capped backoff, for as long as `closed()` is false:
 * the Sentinel and Cluster clients give up on their first connection, the gateway never does.
 */
export async function connectForever(connect: () => Promise<unknown>, options: { maxDelayMs: number; closed: () => boolean; onFailure: (err: unknown) => void }): Promise<void> {
  for (let attempt = 0; !options.closed(); attempt += 1) {
    try {
      await connect();
      return;
    } catch (err) {
      if (options.closed()) return;
      options.onFailure(err);
      await new Promise((resolve) => setTimeout(resolve, reconnectDelay(attempt, options.maxDelayMs)).unref());
    }
  }
}

/**
 * Closes gracefully, letting in-flight commands finish, but never waits on a Redis that stopped
 * answering: past `deadlineMs`, `destroy` cuts the connections.
 */
export async function closeWithin(deadlineMs: number, graceful: () => Promise<unknown>, destroy: () => unknown): Promise<void> {
  const cut = (): void => {
    void Promise.resolve()
      .then(destroy)
      .catch(() => undefined);
  };
  await withTimeout(graceful().then(() => undefined, cut), deadlineMs, cut);
}
