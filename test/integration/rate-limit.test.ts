import { expect } from 'chai';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
}

/** Asserts the one problem shape every refusal shares, and returns its body. */
async function expectRateLimited(res: Response): Promise<Problem> {
  expect(res.status).to.equal(429);
  expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(res.headers.get('cache-control')).to.equal('no-store');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).to.be.within(1, 60);
  // IETF draft 8 headers: the policy and what is left of it.
  expect(res.headers.get('ratelimit')).to.match(/r=0; t=\d+/);
  expect(res.headers.get('ratelimit-policy')).to.match(/w=60/);
  const body = (await res.json()) as Problem;
  expect(body).to.include({ type: 'urn:onetalk-gateway:problem:rate_limited', status: 429, code: 'rate_limited' });
  expect(body.requestId).to.equal(res.headers.get('x-request-id'));
  return body;
}

describe('rate limiting (memory store)', function () {
  describe('POST /api/livechat/ticket', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { RATE_LIMIT_TICKETS_PER_MINUTE: '2' } });
    });
    after(async () => {
      await system.close();
    });
    beforeEach(() => {
      system.emulator.reset();
    });

    it('allows ticketsPerMinute per session, then answers 429 and never calls OneTalk', async () => {
      const alice = await system.signIn('alice');
      expect((await requestTicket(system, alice)).status).to.equal(200);
      const second = await requestTicket(system, alice);
      expect(second.status).to.equal(200);
      expect(second.headers.get('ratelimit')).to.match(/"tickets"; r=0; t=\d+/);

      await expectRateLimited(await requestTicket(system, alice));
      expect(system.emulator.requests).to.have.length(2);
    });

    it('gives each signed-in user a budget of their own', async () => {
      const carol = await system.signIn('alice');
      const bob = await system.signIn('bob');
      for (let i = 0; i < 2; i += 1) expect((await requestTicket(system, carol)).status).to.equal(200);
      await expectRateLimited(await requestTicket(system, carol));
      expect((await requestTicket(system, bob)).status).to.equal(200);
      expect(system.emulator.requests).to.have.length(3);
    });

    it('refuses requests without a signed session cookie 401 before counting them: nobody else\'s budget pays', async () => {
      for (let i = 0; i < 5; i += 1) {
        const res = await requestTicket(system, system.browser());
        expect(res.status).to.equal(401);
        expect(res.headers.get('ratelimit')).to.equal(null);
      }
      const alice = await system.signIn('alice');
      for (let i = 0; i < 2; i += 1) expect((await requestTicket(system, alice)).status).to.equal(200);
      expect(system.emulator.requests).to.have.length(2);
    });

    it('refuses forged requests (foreign Origin, no X-CSRF) before counting them against the session', async () => {
      const alice = await system.signIn('alice');
      for (let i = 0; i < 5; i += 1) {
        const foreign = await requestTicket(system, alice, { origin: 'https://sibling.example' });
        expect(foreign.status).to.equal(403);
        expect(foreign.headers.get('ratelimit')).to.equal(null);
        const noHeader = await alice.post(`${system.url}/api/livechat/ticket`);
        expect(noHeader.status).to.equal(403);
      }
      for (let i = 0; i < 2; i += 1) expect((await requestTicket(system, alice)).status).to.equal(200);
      await expectRateLimited(await requestTicket(system, alice));
      expect(system.emulator.requests).to.have.length(2);
    });
  });

  describe('GET /auth/login', () => {
    // Behind a proxy on loopback, so each test can speak for a client IP of its own.
    let system: System;
    before(async () => {
      system = await startSystem({ env: { RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '3', TRUST_PROXY: 'loopback' } });
    });
    after(async () => {
      await system.close();
    });

    const login = (ip: string) => system.browser().get(`${system.url}/auth/login`, { headers: { 'x-forwarded-for': ip } });

    it('allows loginsPerMinute per client IP, then answers 429 without starting a sign-in', async () => {
      for (let i = 0; i < 3; i += 1) expect((await login('203.0.113.7')).status).to.equal(303);
      const refused = await login('203.0.113.7');
      await expectRateLimited(refused);
      expect(refused.headers.get('location')).to.equal(null);
      expect(refused.headers.get('set-cookie')).to.equal(null);
    });

    it('keeps separate budgets for separate client IPs', async () => {
      for (let i = 0; i < 3; i += 1) expect((await login('203.0.113.8')).status).to.equal(303);
      await expectRateLimited(await login('203.0.113.8'));
      expect((await login('203.0.113.9')).status).to.equal(303);
    });

    it('answers a browser navigation with an HTML page, still 429 with Retry-After', async () => {
      for (let i = 0; i < 3; i += 1) await login('203.0.113.10');
      const res = await system
        .browser()
        .get(`${system.url}/auth/login`, { headers: { 'x-forwarded-for': '203.0.113.10', accept: 'text/html' } });
      expect(res.status).to.equal(429);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
      expect(await res.text()).to.include('rate_limited');
    });
  });
});
