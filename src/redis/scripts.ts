import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, as `EVALSHA` names it. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** Defines a script once, at module load. */
export function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * The one thing the adapters need from a Redis connection: `EVALSHA`, and `EVAL` to load a
 * script the server does not know yet. A single client, a Sentinel-managed client and a Cluster
 * client all offer both, and a Cluster client routes each call by its first key; every script
 * here touches keys of one hash slot only, so each is one atomic step on the node that owns it.
 */
export interface EvalClient {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** A connection to one master on which a script and the `WAIT` after it travel together. */
export interface ReplicaAwareClient extends EvalClient {
  /** Which master (its address in a Cluster): replicas are tracked per master. */
  readonly node: string;
  /** `WAIT replicas timeoutMs`: how many replicas have every write this connection sent so far. */
  wait(replicas: number, timeoutMs: number): Promise<number>;
}

/**
 * Where writes can wait for a replica (Sentinel, Cluster). `WAIT` counts the writes of the
 * connection it is sent on, so the script and its `WAIT` must share one: `session` lends a
 * connection to the master that owns `key`, kept apart from the shared one, because a `WAIT`
 * blocks its connection for as long as it waits.
 */
export interface ReplicatedWriter {
  session<T>(key: string, work: (client: ReplicaAwareClient) => Promise<T>): Promise<T>;
}

/** Options of {@link RedisScripts} where replicas exist. */
export interface ReplicationOptions {
  writer: ReplicatedWriter;
  /** Longest wait for one replica's acknowledgement, in ms; 0 never waits. */
  waitMs: number;
  /** Told how many replicas of `node` acknowledged each write that waited (0: none within `waitMs`). */
  onAcknowledged?: (replicas: number, node: string) => void;
}

/** Redis' reply to `EVALSHA` for a script it does not hold (after a restart, a failover, `SCRIPT FLUSH`). */
export const isNoScriptError = (err: unknown): err is Error => err instanceof Error && err.message.startsWith('NOSCRIPT');

async function runOn(client: EvalClient, script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  const options = { keys, arguments: args.map(String) };
  try {
    return await client.evalSha(script.sha, options);
  } catch (err) {
    if (!isNoScriptError(err)) throw err;
    return client.eval(script.source, options);
  }
}

/**
 * After a wait that no replica answered, how long further writes go without waiting. Waiting then
 * only slows them down (a sign-out at a time, up to the bound each) without making them durable;
 * the first write after this pause waits again, to find out whether a replica is back.
 */
const UNREPLICATED_PAUSE_MS = 5000;

/** Runs scripts by SHA, loading each on the first `NOSCRIPT` (a restart, a failover, a new node). */
export class RedisScripts {
  readonly #client: EvalClient;
  readonly #replication: ReplicationOptions | undefined;
  /** Per master: when a wait last found no replica (absent while replicas answer), and whether one write is finding out again. */
  readonly #unreplicated = new Map<string, { since: number; probing: boolean }>();

  constructor(client: EvalClient, replication?: ReplicationOptions) {
    this.#client = client;
    this.#replication = replication && replication.waitMs > 0 ? replication : undefined;
  }

  /** How much longer than a plain run {@link RedisScripts.runReplicated} may take, in ms. */
  get replicaWaitMs(): number {
    return this.#replication?.waitMs ?? 0;
  }

  run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return runOn(this.#client, script, keys, args);
  }

  /**
   * Runs a write that must not come undone in a failover (one that ends a session), then waits
   * up to `waitMs` until a replica has it. Replication is asynchronous: without the wait, a
   * master that acknowledged the write and died before sending it on would leave a promoted
   * replica that never saw it. No replica within the bound (none attached, or lagging) is
   * reported through `onAcknowledged` and the write stands on the master alone, as do the
   * writes to that master in the next few seconds, which do not wait (one waits again after
   * that). A connection lost before the replicas answered fails the call, so the caller is not
   * told it is durable. Without replicas (a single node) it is {@link RedisScripts.run}.
   */
  async runReplicated(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    const replication = this.#replication;
    const key = keys[0];
    if (!replication || key === undefined) return this.run(script, keys, args);
    return replication.writer.session(key, async (client) => {
      const reply = await runOn(client, script, keys, args);
      const state = this.#unreplicated.get(client.node);
      // One write at a time finds out whether a replica is back; meanwhile the others do not wait.
      if (state && (state.probing || Date.now() - state.since < UNREPLICATED_PAUSE_MS)) return reply;
      if (state) state.probing = true;
      try {
        const replicas = await client.wait(1, replication.waitMs);
        if (replicas > 0) this.#unreplicated.delete(client.node);
        else this.#unreplicated.set(client.node, { since: Date.now(), probing: false });
        replication.onAcknowledged?.(replicas, client.node);
      } finally {
        if (state) state.probing = false;
      }
      return reply;
    });
  }
}
