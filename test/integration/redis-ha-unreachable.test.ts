import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { StoreUnavailableError } from '../../src/redis/errors.js';
import { createRedisResources, type RedisResources } from '../../src/redis/resources.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';

/** Loopback ports nobody listens on: sentinels or seeds that never answer. */
const deadPorts = async (count: number) => Promise.all(Array.from({ length: count }, () => freePort()));

const base = {
  PUBLIC_URL: 'http://127.0.0.1:3000',
  SESSION_SECRET: 's'.repeat(32),
  OIDC_ISSUER_URL: 'http://127.0.0.1:1',
  OIDC_CLIENT_ID: 'gateway',
  OIDC_CLIENT_SECRET: 'client-secret',
  ONETALK_API_KEY: 'key-123',
  REDIS_KEY_PREFIX: 'test-unreachable:',
};

const modes: Array<[string, (ports: number[]) => Record<string, string>]> = [
  ['Sentinel', (ports) => ({ REDIS_SENTINEL_URLS: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), REDIS_SENTINEL_MASTER: 'gateway' })],
  ['Cluster', (ports) => ({ REDIS_CLUSTER_URLS: ports.map((p) => `redis://127.0.0.1:${p}`).join(',') })],
];

for (const [mode, env] of modes) {
  describe(`Redis ${mode} that cannot be reached`, function () {
    this.timeout(15_000);
    const lines: Array<{ msg?: string; level?: number }> = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    let resources: RedisResources;

    before(async () => {
      process.on('unhandledRejection', onUnhandled);
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as { msg?: string });
          done();
        },
      });
      const config = loadConfig({ ...base, ...env(await deadPorts(3)) });
      resources = createRedisResources(config, pino({ level: 'debug' }, sink), { deadlineMs: 1000, maxReconnectDelayMs: 100 });
    });

    after(async () => {
      process.off('unhandledRejection', onUnhandled);
      await resources?.close();
    });

    it('fails every operation at once with StoreUnavailableError, never waiting out the deadline', async () => {
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['ping', () => resources.sessionStore.ping()],
        ['get', () => resources.sessionStore.get('tag.key')],
        ['destroy', () => resources.sessionStore.destroy('tag.key')],
        ['transaction', () => resources.transactions.put('s'.repeat(22), { binding: 'b' } as never)],
        ['replay guard', () => resources.logoutReplay.firstUse('jti', 1000)],
      ];
      for (const [name, operation] of operations) {
        const started = performance.now();
        const err = await operation().then(
          () => expect.fail(`${name} succeeded without Redis`),
          (e: unknown) => e,
        );
        expect(err, name).to.be.instanceOf(StoreUnavailableError);
        expect(performance.now() - started, name).to.be.below(500);
      }
      const started = performance.now();
      const refused = await resources.commands.sendCommand(['PING'], 'k').then(
        () => 'answered',
        () => 'refused',
      );
      expect(refused).to.equal('refused');
      expect(performance.now() - started).to.be.below(500);
    });

    it('keeps retrying in the background and logs "Redis unreachable" once, not once per attempt', async () => {
      await until(() => lines.filter((l) => l.msg === 'Redis still unreachable').length >= 2, 'several failed connection attempts', 10_000);
      expect(lines.filter((l) => l.msg === 'Redis unreachable')).to.have.length(1);
      expect(lines.filter((l) => (l.level ?? 0) >= 50 && l.msg !== 'Redis unreachable')).to.deep.equal([]);
      expect(unhandled).to.deep.equal([]);
    });

    it('closes at once while still unconnected', async () => {
      const started = performance.now();
      await resources.close();
      expect(performance.now() - started).to.be.below(1500);
    });
  });
}
