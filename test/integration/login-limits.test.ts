import { expect } from 'chai';
import { CookieClient } from '../helpers/cookie-client.js';
import { startSystem, type System } from '../helpers/gateway.js';
import { issueLoginCookie } from '../helpers/login-cookie.js';

/**
 * Sign-in starts behind one NAT: every request here comes from 127.0.0.1. The gateway runs on an
 * injected clock, so minutes of traffic pass without waiting for them.
 */
describe('GET /auth/login limits behind one IP', function () {
  this.timeout(60_000);
  let clock = Date.now();
  const now = () => clock;

  /** A start from a browser with no cookies at all. */
  const cookieless = (system: System) => fetch(`${system.url}/auth/login`, { redirect: 'manual' });
  /** A start from a browser sending exactly this Cookie header. */
  const withCookie = (system: System, cookie: string) => fetch(`${system.url}/auth/login`, { redirect: 'manual', headers: { cookie } });

  describe('with the default limits', () => {
    let system: System;
    before(async () => {
      // Quiet logs: 2,000 request lines would cost more than the requests.
      system = await startSystem({ env: { LOG_LEVEL: 'warn' }, deps: { now } });
    });
    after(async () => {
      await system.close();
    });

    it('lets 2,000 browsers start signing in over 5 minutes, none refused', async () => {
      // Arrival times spread at random (seeded, so a failure replays) over five minutes.
      let seed = 12;
      const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
      const start = clock;
      const arrivals = Array.from({ length: 2000 }, () => start + Math.floor(random() * 300_000)).sort((a, b) => a - b);
      const refused: number[] = [];
      const bindings = new Set<string>();
      // Twenty browsers at a time, each batch at its own instant of the fake clock.
      for (let i = 0; i < arrivals.length; i += 20) {
        clock = arrivals[i] as number;
        const answers = await Promise.all(arrivals.slice(i, i + 20).map(() => cookieless(system)));
        for (const res of answers) {
          if (res.status !== 303) refused.push(res.status);
          const cookie = res.headers.getSetCookie().find((c) => c.startsWith('onetalk.login='));
          if (cookie) bindings.add(cookie.split(';')[0] as string);
        }
      }
      expect(refused, 'statuses of refused starts').to.deep.equal([]);
      expect(bindings.size, 'one login cookie per browser').to.equal(2000);
      expect(clock - start).to.be.above(290_000);
    });
  });

  describe('with small limits (IP 20, user 5 a minute)', () => {
    let system: System;
    let alice: CookieClient;
    let alicePhone: CookieClient;
    let bob: CookieClient;

    before(async () => {
      system = await startSystem({
        env: { RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '20', RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE: '5' },
        deps: { now },
      });
      alice = await system.signIn('alice');
      alicePhone = await system.signIn('alice');
      bob = await system.signIn('bob');
    });
    beforeEach(() => {
      // A fresh minute for every test: each window starts at its key's first hit.
      clock += 61_000;
    });
    after(async () => {
      await system.close();
    });

    /** Spends the IP's whole budget with cookieless starts, then checks it is spent. */
    async function flood(): Promise<void> {
      for (let i = 0; i < 20; i += 1) expect((await cookieless(system)).status).to.equal(303);
      const refused = await cookieless(system);
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('ratelimit')).to.match(/^"logins-per-ip"; r=0; t=\d+/);
    }

    it('does not let a cookieless flood from the same IP block browsers whose user signed in before', async () => {
      await flood();
      for (const browser of [alice, bob]) {
        const start = await browser.get(`${system.url}/auth/login`);
        expect(start.status).to.equal(303);
        expect(start.headers.get('ratelimit')).to.match(/^"logins-per-user"; r=4; t=\d+/);
      }
      // …and alice can sign in again while the flood goes on (the IdP remembers her: no form).
      const again = await alice.get(`${system.url}/auth/login`);
      expect(again.status).to.equal(303);
      const hops = await alice.follow(again.headers.get('location')!, { stopAt: (u) => u.origin === system.url });
      const callback = hops.at(-1)?.location;
      expect(callback?.pathname).to.equal('/auth/callback');
      expect((await alice.get(callback!)).status).to.equal(303);
      expect((await cookieless(system)).status).to.equal(429);
    });

    it('charges invented, altered and unfinished login cookies to the IP: a forged flood gets no fresh budgets', async () => {
      await flood();
      const signedIn = issueLoginCookie(system.config, { user: 'alice-sub' });
      const pending = issueLoginCookie(system.config);
      const [name, value] = signedIn.split('=') as [string, string];
      const parts = value.split('.');
      const forgeries = [
        `${name}=${'A'.repeat(43)}`,
        `${name}=${parts.slice(0, 3).join('.')}.${'B'.repeat(43)}`,
        `${name}=${[...pending.split('=')[1]!.split('.').slice(0, 2), parts[2], parts[3]].join('.')}`,
        `${name}=${[parts[0], (Number.parseInt(parts[1]!, 36) + 1).toString(36), parts[2], parts[3]].join('.')}`,
        pending,
      ];
      for (const cookie of forgeries) expect((await withCookie(system, cookie)).status, cookie).to.equal(429);
      expect((await withCookie(system, signedIn)).status).to.equal(303);
    });

    it('limits a browser that keeps its cookie and hammers sign-in, and nobody else', async () => {
      const hammer = () => alice.get(`${system.url}/auth/login`);
      for (let i = 0; i < 5; i += 1) expect((await hammer()).status).to.equal(303);
      const refused = await hammer();
      expect(refused.status).to.equal(429);
      expect(await refused.json()).to.include({ code: 'rate_limited' });
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect(refused.headers.get('location')).to.equal(null);
      // The same user in another browser shares that budget; other users and the IP do not.
      expect((await alicePhone.get(`${system.url}/auth/login`)).status).to.equal(429);
      expect((await bob.get(`${system.url}/auth/login`)).status).to.equal(303);
      expect((await cookieless(system)).status).to.equal(303);
      // A minute later alice may start again.
      clock += 61_000;
      expect((await hammer()).status).to.equal(303);
    });

    it('never logs a login cookie', async () => {
      const values: string[] = [];
      for (const browser of [alice, alicePhone, bob]) {
        const cookie = (await browser.cookies(system.url)).find((c) => c.key === 'onetalk.login');
        expect(cookie?.value).to.match(/^[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
        values.push(cookie!.value, cookie!.value.split('.')[0]!);
      }
      const logs = system.logs.join('');
      expect(logs).to.include('/auth/login');
      for (const value of values) expect(logs).to.not.include(value);
    });

    it('limits a cookieless client that hammers sign-in at the IP ceiling', async () => {
      await flood();
      clock += 61_000;
      expect((await cookieless(system)).status).to.equal(303);
    });
  });
});
