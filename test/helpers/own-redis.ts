/**
 * A redis-server of one test's own, for what must not touch the shared Redis on 6379 while other
 * test files use it in parallel (`SCRIPT FLUSH`, say): an ephemeral port, no persistence, files in
 * a temp dir, stopped and removed when `work` ends, however it ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_PASSWORD, redisCommand, startRedis } from '../deploy/helpers/redis-ha.js';

export interface OwnRedis {
  /** `redis://` URL with the password. */
  readonly url: string;
  /** One command on a connection of its own. */
  command(args: string[]): Promise<unknown>;
}

export async function withOwnRedis<T>(work: (redis: OwnRedis) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'own-redis-'));
  try {
    const server = await startRedis(dir, 'redis');
    try {
      return await work({ url: `redis://:${DATA_PASSWORD}@127.0.0.1:${server.port}`, command: (args) => redisCommand(server.port, args) });
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
