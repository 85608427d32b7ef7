import { z } from 'zod';
import { clean, optionalIntIn } from './rules.js';

/**
 * Where Redis is: one node (`REDIS_URL`), a master found through Sentinel
 * (`REDIS_SENTINEL_URLS` + `REDIS_SENTINEL_MASTER`), or a Cluster (`REDIS_CLUSTER_URLS`).
 * Exactly one of the three, or none (everything in this process's memory).
 *
 * Credentials and TLS: in `REDIS_URL` and the Cluster seeds they are part of the URLs and apply
 * to every data node (`rediss://` is TLS). In Sentinel mode the URLs are the sentinels', so their
 * credentials authenticate to the sentinels only; the master and replicas the sentinels name take
 * `REDIS_USERNAME`/`REDIS_PASSWORD`. `rediss://` there means TLS to the sentinels and to the data
 * nodes alike: a deployment that encrypts one hop and not the other is refused as a mistake.
 */

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisCredentials {
  /** An ACL user; without one, the `default` user. */
  readonly username?: string;
  readonly password: string;
}

export type RedisConnection =
  | { readonly mode: 'single'; readonly url: string }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNodeAddress[];
      readonly masterName: string;
      /** From the sentinel URLs. */
      readonly sentinelCredentials: RedisCredentials | undefined;
      /** `REDIS_USERNAME`/`REDIS_PASSWORD`: the master and replicas. */
      readonly nodeCredentials: RedisCredentials | undefined;
      readonly tls: boolean;
    }
  | { readonly mode: 'cluster'; readonly seeds: readonly RedisNodeAddress[]; readonly credentials: RedisCredentials | undefined; readonly tls: boolean };

/** A parsed `REDIS_SENTINEL_URLS` or `REDIS_CLUSTER_URLS`. */
export interface RedisNodeList {
  readonly nodes: readonly RedisNodeAddress[];
  readonly tls: boolean;
  readonly credentials: RedisCredentials | undefined;
}

/** Default of `REDIS_REPLICA_WAIT_MS`: far above a healthy replica's acknowledgement (about a millisecond). */
export const DEFAULT_REPLICA_WAIT_MS = 500;

export const redisUrl = z
  .string()
  .trim()
  .optional()
  .refine((s) => s === undefined || s === '' || /^rediss?:\/\//.test(s), 'must be a redis:// or rediss:// URL')
  .transform((s) => (s ? s : undefined));

const sameCredentials = (a: RedisCredentials | undefined, b: RedisCredentials | undefined): boolean =>
  a?.username === b?.username && a?.password === b?.password;

/**
 * Comma-separated `redis[s]://[user:password@]host[:port]`. Entries are named by position, never
 * echoed: they may carry a password.
 */
const redisNodeList = (defaultPort: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx): RedisNodeList | undefined => {
      const items = (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      if (items.length === 0) return undefined;
      const refuse = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      const nodes: RedisNodeAddress[] = [];
      const schemes = new Set<string>();
      let credentials: RedisCredentials | undefined;
      for (const [index, item] of items.entries()) {
        const entry = `entry ${index + 1}`;
        const url = URL.canParse(item) ? new URL(item) : undefined;
        if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
          return refuse(`${entry} is not a redis://host:port or rediss://host:port URL`);
        }
        if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
          return refuse(`${entry} must be redis[s]://[user:password@]host[:port] without a path or query (these modes use database 0)`);
        }
        if (url.username && !url.password) return refuse(`${entry} names a user without a password`);
        const own = url.password
          ? { ...(url.username ? { username: decodeURIComponent(url.username) } : {}), password: decodeURIComponent(url.password) }
          : undefined;
        if (index > 0 && !sameCredentials(own, credentials)) {
          return refuse('entries carry different credentials: give every entry the same user and password, or none');
        }
        credentials = own;
        schemes.add(url.protocol);
        const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
        const port = url.port ? Number(url.port) : defaultPort;
        if (!nodes.some((n) => n.host === host && n.port === port)) nodes.push({ host, port });
      }
      if (schemes.size > 1) return refuse('mixes redis:// and rediss://: TLS is all or nothing');
      return { nodes, tls: schemes.has('rediss:'), credentials };
    });

/** The Redis variables, each checked on its own; {@link redisRules} ties them together. */
export const redisVariables = {
  REDIS_URL: redisUrl,
  REDIS_SENTINEL_URLS: redisNodeList(26379),
  REDIS_SENTINEL_MASTER: z
    .string()
    .trim()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || /^[A-Za-z0-9._-]{1,100}$/.test(s), 'must be 1..100 letters, digits, . _ -'),
  REDIS_USERNAME: z
    .string()
    .trim()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || /^[\x21-\x7e]{1,128}$/.test(s), 'must be 1..128 visible ASCII characters without spaces'),
  REDIS_PASSWORD: z
    .string()
    .optional()
    .transform((s) => (s ? s : undefined)),
  REDIS_CLUSTER_URLS: redisNodeList(6379),
  // Unset is undefined here (the default applies in `redisSettings`), so a value set for a mode
  // that never waits can be refused.
  REDIS_REPLICA_WAIT_MS: optionalIntIn(0, 10_000),
};

type RedisEnv = z.output<z.ZodObject<typeof redisVariables>>;

const MODES = ['REDIS_URL', 'REDIS_SENTINEL_URLS', 'REDIS_CLUSTER_URLS'] as const;
const EXACTLY_ONE = 'set exactly one of REDIS_URL, REDIS_SENTINEL_URLS, REDIS_CLUSTER_URLS';

/** The rules across the Redis variables, as refinements that run even when other variables are bad. */
export const redisRules: ReadonlyArray<{
  check: (e: RedisEnv) => boolean;
  path: keyof RedisEnv;
  message: string;
  when: ReturnType<typeof clean>;
}> = [
  {
    check: (e) => e.REDIS_SENTINEL_URLS === undefined || e.REDIS_URL === undefined,
    path: 'REDIS_SENTINEL_URLS',
    message: `cannot be combined with REDIS_URL: ${EXACTLY_ONE}`,
    when: clean('REDIS_URL', 'REDIS_SENTINEL_URLS'),
  },
  {
    check: (e) => e.REDIS_CLUSTER_URLS === undefined || (e.REDIS_URL === undefined && e.REDIS_SENTINEL_URLS === undefined),
    path: 'REDIS_CLUSTER_URLS',
    message: `cannot be combined with REDIS_URL or REDIS_SENTINEL_URLS: ${EXACTLY_ONE}`,
    when: clean(...MODES),
  },
  {
    check: (e) => e.REDIS_SENTINEL_URLS === undefined || e.REDIS_SENTINEL_MASTER !== undefined,
    path: 'REDIS_SENTINEL_MASTER',
    message: 'is required with REDIS_SENTINEL_URLS (the master name the sentinels monitor)',
    when: clean('REDIS_SENTINEL_URLS', 'REDIS_SENTINEL_MASTER'),
  },
  {
    check: (e) => e.REDIS_SENTINEL_MASTER === undefined || e.REDIS_SENTINEL_URLS !== undefined,
    path: 'REDIS_SENTINEL_MASTER',
    message: 'is read only with REDIS_SENTINEL_URLS: set the sentinels too, or remove it',
    when: clean('REDIS_SENTINEL_URLS', 'REDIS_SENTINEL_MASTER'),
  },
  {
    check: (e) => e.REDIS_PASSWORD === undefined || e.REDIS_SENTINEL_URLS !== undefined,
    path: 'REDIS_PASSWORD',
    message: 'is read only with REDIS_SENTINEL_URLS; with REDIS_URL or REDIS_CLUSTER_URLS the credentials go in the URLs',
    when: clean('REDIS_SENTINEL_URLS', 'REDIS_PASSWORD'),
  },
  {
    check: (e) => e.REDIS_USERNAME === undefined || e.REDIS_PASSWORD !== undefined,
    path: 'REDIS_USERNAME',
    message: 'needs REDIS_PASSWORD (a user without a password cannot authenticate)',
    when: clean('REDIS_USERNAME', 'REDIS_PASSWORD'),
  },
  {
    check: (e) => e.REDIS_REPLICA_WAIT_MS === undefined || e.REDIS_SENTINEL_URLS !== undefined || e.REDIS_CLUSTER_URLS !== undefined,
    path: 'REDIS_REPLICA_WAIT_MS',
    message: 'is read only with REDIS_SENTINEL_URLS or REDIS_CLUSTER_URLS (there is no replica to wait for otherwise)',
    when: clean(...MODES, 'REDIS_REPLICA_WAIT_MS'),
  },
];

/** The parsed Redis variables as the config's `redis` part (after {@link redisRules} passed). */
export function redisSettings(e: RedisEnv & { REDIS_KEY_PREFIX: string }): {
  connection: RedisConnection | undefined;
  keyPrefix: string;
  replicaWaitMs: number;
} {
  const replicated = (connection: RedisConnection) => ({
    connection,
    keyPrefix: e.REDIS_KEY_PREFIX,
    replicaWaitMs: e.REDIS_REPLICA_WAIT_MS ?? DEFAULT_REPLICA_WAIT_MS,
  });
  if (e.REDIS_SENTINEL_URLS) {
    const { nodes, tls, credentials } = e.REDIS_SENTINEL_URLS;
    return replicated({
      mode: 'sentinel',
      sentinels: nodes,
      masterName: e.REDIS_SENTINEL_MASTER ?? '',
      sentinelCredentials: credentials,
      nodeCredentials: e.REDIS_PASSWORD ? { ...(e.REDIS_USERNAME ? { username: e.REDIS_USERNAME } : {}), password: e.REDIS_PASSWORD } : undefined,
      tls,
    });
  }
  if (e.REDIS_CLUSTER_URLS) {
    const { nodes, tls, credentials } = e.REDIS_CLUSTER_URLS;
    return replicated({ mode: 'cluster', seeds: nodes, credentials, tls });
  }
  return {
    connection: e.REDIS_URL ? { mode: 'single', url: e.REDIS_URL } : undefined,
    keyPrefix: e.REDIS_KEY_PREFIX,
    replicaWaitMs: 0,
  };
}
