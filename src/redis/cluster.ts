import type { EventEmitter } from 'node:events';
import { createCluster } from 'redis';
import type { Logger } from 'pino';
import type { RedisConnection } from '../config/index.js';
import {
  closeWithin,
  connectForever,
  connectionState,
  credentialsOf,
  describe,
  NODE_SOCKET,
  reconnectDelay,
  replicaCount,
  type ClientTuning,
  type ConnectionState,
  type RedisClients,
} from './lifecycle.js';
import type { EvalClient } from './scripts.js';

type ClusterConnection = Extract<RedisConnection, { mode: 'cluster' }>;
/** What the lifecycle code needs of a Cluster client (the main one and its duplicate differ in type parameters). */
interface Cluster extends Pick<EventEmitter, 'on'> {
  connect(): Promise<unknown>;
  readonly isOpen: boolean;
  close(): Promise<unknown>;
  destroy(): unknown;
}

/** Logs the cluster's and each node's state changes, one line each. */
function watch(cluster: Cluster, logger: Logger, what: string, options: { quietFirstUp?: boolean; muted?: () => boolean } = {}): ConnectionState {
  const state = connectionState(logger, what, options);
  const nodes = new Map<string, ConnectionState>();
  const node = (info: { host?: string; port?: number }) => {
    const address = `${info.host}:${info.port}`;
    let found = nodes.get(address);
    if (!found) nodes.set(address, (found = connectionState(logger.child({ node: address }), `${what} node`, { ...options, quietFirstUp: true })));
    return found;
  };
  // Discovery failures: the cluster as a whole is unreachable only until it first connects.
  cluster.on('error', (err: unknown) => (state.isUp ? logger.debug({ err: describe(err) }, `${what} topology refresh failed`) : state.down(err)));
  cluster.on('node-error', (err: unknown, info: { host?: string; port?: number }) => node(info).down(err));
  cluster.on('node-ready', (info: { host?: string; port?: number }) => node(info).up());
  return state;
}

/** Cluster options for `connection`: credentials and TLS go in `defaults`, which every node connection is made from. */
function clusterOptions(connection: ClusterConnection, tuning: ClientTuning) {
  const tls = connection.tls ? ({ tls: true } as const) : ({} as const);
  return {
    rootNodes: connection.seeds.map(({ host, port }) => ({ socket: { host, port, ...tls } })),
    defaults: {
      ...credentialsOf(connection.credentials),
      disableOfflineQueue: true,
      pingInterval: 2000,
      socket: { ...NODE_SOCKET, ...tls, reconnectStrategy: (retries: number) => reconnectDelay(retries, tuning.maxReconnectDelayMs) },
    },
  };
}

/**
 * A Redis Cluster (`REDIS_CLUSTER_URLS`), through node-redis' Cluster client: it learns the slot
 * map from a seed, sends each command to the master that owns its first key, and follows
 * `MOVED`/`ASK` and failovers. Every script here touches keys of one hash slot, so each stays one
 * atomic step on one node.
 *
 * Outage behaviour as with one node: node connections fail at once while down
 * (`disableOfflineQueue`), and every command carries an abort signal at the deadline, so one that
 * waited for a node to connect is dropped instead of running late; the first connection, which
 * the Cluster client gives up after one round of seeds, is retried forever.
 *
 * A second Cluster client carries the writes that wait for a replica (`WAIT` blocks the connection
 * it is sent on, and must follow the write on the same one): it connects to a node when a
 * sign-out first needs it.
 */
export function clusterClients(connection: ClusterConnection, logger: Logger, tuning: ClientTuning & { replicaWaitMs: number }): RedisClients {
  const cluster = createCluster(clusterOptions(connection, tuning));
  const writer = cluster.duplicate({ minimizeConnections: true });
  const state = watch(cluster, logger, 'Redis');
  // Its trouble is news only while the main client is fine; otherwise that one said it already.
  const writerState = watch(writer, logger, 'Redis (sign-out writes)', { quietFirstUp: true, muted: () => !state.isUp });

  let closed = false;
  const start = (client: Cluster, clientState: ConnectionState) =>
    connectForever(
      async () => {
        await client.connect();
        clientState.up();
      },
      { maxDelayMs: tuning.maxReconnectDelayMs, closed: () => closed, onFailure: (err) => clientState.down(err) },
    );
  const connected = start(cluster, state);
  void start(writer, writerState);

  const deadline = () => ({ abortSignal: AbortSignal.timeout(tuning.deadlineMs) });
  const scripts: EvalClient = {
    evalSha: (sha, options) => cluster.withCommandOptions(deadline()).evalSha(sha, options),
    eval: (source, options) => cluster.withCommandOptions(deadline()).eval(source, options),
  };

  return {
    scripts,
    commands: { sendCommand: (args, key) => cluster.sendCommand(key, false, args, deadline()) },
    replicated: {
      async session(key, work) {
        const options = { abortSignal: AbortSignal.timeout(tuning.deadlineMs + tuning.replicaWaitMs) };
        const client = writer.withCommandOptions(options);
        // The master that owns `key`: the script runs there, over this same connection, and so does the WAIT.
        const owner = await writer.getNodeClientForKey(key);
        const socket = owner.options?.socket as { host?: string; port?: number } | undefined;
        return work({
          node: `${socket?.host}:${socket?.port}`,
          evalSha: (sha, o) => client.evalSha(sha, o),
          eval: (source, o) => client.eval(source, o),
          wait: async (replicas, timeoutMs) => replicaCount(await owner.sendCommand(['WAIT', String(replicas), String(timeoutMs)], options)),
        });
      },
    },
    whenReady: () => connected,
    async close() {
      if (closed) return;
      closed = true;
      const stop = (client: Cluster) => (client.isOpen ? closeWithin(tuning.deadlineMs, () => client.close(), () => client.destroy()) : undefined);
      await Promise.all([stop(cluster), stop(writer)]);
    },
  };
}
