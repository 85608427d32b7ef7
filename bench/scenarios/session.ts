/**
 * Scenario 2, an authenticated session read: `GET /auth/session` on the real gateway with
 * alice's signed-in session, once with the bounded memory store and once with Redis. Every
 * layer a production request meets is on: request logging, metrics, helmet, CORS, signed
 * cookie, store read, lifetime checks, rolling cookie and TTL touch.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { createClient } from 'redis';
import type { Target } from '../types.js';
import { prepareGateway, type BenchGateway } from './gateway.js';
import { stopAll, type LoadScenario } from './scenario.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** True when something accepts TCP on Redis' port within half a second. */
function redisListening(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 6379, timeout: 500 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true)).once('timeout', () => done(false)).once('error', () => done(false));
  });
}

/** Deletes every key under `prefix`: the bench leaves a shared Redis as it found it. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {}); // reported by the rejected command below
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}

function sessionTarget(id: string, label: string, gw: BenchGateway): Target {
  return { id, scenario: 2, label, url: `${gw.url}/auth/session`, method: 'GET', headers: { cookie: gw.cookie }, expectStatus: 200 };
}

export const session: LoadScenario = {
  id: 'session',
  number: 2,
  title: 'Authenticated session read: GET /auth/session',
  async prepare() {
    const memory = await prepareGateway('bench-memory');
    const redis = (await redisListening()) ? await prepareGateway('bench-redis') : undefined;
    return {
      clients: [memory.client, ...(redis ? [redis.client] : [])],
      async start({ idp }) {
        const stops: Array<() => Promise<void>> = [];
        const notes: string[] = [];
        try {
          const mem = await memory.start(idp);
          stops.push(() => mem.close());
          const targets = [sessionTarget('session-memory', 'gateway, memory store', mem)];
          if (redis) {
            // A prefix of its own: never touches keys of tests or other runs sharing this Redis.
            const prefix = `bench:${process.pid}:${randomBytes(4).toString('hex')}:`;
            stops.push(() => deleteRedisKeys(prefix));
            const gw = await redis.start(idp, { REDIS_URL, REDIS_KEY_PREFIX: prefix });
            stops.push(() => gw.close());
            targets.push(sessionTarget('session-redis', 'gateway, Redis store', gw));
          } else {
            notes.push('Redis store skipped: nothing listens on 127.0.0.1:6379.');
          }
          return { targets, notes, stop: () => stopAll(stops) };
        } catch (err) {
          await stopAll(stops).catch(() => {});
          throw err;
        }
      },
    };
  },
};
