import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';

const MINUTE = 60_000;
const IDLE = 10 * MINUTE;
const ABSOLUTE = 60 * MINUTE;

/** What the widget sees: the ticket status and, for a refusal, the problem code. */
async function ticketOutcome(system: System, browser: CookieClient): Promise<string> {
  const res = await requestTicket(system, browser);
  // Read the whole body, as the widget does.
  const body = (await res.json()) as { code?: string };
  return res.status === 200 ? '200' : `${res.status} ${body.code ?? ''}`;
}

async function signedIn(system: System, browser: CookieClient): Promise<boolean> {
  const res = await browser.get(`${system.url}/auth/session`);
  return ((await res.json()) as { authenticated: boolean }).authenticated;
}

const REDIS_URL = TEST_REDIS_URL;

for (const store of ['memory', 'redis'] as const) describeLifetimes(store);

function describeLifetimes(store: 'memory' | 'redis'): void {
  describe(`session lifetimes through the whole gateway (${store} store, fake clock)`, function () {
    let t = Date.parse('2030-01-01T09:00:00Z');
    let system: System;
    const prefix = `test-${randomUUID()}:`;

    before(async () => {
      system = await startSystem({
        env: {
          SESSION_IDLE_TIMEOUT_MS: String(IDLE),
          SESSION_ABSOLUTE_TIMEOUT_MS: String(ABSOLUTE),
          ...(store === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
        },
        deps: { now: () => t },
      });
      // Redis connects in the background; the gateway must say it can serve, as a balancer checks.
      await readyzBecomes(system.url, 200, 5000);
    });
    after(async () => {
      await system.close();
      if (store === 'redis') await dropKeys(prefix);
    });

    describe('the idle timeout', () => {
      it('keeps a session used within the idle timeout', async () => {
        const alice = await system.signIn('alice');
        t += IDLE - MINUTE;
        expect(await ticketOutcome(system, alice)).to.equal('200');
        t += IDLE - MINUTE; // measured from the last use, not from sign-in
        expect(await ticketOutcome(system, alice)).to.equal('200');
      });

      it('ends a session unused for longer than the idle timeout: the ticket route answers 401', async () => {
        const alice = await system.signIn('alice');
        expect(await ticketOutcome(system, alice)).to.equal('200');
        t += IDLE + 1000;
        expect(await ticketOutcome(system, alice)).to.equal('401 not_signed_in');
        expect(await signedIn(system, alice)).to.equal(false);
      });

      it('does not bring the session back when the clock is wound back (it was destroyed)', async () => {
        const alice = await system.signIn('alice');
        t += IDLE + 1000;
        expect(await ticketOutcome(system, alice)).to.equal('401 not_signed_in');
        t -= IDLE + 1000;
        expect(await ticketOutcome(system, alice)).to.equal('401 not_signed_in');
      });
    });

    describe('the absolute timeout', () => {
      it('ends a session older than the absolute timeout however active it stays', async () => {
        const alice = await system.signIn('alice');
        const signedInAt = t;
        // A request every 5 minutes: never idle, so only the absolute limit can end it.
        while (t + 5 * MINUTE - signedInAt <= ABSOLUTE) {
          t += 5 * MINUTE;
          expect(await ticketOutcome(system, alice), `at +${(t - signedInAt) / MINUTE} min`).to.equal('200');
        }
        t += 5 * MINUTE;
        expect(await ticketOutcome(system, alice)).to.equal('401 not_signed_in');
        expect(await signedIn(system, alice)).to.equal(false);
      });

      it('lets the user sign in again afterwards, with a fresh absolute limit', async () => {
        const alice = await system.signIn('alice');
        t += ABSOLUTE + MINUTE;
        expect(await ticketOutcome(system, alice)).to.equal('401 not_signed_in');
        // The IdP still knows the browser, so it answers at once with a code: no form this time.
        const start = await alice.get(`${system.url}/auth/login`);
        const hops = await alice.follow(start.headers.get('location') ?? '', { stopAt: (next) => next.origin === system.url });
        const callback = hops.at(-1)?.location ?? '';
        expect((await alice.get(callback)).status).to.equal(303);
        expect(await ticketOutcome(system, alice)).to.equal('200');
      });
    });
  });
}
