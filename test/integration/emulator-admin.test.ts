import { expect } from 'chai';
import { jwtVerify } from 'jose';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const API_KEY = 'test-onetalk-key';
const TICKET = '/v1/user/request_auth_ticket';
const USER = { customerUserID: 'company:123', fullName: 'John Doe', phone: '6281234567890' };

interface Json {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(emu: RunningEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(emu.url + path, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: response.headers };
}

async function mintTicket(emu: RunningEmulator, user: object = USER): Promise<{ ticket: string; userID: string }> {
  const answer = await call(emu, 'POST', TICKET, user, { 'API-Key': API_KEY });
  expect(answer.status).to.equal(200);
  return answer.body.data as { ticket: string; userID: string };
}

describe('OneTalk emulator: tickets and admin routes', () => {
  let time = Date.now();
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ apiKey: API_KEY, now: () => time });
  });
  after(() => emu.close());
  beforeEach(() => {
    time = Date.now();
    emu.reset();
  });

  describe('tickets', () => {
    it('are HS256 JWTs under the emulator secret: sub = userID, customerUserID, exp = iat + 3600, a jti', async () => {
      const { ticket, userID } = await mintTicket(emu);
      const { payload, protectedHeader } = await jwtVerify(ticket, emu.ticketSecret, { algorithms: ['HS256'], currentDate: new Date(time) });
      expect(protectedHeader.alg).to.equal('HS256');
      expect(payload).to.include({ sub: userID, customerUserID: 'company:123', iat: Math.floor(time / 1000) });
      expect(payload.exp).to.equal((payload.iat as number) + 3600);
      expect(payload.jti).to.be.a('string').with.length.greaterThan(0);
      const verified = await emu.verifyTicket(ticket);
      expect(verified).to.deep.equal({ valid: true, claims: payload });
    });

    it('are fresh per call', async () => {
      const first = await mintTicket(emu);
      const second = await mintTicket(emu);
      expect(second.ticket).to.not.equal(first.ticket);
    });
  });

  describe('POST /__emulator/tickets/redeem', () => {
    it('trades a ticket once for the user and contact, then answers already_redeemed', async () => {
      const { ticket, userID } = await mintTicket(emu);
      const first = await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket });
      expect(first.status).to.equal(200);
      expect(first.body).to.deep.include({
        userID,
        customerUserID: 'company:123',
        expiresAt: new Date((Math.floor(time / 1000) + 3600) * 1000).toISOString(),
      });
      expect(first.body.contact).to.deep.include({ userID, fullName: 'John Doe', phone: '6281234567890' });
      const second = await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket });
      expect(second).to.deep.include({ status: 401, body: { error: 'already_redeemed' } });
    });

    it('answers expired an hour after issue', async () => {
      const { ticket } = await mintTicket(emu);
      time += 3600_000;
      expect(await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket })).to.deep.include({ status: 401, body: { error: 'expired' } });
    });

    it('answers invalid for a forged or foreign ticket', async () => {
      const other = await startEmulator({ apiKey: API_KEY });
      try {
        const foreign = await mintTicket(other);
        expect(await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket: foreign.ticket })).to.deep.include({ status: 401, body: { error: 'invalid' } });
        expect(await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket: 'x.y.z' })).to.deep.include({ status: 401, body: { error: 'invalid' } });
      } finally {
        await other.close();
      }
    });

    it('answers 400 without a ticket', async () => {
      expect((await call(emu, 'POST', '/__emulator/tickets/redeem', {})).status).to.equal(400);
    });
  });

  describe('settings', () => {
    it('GET answers the defaults; PUT changes them and answers the result', async () => {
      expect((await call(emu, 'GET', '/__emulator/settings')).body).to.deep.equal({ tierSelected: true, latencyMs: 0 });
      const put = await call(emu, 'PUT', '/__emulator/settings', { tierSelected: false });
      expect(put).to.deep.include({ status: 200, body: { tierSelected: false, latencyMs: 0 } });
      expect((await call(emu, 'POST', TICKET, USER, { 'API-Key': API_KEY })).status).to.equal(499);
    });

    for (const bad of [{ latencyMs: -1 }, { latencyMs: 60_001 }, { latencyMs: 1.5 }, { latencyMs: '100' }, { tierSelected: 'no' }, { tier: true }, [], 'nope']) {
      it(`answers 400 and changes nothing for ${JSON.stringify(bad)}`, async () => {
        const answer = await call(emu, 'PUT', '/__emulator/settings', bad);
        expect(answer.status).to.equal(400);
        expect(answer.body).to.have.property('error');
        expect(emu.settings).to.deep.equal({ tierSelected: true, latencyMs: 0 });
      });
    }

    it('latencyMs delays API answers but not admin routes', async () => {
      await call(emu, 'PUT', '/__emulator/settings', { latencyMs: 1500 });
      let started = performance.now();
      await mintTicket(emu);
      expect(performance.now() - started).to.be.at.least(1490);
      started = performance.now();
      await call(emu, 'GET', '/__emulator/contacts');
      expect(performance.now() - started).to.be.below(1000);
    });

    it('close() does not wait for a delayed answer', async () => {
      const slow = await startEmulator({ latencyMs: 30_000 });
      const pending = fetch(`${slow.url}${TICKET}`, { method: 'POST', body: '{}' }).catch(() => 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = performance.now();
      await slow.close();
      expect(await pending).to.equal('aborted');
      expect(performance.now() - started).to.be.below(1_000);
    });
  });

  describe('POST /__emulator/reset', () => {
    it('restores contacts, requests, redemptions and settings', async () => {
      const { ticket } = await mintTicket(emu);
      await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket });
      await call(emu, 'PUT', '/__emulator/settings', { tierSelected: false, latencyMs: 10 });
      const requests = emu.requests;
      expect((await call(emu, 'POST', '/__emulator/reset')).status).to.equal(200);
      expect(emu.store.size).to.equal(0);
      expect(requests).to.have.length(0); // cleared in place: held references stay live
      expect(emu.settings).to.deep.equal({ tierSelected: true, latencyMs: 0 });
      // The contact is gone too, so even a fresh redemption of the old ticket cannot open a chat.
      expect((await call(emu, 'POST', '/__emulator/tickets/redeem', { ticket })).body).to.deep.equal({ error: 'invalid' });
    });
  });

  describe('contacts', () => {
    it('seeds a lead and lists it', async () => {
      const seeded = await call(emu, 'POST', '/__emulator/contacts', { fullName: 'Lead', phone: '628111' });
      expect(seeded.status).to.equal(201);
      const listed = await call(emu, 'GET', '/__emulator/contacts');
      expect(listed.body).to.be.an('array').with.length(1);
      expect((listed.body as unknown as object[])[0]).to.deep.include({ userID: seeded.body.userID, customerUserID: null, phone: '628111' });
    });

    for (const bad of [{}, { fullName: '' }, { fullName: 'L', phone: '0812' }, { fullName: 'L', phone: 62811 }, { fullName: 'L', extra: 1 }, { fullName: 'x'.repeat(251) }]) {
      it(`answers 400 for seed ${JSON.stringify(bad).slice(0, 60)}`, async () => {
        expect((await call(emu, 'POST', '/__emulator/contacts', bad)).status).to.equal(400);
        expect(emu.store.size).to.equal(0);
      });
    }

    it('answers 409 when seeding a customerUserID already tied', async () => {
      await mintTicket(emu);
      expect(await call(emu, 'POST', '/__emulator/contacts', { customerUserID: 'company:123', fullName: 'Twin' })).to.deep.include({
        status: 409,
        body: { error: 'customer_user_id_taken' },
      });
    });

    it('answers 400 invalid_json for a malformed body', async () => {
      expect(await call(emu, 'POST', '/__emulator/contacts', '{"fullName":')).to.deep.include({ status: 400, body: { error: 'invalid_json' } });
    });
  });

  describe('GET /__emulator/requests', () => {
    it('shows recorded calls with the key replaced by valid / invalid / missing', async () => {
      await call(emu, 'POST', TICKET, USER, { 'API-Key': API_KEY });
      await call(emu, 'POST', TICKET, USER, { 'API-Key': 'wrong' });
      await call(emu, 'POST', TICKET, USER);
      const answer = await call(emu, 'GET', '/__emulator/requests');
      const shown = answer.body as unknown as { apiKey: string; headers: Record<string, string>; status: number }[];
      expect(shown.map((r) => [r.apiKey, r.status])).to.deep.equal([['valid', 200], ['invalid', 401], ['missing', 400]]);
      expect(JSON.stringify(shown)).to.not.include(API_KEY);
      expect(shown[0]?.headers).to.not.have.property('api-key');
    });

    it('does not record admin calls', async () => {
      await call(emu, 'GET', '/__emulator/contacts');
      expect(emu.requests).to.have.length(0);
    });
  });

  describe('CORS', () => {
    it('lets a page on another loopback port read admin routes and preflight PUT', async () => {
      const get = await call(emu, 'GET', '/__emulator/contacts', undefined, { Origin: 'http://127.0.0.1:5173' });
      expect(get.headers.get('access-control-allow-origin')).to.equal('*');
      const preflight = await fetch(`${emu.url}/__emulator/settings`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://127.0.0.1:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-methods')).to.include('PUT');
      expect(preflight.headers.get('access-control-allow-headers')).to.match(/content-type/i);
    });

    it('does not open the OneTalk API routes to browsers', async () => {
      const answer = await call(emu, 'POST', TICKET, USER, { 'API-Key': API_KEY, Origin: 'http://127.0.0.1:5173' });
      expect(answer.headers.get('access-control-allow-origin')).to.equal(null);
    });
  });
});
