import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient } from 'redis';
import type { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { readyzBecomes } from '../helpers/net.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

/** Runs `request` and resolves with its response and how long it took. */
async function timed(request: () => Promise<Response>): Promise<{ res: Response; ms: number }> {
  const started = performance.now();
  const res = await request();
  return { res, ms: performance.now() - started };
}

describe('Redis outage (REDIS_URL set, Redis reached through a proxy the test can cut)', function () {
  this.timeout(30_000);
  const prefix = `test:${randomUUID()}:`;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  let proxy: TcpProxy;
  let system: System;
  let alice: CookieClient;

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    proxy = await startTcpProxy(REDIS);
    system = await startSystem({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix } });
    await readyzBecomes(system.url, 200, 5000);
    alice = await system.signIn('alice');
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await system?.close();
    await proxy?.close();
    const cleaner = createClient({ socket: REDIS });
    await cleaner.connect();
    for await (const keys of cleaner.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await cleaner.del(keys);
    await cleaner.close();
  });

  it('works while Redis answers', async () => {
    expect((await requestTicket(system, alice)).status).to.equal(200);
  });

  describe('when the connection to Redis is cut', () => {
    before(() => proxy.cut());

    it('answers a ticket request with a valid cookie 503 problem+json within a second or two', async () => {
      const { res, ms } = await timed(() => requestTicket(system, alice));
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).to.equal('2');
      // The per-session limiter is the first to need Redis on this route.
      expect(await res.json()).to.include({ code: 'rate_limit_unavailable', status: 503 });
      expect(ms).to.be.below(2000);
    });

    it('answers /auth/session for that cookie 503 too, never "not signed in"', async () => {
      const res = await alice.get(`${system.url}/auth/session`, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(503);
      expect(await res.json()).to.include({ code: 'session_store_unavailable' });
    });

    it('refuses to start a sign-in rather than keep its transaction in memory', async () => {
      const { res, ms } = await timed(() => system.browser().get(`${system.url}/auth/login`, { headers: { accept: 'application/json' } }));
      expect(res.status).to.equal(503);
      expect(res.headers.get('location')).to.equal(null);
      expect(ms).to.be.below(2000);
    });

    it('turns /readyz 503 naming sessionStore, fast', async () => {
      const { res, ms } = await timed(() => fetch(`${system.url}/readyz`));
      expect(res.status).to.equal(503);
      expect(await res.json()).to.include({ code: 'not_ready', failing: 'sessionStore' });
      expect(ms).to.be.below(2000);
    });

    it('keeps /healthz 200: the process is alive', async () => {
      expect((await fetch(`${system.url}/healthz`)).status).to.equal(200);
    });

    it('logs the loss once, without crashing or leaving unhandled rejections', () => {
      expect(system.logs.filter((line) => line.includes('Redis connection lost'))).to.have.lengthOf(1);
      expect(unhandled).to.deep.equal([]);
    });
  });

  describe('when Redis is reachable again', () => {
    before(() => proxy.restore());

    it('recovers by itself: /readyz 200 again', async () => {
      await readyzBecomes(system.url, 200, 10_000);
      expect(system.logs.some((line) => line.includes('Redis connection restored'))).to.equal(true);
    });

    it('serves the same session again: its data stayed in Redis', async () => {
      const res = await requestTicket(system, alice);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.have.keys('ticket', 'expiresAt');
    });
  });

  describe('when the connection hangs without closing (half-open)', () => {
    afterEach(() => proxy.thaw());

    it('still answers 503 within the deadline instead of waiting on the socket', async () => {
      proxy.freeze();
      const { res, ms } = await timed(() => requestTicket(system, alice));
      expect(res.status).to.equal(503);
      expect(await res.json()).to.include({ code: 'rate_limit_unavailable' });
      expect(ms).to.be.within(900, 2000);
      const ready = await timed(() => fetch(`${system.url}/readyz`));
      expect(ready.res.status).to.equal(503);
      expect(ready.ms).to.be.below(2000);
    });

    it('keeps the session once the connection flows again: a read that timed out never signs out', async () => {
      await readyzBecomes(system.url, 200, 10_000);
      expect((await requestTicket(system, alice)).status).to.equal(200);
      expect(unhandled).to.deep.equal([]);
    });
  });
});
