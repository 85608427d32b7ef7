import { createSentinel } from 'redis';
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
  type RedisClients,
} from './lifecycle.js';
import type { EvalClient } from './scripts.js';

type SentinelConnection = Extract<RedisConnection, { mode: 'sentinel' }>;

/**
 * The master behind Sentinel (`REDIS_SENTINEL_URLS`, `REDIS_SENTINEL_MASTER`), through
 * node-redis' Sentinel client, which asks the sentinels for the master, follows their
 * `+switch-master` announcements and reconnects to whichever node they promote.
 *
 * Outage behaviour as with one node, with two things the Sentinel client does not do by itself:
 * - It waits for the new master while it reconfigures and then sends what was waiting: a command
 *   is refused at once while it has no master (`isReady`), and every command carries an abort
 *   signal at the deadline, so one that waited is dropped instead of running seconds after the
 *   request it belonged to was answered 503.
 * - It gives up on its first connection after a few attempts: {@link connectForever} retries.
 *
 * Several master connections: a shared one for everything, and the others lent, one at a time, to
 * a write that waits for a replica (`WAIT` blocks the connection it is sent on).
 */
export function sentinelClients(connection: SentinelConnection, logger: Logger, tuning: ClientTuning & { replicaWaitMs: number }): RedisClients {
  const tls = connection.tls ? ({ tls: true } as const) : ({} as const);
  const sentinel = createSentinel({
    name: connection.masterName,
    sentinelRootNodes: connection.sentinels.map(({ host, port }) => ({ host, port })),
    nodeClientOptions: {
      ...credentialsOf(connection.nodeCredentials),
      disableOfflineQueue: true,
      pingInterval: 2000,
      socket: { ...NODE_SOCKET, ...tls, reconnectStrategy: (retries: number) => reconnectDelay(retries, tuning.maxReconnectDelayMs) },
    },
    sentinelClientOptions: {
      ...credentialsOf(connection.sentinelCredentials),
      socket: { connectTimeout: NODE_SOCKET.connectTimeout, ...tls },
    },
    passthroughClientErrorEvents: true,
    // One master connection reserved for everything else, three lent to writes that wait for a replica.
    masterPoolSize: 4,
    reserveClient: true,
    // A safety net besides the announcements: ask the sentinels again every 10 s.
    scanInterval: 10_000,
  });

  const state = connectionState(logger);
  let master: string | undefined;
  const masterAddress = () => {
    const node = sentinel.getMasterNode();
    return node ? `${node.host}:${node.port}` : undefined;
  };
  sentinel.on('error', (err: unknown) => {
    // The master connection's errors come through as "Master Client (host:port): …"
    // (`passthroughClientErrorEvents`); trouble with one sentinel does not stop service.
    if (err instanceof Error && err.message.startsWith('Master Client')) state.down(err.cause ?? err, { master });
    else if (state.isUp) logger.debug({ err: describe(err) }, 'Redis Sentinel error');
    else state.down(err);
  });
  sentinel.on('reconnecting', () => state.down(new Error('Sentinel is switching to another master'), { master }));
  sentinel.on('topology-change', (event: { type?: string; node?: { host: string; port: number } }) => {
    if (event.type !== 'MASTER_CHANGE' || !event.node) return;
    const address = `${event.node.host}:${event.node.port}`;
    if (master !== undefined && address !== master) logger.warn({ master: address, previous: master }, 'Redis Sentinel named a new master');
    master = address;
  });
  sentinel.on('ready', () => {
    master = masterAddress() ?? master;
    state.up({ master });
  });

  let closed = false;
  const connected = connectForever(() => sentinel.connect(), {
    maxDelayMs: tuning.maxReconnectDelayMs,
    closed: () => closed,
    onFailure: (err) => state.down(err),
  });

  /**
   * Refuses at once while there is no master to talk to (reconfiguring, or the master's
   * connection is down and the sentinels have not promoted another yet), instead of queueing.
   */
  const requireMaster = (): void => {
    if (!sentinel.isReady || sentinel.getMasterNode() === undefined) throw new Error('Redis Sentinel has no master connection');
  };
  const deadline = () => ({ abortSignal: AbortSignal.timeout(tuning.deadlineMs) });
  const scripts: EvalClient = {
    evalSha: async (sha, options) => (requireMaster(), sentinel.withCommandOptions(deadline()).evalSha(sha, options)),
    eval: async (source, options) => (requireMaster(), sentinel.withCommandOptions(deadline()).eval(source, options)),
  };

  return {
    scripts,
    commands: { sendCommand: async (args) => (requireMaster(), sentinel.sendCommand(false, args, deadline())) },
    replicated: {
      async session(_key, work) {
        requireMaster();
        // One signal for the whole write: the lease may be waited for, and nothing may run late.
        const options = { abortSignal: AbortSignal.timeout(tuning.deadlineMs + tuning.replicaWaitMs) };
        return sentinel.use(async (lease) => {
          const client = lease.withCommandOptions(options);
          return work({
            node: 'master',
            evalSha: (sha, o) => client.evalSha(sha, o),
            eval: (source, o) => client.eval(source, o),
            wait: async (replicas, timeoutMs) => replicaCount(await client.sendCommand(false, ['WAIT', String(replicas), String(timeoutMs)])),
          });
        });
      },
    },
    whenReady: () => connected,
    async close() {
      if (closed) return;
      closed = true;
      if (!sentinel.isOpen) return;
      if (!sentinel.isReady) {
        // Mid-(re)connection: nothing to finish, and its retry loop would hold close() for a second.
        void sentinel.destroy().catch(() => undefined);
        return;
      }
      await closeWithin(tuning.deadlineMs, () => sentinel.close(), () => sentinel.destroy());
    },
  };
}
