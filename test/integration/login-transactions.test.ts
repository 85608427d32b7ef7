import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryTransactionStore } from '../../src/auth/transactions.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { startSystem, type System } from '../helpers/gateway.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';

const json = { accept: 'application/json' };

/** Starts a sign-in in `browser` and signs in at the IdP; the callback URL, not yet fetched. */
async function pendingCallback(system: System, browser: CookieClient, login = 'alice'): Promise<URL> {
  const start = await browser.get(`${system.url}/auth/login`);
  expect(start.status).to.equal(303);
  return browser.signInAt(start.headers.get('location')!, login);
}

async function signedIn(system: System, browser: CookieClient): Promise<boolean> {
  return ((await (await browser.get(`${system.url}/auth/session`)).json()) as { authenticated: boolean }).authenticated;
}

/** The callback with a leaked `state` cannot cancel the sign-in of the browser that started it. */
function strangerCannotCancel(start: () => Promise<System>): void {
  let system: System;
  before(async () => {
    system = await start();
  });
  after(async () => {
    await system.close();
  });

  it('refuses a stranger who learned the state (400), and the victim\'s sign-in still completes', async () => {
    const victim = new CookieClient();
    const callback = await pendingCallback(system, victim);
    // Without any cookie, and with a login cookie of the stranger's own.
    const stranger = new CookieClient();
    expect((await stranger.get(callback, { headers: json })).status).to.equal(400);
    expect((await stranger.get(`${system.url}/auth/login`)).status).to.equal(303);
    const refused = await stranger.get(callback, { headers: json });
    expect(refused.status).to.equal(400);
    expect(await refused.json()).to.include({ code: 'login_expired' });
    expect(await signedIn(system, stranger)).to.equal(false);

    const done = await victim.get(callback);
    expect(done.status).to.equal(303);
    expect(await signedIn(system, victim)).to.equal(true);
    // …once: the victim's own replay is refused.
    expect((await victim.get(callback, { headers: json })).status).to.equal(400);
  });
}

describe('login transactions', function () {
  describe('in memory', () => strangerCannotCancel(() => startSystem()));

  describe('in Redis', () => {
    const prefix = `test-${randomUUID()}:`;
    after(() => dropKeys(prefix));
    strangerCannotCancel(() => startSystem({ env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } }));
  });

  describe('the callback without a login cookie the gateway issued', () => {
    let system: System;
    let takes = 0;
    before(async () => {
      const store = new MemoryTransactionStore({ ttlMs: 600_000 });
      const takeBound = store.takeBound.bind(store);
      store.takeBound = (state, binding) => {
        takes += 1;
        return takeBound(state, binding);
      };
      system = await startSystem({ deps: { transactions: store } });
    });
    after(async () => {
      await system.close();
    });

    it('is refused before the store is asked', async () => {
      const callback = await pendingCallback(system, new CookieClient());
      const forged = new CookieClient();
      await forged.jar.setCookie(`onetalk.login=${'A'.repeat(43)}`, system.url);
      expect((await forged.get(callback, { headers: json })).status).to.equal(400);
      expect((await new CookieClient().get(callback, { headers: json })).status).to.equal(400);
      expect(takes).to.equal(0);
    });
  });

  describe('when the in-memory store is full', () => {
    let system: System;
    let clock = Date.now();
    before(async () => {
      const now = () => clock;
      system = await startSystem({ deps: { now, transactions: new MemoryTransactionStore({ ttlMs: 600_000, maxPending: 3, now }) } });
    });
    after(async () => {
      await system.close();
    });

    it('answers new sign-ins 503 login_capacity_reached with Retry-After, and keeps every pending one', async () => {
      const first = new CookieClient();
      const callback = await pendingCallback(system, first);
      clock += 10_000;
      for (let i = 0; i < 2; i += 1) expect((await new CookieClient().get(`${system.url}/auth/login`)).status).to.equal(303);

      const refused = await new CookieClient().get(`${system.url}/auth/login`, { headers: json });
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(refused.headers.get('location')).to.equal(null);
      // The oldest pending sign-in expires 590 s from now: that is when room comes back.
      expect(refused.headers.get('retry-after')).to.equal('590');
      expect(await refused.json()).to.include({ status: 503, code: 'login_capacity_reached' });

      // The first browser's sign-in was not pushed out by the ones that came after it.
      expect((await first.get(callback)).status).to.equal(303);
      expect(await signedIn(system, first)).to.equal(true);
      expect((await new CookieClient().get(`${system.url}/auth/login`)).status).to.equal(303);
    });

    it('answers a browser navigation with an HTML page, still 503 with Retry-After', async () => {
      // Full whatever ran before: pending sign-ins last 600 s, and this clock stands still.
      for (let i = 0; i < 3; i += 1) await new CookieClient().get(`${system.url}/auth/login`);
      const res = await new CookieClient().get(`${system.url}/auth/login`, { headers: { accept: 'text/html' } });
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(Number(res.headers.get('retry-after'))).to.be.within(1, 600);
      expect(await res.text()).to.include('login_capacity_reached');
    });
  });
});
