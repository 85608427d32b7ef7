/**
 * A sign-out is final: no request that loaded a session before it ended may write it back or
 * mint a ticket for it afterwards. Each race is made deterministic by holding one request at a
 * known point (its body not yet sent, or its upstream call held at a gate) while the session
 * ends, then letting it finish. Run against both session stores.
 */
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { CookieClient } from '../helpers/cookie-client.js';
import { startSystem, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { reachedUpstream, startUpstreamGate, type UpstreamGate } from '../helpers/upstream-gate.js';

const IDLE_MS = 60_000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function answerOf(res: IncomingMessage): Promise<Answer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

for (const mode of ['memory', 'redis'] as const) {
  describe(`a sign-out is final (${mode} sessions)`, function () {
    this.timeout(30_000);
    const prefix = `test:${randomUUID()}:`;
    let system: System;
    let gate: UpstreamGate;
    /** The gateway's clock runs this far ahead of the real one (moved by the tests). */
    let skew = 0;

    before(async () => {
      gate = await startUpstreamGate(() => system.emulator.url);
      gate.open();
      system = await startSystem({
        env: {
          ONETALK_BASE_URL: gate.url,
          SESSION_IDLE_TIMEOUT_MS: String(IDLE_MS),
          ...(mode === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
        },
        deps: { now: () => Date.now() + skew },
      });
      await readyzBecomes(system.url, 200, 10_000);
    });
    after(async () => {
      await system?.close();
      await gate?.close();
      if (mode === 'redis') await dropKeys(prefix);
    });
    beforeEach(() => gate.open());

    /** Signs alice in and moves the clock past the once-a-step activity rewrite. */
    async function signedInAlice(): Promise<{ browser: CookieClient; cookie: string }> {
      const browser = await system.signIn('alice');
      const cookie = await browser.jar.getCookieString(system.url);
      skew += IDLE_MS / 30 + 1_000;
      return { browser, cookie };
    }

    const sessionOf = async (cookie: string): Promise<unknown> =>
      ((await (await fetch(`${system.url}/auth/session`, { headers: { cookie } })).json()) as { authenticated: unknown }).authenticated;
    const ticketWith = (cookie: string): Promise<Response> =>
      fetch(`${system.url}/api/livechat/ticket`, { method: 'POST', headers: { cookie, 'x-csrf': '1' } });
    const ticketCalls = (): number => system.emulator.requests.filter((r) => r.path.endsWith('request_auth_ticket')).length;

    /** A ticket request whose headers are sent and whose body is held back until `finish`. */
    async function heldTicketRequest(cookie: string): Promise<{ finish(): Promise<Answer> }> {
      const arrived = once(system.server, 'request');
      const req = httpRequest(`${system.url}/api/livechat/ticket`, {
        method: 'POST',
        headers: { cookie, 'x-csrf': '1', 'content-type': 'application/json', 'content-length': '2' },
      });
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      req.flushHeaders();
      await arrived;
      return {
        async finish() {
          req.end('{}');
          const [res] = await response;
          return answerOf(res);
        },
      };
    }

    const signOut = async (browser: CookieClient): Promise<void> => {
      const res = await browser.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1', accept: 'application/json' } });
      expect(res.status).to.equal(200);
    };
    const backchannelLogout = async (sub: string): Promise<void> => {
      const token = await system.idp.signLogoutToken({ aud: 'gateway', sub });
      const res = await fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
      expect(res.status).to.equal(200);
    };

    /** After the race: the old cookie is signed out for good, and no ticket is minted for it. */
    async function expectEndedFor(cookie: string): Promise<void> {
      expect(await sessionOf(cookie)).to.equal(false);
      const calls = ticketCalls();
      const res = await ticketWith(cookie);
      expect(res.status).to.equal(401);
      expect(await res.json()).to.include({ code: 'not_signed_in' });
      expect(ticketCalls()).to.equal(calls);
    }

    const endings = [
      ['POST /auth/logout', (browser: CookieClient) => signOut(browser)],
      ['a back-channel logout by sub', () => backchannelLogout('alice')],
    ] as const;

    for (const [ending, end] of endings) {
      describe(`when ${ending} ends the session`, () => {
        it('a ticket request whose body arrives afterwards gets 401, no ticket, and cannot sign the cookie back in', async () => {
          const { browser, cookie } = await signedInAlice();
          const held = await heldTicketRequest(cookie);
          await end(browser);
          const calls = ticketCalls();

          const answer = await held.finish();
          expect(answer.status).to.equal(401);
          expect(answer.body).to.include({ code: 'not_signed_in' });
          expect(answer.body).to.not.have.property('ticket');
          expect(ticketCalls()).to.equal(calls);
          await expectEndedFor(cookie);
        });

        it('a request already in flight at the upstream finishes, but cannot write the session back', async () => {
          const { browser, cookie } = await signedInAlice();
          gate.shut();
          const arrived = gate.arrival();
          const inFlight = ticketWith(cookie);
          await reachedUpstream(arrived, inFlight);
          await end(browser);
          gate.open();

          // The upstream call began while the session was live: that ticket may be delivered.
          expect((await inFlight).status).to.equal(200);
          await expectEndedFor(cookie);
        });

        it('a session read in flight alongside the sign-out cannot bring the session back', async () => {
          const { browser, cookie } = await signedInAlice();
          // Many reads race the sign-out; whichever way each one falls, none may resurrect it.
          const reads = Array.from({ length: 20 }, () => sessionOf(cookie));
          await end(browser);
          await Promise.all(reads);
          await expectEndedFor(cookie);
        });
      });
    }
  });
}
