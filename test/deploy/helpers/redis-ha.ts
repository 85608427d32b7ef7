/**
 * Debian's redis-server as the Redis HA tests need it, every process on an ephemeral loopback
 * port with its files in the test's temp dir: a master with a replica watched by three sentinels
 * (`redis-server --sentinel`), or a Cluster made with `redis-cli --cluster create`. Nothing here
 * touches the shared Redis on 6379.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort } from '../../helpers/net.js';
import { startProcess, type HelperProcess } from './processes.js';

export interface RedisProcess extends HelperProcess {
  readonly port: number;
}

/**
 * Every process here requires a password, so the gateway's credentials are exercised too: the
 * data nodes take one, the sentinels another (Sentinel keeps them apart).
 */
export const DATA_PASSWORD = 'data-node-NEVER-LEAK-4f9c2a';
export const SENTINEL_PASSWORD = 'sentinel-NEVER-LEAK-7b1d3e';
const passwords = new Map<number, string>();

/** One command to 127.0.0.1:`port` (with its password) on a connection of its own: a test's probe, no retries. */
export async function redisCommand(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ password: passwords.get(port), socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 1000 } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** `INFO section` as a map of its `field:value` lines. */
export async function info(port: number, section: string): Promise<Record<string, string>> {
  const text = String(await redisCommand(port, ['INFO', section]));
  return Object.fromEntries(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/**
 * Ready when the server on `port` is this very process: the port was free when picked, but another
 * test file's server (with the same password) could have taken it before redis-server bound it.
 */
const servedBy = async (port: number, pid: number | undefined) => (await info(port, 'server')).process_id === String(pid);

/** Starts `redis-server` with `lines` as its config file (port, bind, dir and no persistence added). */
export async function startRedis(dir: string, name: string, lines: string[] = [], sentinel = false): Promise<RedisProcess> {
  const port = await freePort();
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const file = join(home, sentinel ? 'sentinel.conf' : 'redis.conf');
  const password = sentinel ? SENTINEL_PASSWORD : DATA_PASSWORD;
  passwords.set(port, password);
  const base = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${home}`,
    `requirepass ${password}`,
    // A master demoted by a failover authenticates to the new one like any replica.
    ...(sentinel ? [] : ['save ""', 'appendonly no', `masterauth ${DATA_PASSWORD}`]),
  ];
  writeFileSync(file, [...base, ...lines].join('\n') + '\n');
  const args = sentinel ? [file, '--sentinel'] : [file];
  const started = await startProcess('redis-server', args, { ready: (child) => servedBy(port, child.pid) });
  return Object.assign(started, { port });
}

export interface SentinelSetup {
  readonly master: RedisProcess;
  readonly replica: RedisProcess;
  readonly sentinels: readonly RedisProcess[];
  readonly masterName: string;
  /** `REDIS_SENTINEL_URLS`, with the sentinels' password; the data nodes take {@link DATA_PASSWORD}. */
  readonly urls: string;
  /** Where the sentinels say the master is now (`host:port`). */
  currentMaster(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A master, a replica and three sentinels (quorum 2) that notice a dead master within a second.
 * Resolves once the replica is in sync and every sentinel knows the replica and the other two,
 * so a failover can happen from then on.
 */
export async function startSentinelSetup(dir: string, masterName = 'gateway'): Promise<SentinelSetup> {
  const started: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop(2000)));
  };
  try {
    const master = await startRedis(dir, 'master');
    started.push(master);
    const replica = await startRedis(dir, 'replica', [`replicaof 127.0.0.1 ${master.port}`]);
    started.push(replica);
    const sentinels: RedisProcess[] = [];
    for (let i = 1; i <= 3; i += 1) {
      const sentinel = await startRedis(
        dir,
        `sentinel-${i}`,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
          `sentinel auth-pass ${masterName} ${DATA_PASSWORD}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 3000`,
          `sentinel parallel-syncs ${masterName} 1`,
        ],
        true,
      );
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const setup: SentinelSetup = {
      master,
      replica,
      sentinels,
      masterName,
      urls: sentinels.map((s) => `redis://:${SENTINEL_PASSWORD}@127.0.0.1:${s.port}`).join(','),
      async currentMaster() {
        const reply = (await redisCommand(sentinels[0]!.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName])) as string[];
        return `${reply[0]}:${reply[1]}`;
      },
      stop,
    };
    await until(async () => (await info(replica.port, 'replication')).master_link_status === 'up', 'the replica to sync', 20_000);
    for (const sentinel of sentinels) {
      await until(
        async () => {
          const fields = asRecord(await redisCommand(sentinel.port, ['SENTINEL', 'MASTER', masterName]));
          return String(fields['num-slaves']) === '1' && String(fields['num-other-sentinels']) === '2';
        },
        `sentinel on ${sentinel.port} to know the replica and the other sentinels`,
        30_000,
      );
    }
    return setup;
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface ClusterSetup {
  readonly nodes: readonly RedisProcess[];
  /** `REDIS_CLUSTER_URLS`, with the nodes' password. */
  readonly urls: string;
  /** The node (port) that serves `key` now. */
  nodeFor(key: string): Promise<number>;
  stop(): Promise<void>;
}

/** `count` masters (no replicas) joined by `redis-cli --cluster create`; resolves once the cluster is `ok` on every node. */
export async function startCluster(dir: string, count = 3): Promise<ClusterSetup> {
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((p) => p.stop(2000)));
  };
  try {
    for (let i = 1; i <= count; i += 1) {
      nodes.push(
        await startRedis(dir, `node-${i}`, ['cluster-enabled yes', `cluster-config-file ${join(dir, `node-${i}`, 'nodes.conf')}`, 'cluster-node-timeout 2000']),
      );
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, REDISCLI_AUTH: DATA_PASSWORD },
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const node of nodes) await until(async () => (await info(node.port, 'cluster')).cluster_enabled === '1' && (await clusterState(node.port)) === 'ok', 'cluster_state:ok', 30_000);
    const slotOwners = async (): Promise<Array<[from: number, to: number, port: number]>> =>
      ((await redisCommand(nodes[0]!.port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>).map(([from, to, [, port]]) => [from, to, port]);
    return {
      nodes,
      urls: nodes.map((n) => `redis://:${DATA_PASSWORD}@127.0.0.1:${n.port}`).join(','),
      async nodeFor(key) {
        const slot = Number(await redisCommand(nodes[0]!.port, ['CLUSTER', 'KEYSLOT', key]));
        const owner = (await slotOwners()).find(([from, to]) => slot >= from && slot <= to);
        if (!owner) throw new Error(`no node serves slot ${slot}`);
        return owner[2];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A reply that is a map in RESP3 and a flat list of pairs in RESP2, as an object. */
function asRecord(reply: unknown): Record<string, unknown> {
  if (!Array.isArray(reply)) return reply as Record<string, unknown>;
  return Object.fromEntries(reply.flatMap((v: unknown, i) => (i % 2 === 0 ? [[String(v), reply[i + 1]]] : [])));
}

async function clusterState(port: number): Promise<string | undefined> {
  const text = String(await redisCommand(port, ['CLUSTER', 'INFO']));
  return /cluster_state:(\w+)/.exec(text)?.[1];
}

/** Polls `check` every 100 ms for at most `ms` (errors count as "not yet"); throws naming `what`. */
export async function until(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (await check().catch(() => false)) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}
