import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient } from 'redis';
import type { RedisCommandSender } from '../../src/http/rate-limit.js';
import { MemorySessionStore } from '../../src/session/index.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';
import { withOwnRedis } from '../helpers/own-redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
type Redis = ReturnType<typeof createClient>;

/** Every key under a prefix, to check what the limiter stored and to clean up after. */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
  return keys;
}

describe('rate limiting (Redis store)', function () {
  let redis: Redis;
  let prefix: string;
  const systems: System[] = [];

  /** Two gateway instances on one Redis, as behind a load balancer; sessions shared as well. */
  async function twoInstances(env: Record<string, string>, client: RedisCommandSender = { sendCommand: (args) => redis.sendCommand(args) }): Promise<[System, System]> {
    const sessionStore = new MemorySessionStore({ pruneIntervalMs: 0 });
    const start = () =>
      startSystem({
        env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env },
        deps: { redisClient: client, sessionStore },
      });
    const pair: [System, System] = [await start(), await start()];
    systems.push(...pair);
    return pair;
  }

  before(async () => {
    redis = createClient({ url: REDIS_URL });
    await redis.connect();
  });
  beforeEach(() => {
    prefix = `test-${randomUUID()}:`;
  });
  afterEach(async () => {
    await Promise.all(systems.splice(0).map((s) => s.close()));
    const keys = await keysUnder(redis, prefix);
    if (keys.length > 0) await redis.del(keys);
  });
  after(async () => {
    await redis.quit();
  });

  it('shares one session\'s ticket budget between two instances', async () => {
    const [a, b] = await twoInstances({ RATE_LIMIT_TICKETS_PER_MINUTE: '2' });
    // Cookies are per host, not per port: the browser signed in at A sends its cookie to B too.
    const alice = await a.signIn('alice');
    expect((await requestTicket(a, alice)).status).to.equal(200);
    expect((await requestTicket(b, alice)).status).to.equal(200);

    const refused = await requestTicket(b, alice);
    expect(refused.status).to.equal(429);
    expect(((await refused.json()) as { code: string }).code).to.equal('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await requestTicket(a, alice)).status).to.equal(429);
    expect(a.emulator.requests.length + b.emulator.requests.length).to.equal(2);

    const keys = await keysUnder(redis, `${prefix}rl:tickets:`);
    expect(keys).to.have.length(1);
    expect(keys[0]).to.match(/^test-[0-9a-f-]+:rl:tickets:sid:/);
    const ttl = await redis.pTTL(keys[0] as string);
    expect(ttl).to.be.within(1, 60_000);
  });

  it('shares one client IP\'s login budget between two instances', async () => {
    const [a, b] = await twoInstances({ RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '3' });
    const login = (system: System) => system.browser().get(`${system.url}/auth/login`);
    expect((await login(a)).status).to.equal(303);
    expect((await login(b)).status).to.equal(303);
    expect((await login(a)).status).to.equal(303);
    expect((await login(b)).status).to.equal(429);
    expect((await login(a)).status).to.equal(429);
    expect(await keysUnder(redis, `${prefix}rl:logins:`)).to.have.length(1);
  });

  it('charges a browser whose user signed in before to that user, on every instance, not to the IP', async () => {
    const [a, b] = await twoInstances({ RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '2', RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE: '2' });
    const alice = await a.signIn('alice'); // cookieless at its start: 1 of the IP's 2
    const login = (system: System, browser = system.browser()) => browser.get(`${system.url}/auth/login`);
    expect((await login(b)).status).to.equal(303);
    expect((await login(a)).status).to.equal(429);
    expect((await login(b, alice)).status).to.equal(303);
    expect((await login(a, alice)).status).to.equal(303);
    expect((await login(b, alice)).status).to.equal(429);
    const kinds = (await keysUnder(redis, `${prefix}rl:logins:`)).map((key) => key.slice(prefix.length).split(':').slice(0, 3).join(':'));
    expect(kinds.sort()).to.deep.equal(['rl:logins:ip', 'rl:logins:user']);
  });

  it('uses the app\'s own Redis client when none is injected, from the first request on', async () => {
    const system = await startSystem({ env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '2' } });
    systems.push(system);
    await readyzBecomes(system.url, 200, 5000);
    const login = () => system.browser().get(`${system.url}/auth/login`);
    expect((await login()).status).to.equal(303);
    expect((await login()).status).to.equal(303);
    expect((await login()).status).to.equal(429);
    expect(await keysUnder(redis, `${prefix}rl:logins:`)).to.have.length(1);
  });

  describe('when Redis fails', () => {
    it('answers 503 problem+json (never admits requests unlimited) and recovers by itself', async () => {
      let down = true;
      // Down from the start, before the limiter ever counted.
      const flaky: RedisCommandSender = {
        sendCommand: (args) => (down ? Promise.reject(new Error('connection refused (simulated)')) : redis.sendCommand(args)),
      };
      const [a] = await twoInstances({ RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '2' }, flaky);
      const failed = await a.browser().get(`${a.url}/auth/login`);
      expect(failed.status).to.equal(503);
      expect(failed.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(((await failed.json()) as { code: string }).code).to.equal('rate_limit_unavailable');
      expect(failed.headers.get('location')).to.equal(null);

      down = false;
      expect((await a.browser().get(`${a.url}/auth/login`)).status).to.equal(303);
      expect((await a.browser().get(`${a.url}/auth/login`)).status).to.equal(303);
      expect((await a.browser().get(`${a.url}/auth/login`)).status).to.equal(429);
    });

    it('keeps counting, and serves without a 503, when Redis forgot its scripts (a restart or a failover)', async () => {
      // A Redis of this test's own: SCRIPT FLUSH on the shared one would hit other files' gateways.
      await withOwnRedis(async (own) => {
        const system = await startSystem({ env: { REDIS_URL: own.url, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '3' } });
        systems.push(system);
        await readyzBecomes(system.url, 200, 5000);
        const login = async () => (await system.browser().get(`${system.url}/auth/login`)).status;
        expect(await login()).to.equal(303);
        expect(await own.command(['SCRIPT', 'FLUSH'])).to.equal('OK');
        // Every script the gateway runs is gone: the login limiter's, the login transaction's, the session's.
        const alice = await system.signIn('alice');
        expect((await requestTicket(system, alice)).status).to.equal(200);
        expect(await login()).to.equal(303);
        expect(await login()).to.equal(429); // the count went on across the flush: 3 of 3
        await Promise.all(systems.splice(0).map((s) => s.close()));
      });
    });

    it('answers 503 within its deadline when Redis never replies', async () => {
      const silent: RedisCommandSender = { sendCommand: () => new Promise(() => undefined) };
      const [a] = await twoInstances({}, silent);
      for (let i = 0; i < 2; i += 1) {
        const started = Date.now();
        const res = await a.browser().get(`${a.url}/auth/login`);
        expect(res.status).to.equal(503);
        expect(Date.now() - started).to.be.below(1500);
      }
    });
  });
});
