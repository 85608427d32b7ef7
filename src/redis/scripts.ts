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

/** Runs scripts by SHA, loading each on the first `NOSCRIPT` (a restart, a failover, a new node). */
export class RedisScripts {
  readonly #client: EvalClient;

  constructor(client: EvalClient) {
    this.#client = client;
  }

  async run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await this.#client.evalSha(script.sha, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.#client.eval(script.source, options);
    }
  }
}
