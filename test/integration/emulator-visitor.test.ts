import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const API_KEY = 'sk-emulator-api-key-NEVER-IN-A-BROWSER';
const WIDGET_KEY = 'wk-public-widget-key';
const HOUR_MS = 3_600_000;

interface Envelope {
  status: number;
  error: { code: string; message: string; field: string };
  data: Record<string, unknown>;
}

interface Tokens {
  accessToken: string;
  accessTokenExpiry: number;
  refreshToken: string;
  refreshTokenExpiry: number;
  user: { userID: string; customerUserID: string; fullName: string };
}

describe('OneTalk emulator: the visitor (widget) API', () => {
  let emu: RunningEmulator;
  // The emulator's clock: real time plus whatever a test skips ahead.
  let skewMs = 0;

  const visitor = async (path: string, credential: string | undefined, options: { key?: string | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const key = options.key === undefined ? WIDGET_KEY : options.key;
    if (key !== null) headers['Secret-Key'] = key;
    if (credential !== undefined) headers.Authorization = credential;
    const res = await fetch(`${emu.url}/api/visitor/v1${path}`, { method: 'POST', headers, body: JSON.stringify(options.body ?? {}) });
    return { status: res.status, body: (await res.json()) as Envelope, headers: res.headers };
  };
  const refusal = (status: number, code: string) => ({ status, code });
  const outcome = (answer: { status: number; body: Envelope }) => ({ status: answer.status, code: answer.body.error.code });

  /** A fresh ticket for `customerUserID`, minted the way the gateway mints one. */
  async function ticketFor(customerUserID: string, fullName = customerUserID): Promise<string> {
    const res = await fetch(`${emu.url}/v1/user/request_auth_ticket`, {
      method: 'POST',
      headers: { 'API-Key': API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customerUserID, fullName }),
    });
    return ((await res.json()) as { data: { ticket: string } }).data.ticket;
  }

  async function signIn(customerUserID: string): Promise<Tokens> {
    const answer = await visitor('/auth/access_token/request', `Bearer ${await ticketFor(customerUserID)}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body.data as unknown as Tokens;
  }

  before(async () => {
    emu = await startEmulator({ apiKey: API_KEY, widgetKey: WIDGET_KEY, now: () => Date.now() + skewMs });
  });
  after(() => emu.close());
  beforeEach(() => {
    skewMs = 0;
    emu.reset();
  });

  describe('POST /auth/access_token/request', () => {
    it('trades a ticket (Bearer) for access and refresh tokens of its contact', async () => {
      const before = Date.now();
      const answer = await visitor('/auth/access_token/request', `Bearer ${await ticketFor('company:alice', 'Alice')}`);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      const tokens = answer.body.data as unknown as Tokens;
      expect(tokens.accessToken).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(tokens.refreshToken).to.match(/^[A-Za-z0-9_-]{43}$/).and.not.equal(tokens.accessToken);
      expect(tokens.accessTokenExpiry).to.be.within(before + HOUR_MS - 1000, Date.now() + HOUR_MS);
      expect(tokens.refreshTokenExpiry).to.be.greaterThan(tokens.accessTokenExpiry);
      expect(tokens.user).to.include({ customerUserID: 'company:alice', fullName: 'Alice' });
      expect(emu.visitors.list()).to.have.length(1);
    });

    it('accepts a ticket once: the second trade is refused', async () => {
      const ticket = await ticketFor('company:alice');
      expect((await visitor('/auth/access_token/request', `Bearer ${ticket}`)).status).to.equal(200);
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket}`))).to.deep.equal(refusal(401, '40114'));
      expect(emu.visitors.list()).to.have.length(1);
    });

    it('honours the ticket\'s one-hour expiry', async () => {
      const ticket = await ticketFor('company:alice');
      skewMs = HOUR_MS + 1000;
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket}`))).to.deep.equal(refusal(401, '40113'));
      expect(emu.visitors.list()).to.deep.equal([]);
    });

    it('refuses a forged or mangled ticket, and a ticket whose contact is gone', async () => {
      const ticket = await ticketFor('company:alice');
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket.slice(0, -2)}xx`))).to.deep.equal(refusal(401, '40112'));
      expect(outcome(await visitor('/auth/access_token/request', 'Bearer not-a-ticket'))).to.deep.equal(refusal(401, '40112'));
      emu.store.clear();
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket}`))).to.deep.equal(refusal(401, '40112'));
    });

    it('wants the widget key as Secret-Key: missing 400, wrong 401 (the API key is a wrong one), checked first', async () => {
      const ticket = await ticketFor('company:alice');
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket}`, { key: null }))).to.deep.equal(refusal(400, '40003'));
      expect(outcome(await visitor('/auth/access_token/request', `Bearer ${ticket}`, { key: API_KEY }))).to.deep.equal(refusal(401, '40111'));
      // Neither refusal used the ticket up.
      expect((await visitor('/auth/access_token/request', `Bearer ${ticket}`)).status).to.equal(200);
    });

    it('wants the ticket as a Bearer credential', async () => {
      const ticket = await ticketFor('company:alice');
      for (const credential of [undefined, ticket, `Basic ${ticket}`, 'Bearer ']) {
        expect(outcome(await visitor('/auth/access_token/request', credential)), String(credential)).to.deep.equal(refusal(401, '40110'));
      }
    });

    it('logs each call with whose it was and the key\'s state, never a ticket or token', async () => {
      const tokens = await signIn('company:alice');
      await visitor('/auth/access_token/request', 'Bearer x', { key: 'wrong' });
      const log = emu.visitorRequests;
      expect(log.map(({ path, status, code, secretKey, userID }) => ({ path, status, code, secretKey, userID }))).to.deep.equal([
        { path: '/auth/access_token/request', status: 200, code: '', secretKey: 'valid', userID: tokens.user.userID },
        { path: '/auth/access_token/request', status: 401, code: '40111', secretKey: 'invalid', userID: undefined },
      ]);
      const admin = await (await fetch(`${emu.url}/__emulator/visitor/requests`)).text();
      const sessions = await (await fetch(`${emu.url}/__emulator/visitor/sessions`)).text();
      for (const secret of [tokens.accessToken, tokens.refreshToken, WIDGET_KEY]) {
        expect(admin).to.not.include(secret);
        expect(sessions).to.not.include(secret);
      }
    });
  });

  describe('POST /auth/access_token/refresh', () => {
    it('rotates: a new pair, and the old access and refresh tokens are dead', async () => {
      const old = await signIn('company:alice');
      const answer = await visitor('/auth/access_token/refresh', `Bearer ${old.refreshToken}`);
      expect(answer.status).to.equal(200);
      const renewed = answer.body.data as unknown as Tokens;
      expect(renewed.accessToken).to.not.equal(old.accessToken);
      expect(renewed.refreshToken).to.not.equal(old.refreshToken);
      expect(renewed.user.userID).to.equal(old.user.userID);
      expect(outcome(await visitor('/auth/access_token/refresh', `Bearer ${old.refreshToken}`))).to.deep.equal(refusal(401, '40117'));
      expect(outcome(await visitor('/client/user/get', `Bearer ${old.accessToken}`))).to.deep.equal(refusal(401, '40115'));
      expect((await visitor('/client/user/get', `Bearer ${renewed.accessToken}`)).status).to.equal(200);
    });

    it('is what an expired access token needs; an expired refresh token is refused', async () => {
      const tokens = await signIn('company:alice');
      skewMs = HOUR_MS + 1000;
      expect(outcome(await visitor('/client/user/get', `Bearer ${tokens.accessToken}`))).to.deep.equal(refusal(401, '40116'));
      const renewed = (await visitor('/auth/access_token/refresh', `Bearer ${tokens.refreshToken}`)).body.data as unknown as Tokens;
      expect((await visitor('/client/user/get', `Bearer ${renewed.accessToken}`)).status).to.equal(200);
      skewMs = 31 * 24 * HOUR_MS;
      expect(outcome(await visitor('/auth/access_token/refresh', `Bearer ${renewed.refreshToken}`))).to.deep.equal(refusal(401, '40118'));
    });

    it('fails once the emulator ended the visitor session (as OneTalk may)', async () => {
      const alice = await signIn('company:alice');
      const bob = await signIn('company:bob');
      const res = await fetch(`${emu.url}/__emulator/visitor/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userID: alice.user.userID }),
      });
      expect(await res.json()).to.deep.equal({ revoked: 1 });
      expect(outcome(await visitor('/auth/access_token/refresh', `Bearer ${alice.refreshToken}`))).to.deep.equal(refusal(401, '40117'));
      expect((await visitor('/auth/access_token/refresh', `Bearer ${bob.refreshToken}`)).status).to.equal(200);
    });
  });

  describe('POST /client/logout', () => {
    it('ends the access and the refresh token', async () => {
      const tokens = await signIn('company:alice');
      const answer = await visitor('/client/logout', `Bearer ${tokens.accessToken}`);
      expect(answer.status).to.equal(200);
      expect(answer.body.data).to.deep.equal({ success: true, message: 'Logged out successfully' });
      expect(outcome(await visitor('/client/user/get', `Bearer ${tokens.accessToken}`))).to.deep.equal(refusal(401, '40115'));
      expect(outcome(await visitor('/auth/access_token/refresh', `Bearer ${tokens.refreshToken}`))).to.deep.equal(refusal(401, '40117'));
      expect(outcome(await visitor('/client/logout', `Bearer ${tokens.accessToken}`))).to.deep.equal(refusal(401, '40115'));
      expect(emu.visitors.list()).to.deep.equal([]);
    });

    it('works with an expired access token: a widget signs out whatever state it is in', async () => {
      const tokens = await signIn('company:alice');
      skewMs = HOUR_MS + 1000;
      expect((await visitor('/client/logout', `Bearer ${tokens.accessToken}`)).status).to.equal(200);
      expect(outcome(await visitor('/auth/access_token/refresh', `Bearer ${tokens.refreshToken}`))).to.deep.equal(refusal(401, '40117'));
    });
  });

  describe('the chat routes', () => {
    it('keep one conversation per contact: bob never reads alice\'s messages', async () => {
      const alice = await signIn('company:alice');
      const sent = await visitor('/client/message/send', `Bearer ${alice.accessToken}`, { body: { body: 'hello from alice' } });
      expect(sent.status).to.equal(200);
      expect((sent.body.data.messages as Array<{ from: string; body: string }>).map((m) => [m.from, m.body])).to.deep.equal([
        ['visitor', 'hello from alice'],
        ['agent', 'Thanks! An agent will be with you shortly.'],
      ]);
      const bob = await signIn('company:bob');
      expect((await visitor('/client/message/list', `Bearer ${bob.accessToken}`)).body.data).to.deep.equal({ messages: [] });
      const again = await signIn('company:alice');
      expect((await visitor('/client/message/list', `Bearer ${again.accessToken}`)).body.data.messages).to.have.length(2);
    });

    it('refuse an empty or oversized message', async () => {
      const alice = await signIn('company:alice');
      for (const body of ['', '   ', 'x'.repeat(2001), 42]) {
        const answer = await visitor('/client/message/send', `Bearer ${alice.accessToken}`, { body: { body } });
        expect({ ...outcome(answer), field: answer.body.error.field }).to.deep.equal({ status: 400, code: '40004', field: 'body' });
      }
    });
  });

  describe('in a browser', () => {
    it('answers a preflight for Authorization and Secret-Key from any origin', async () => {
      const res = await fetch(`${emu.url}/api/visitor/v1/auth/access_token/request`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,secret-key,content-type' },
      });
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      expect(res.headers.get('access-control-allow-headers')).to.equal('Authorization, Secret-Key, Content-Type');
    });

    it('serves the stand-in launcher at the real launcher\'s path, with the real method names', async () => {
      expect(emu.launcherUrl).to.equal(`${emu.url}/static/launcher/web/v1.0/main.js`);
      const res = await fetch(emu.launcherUrl);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      const source = await res.text();
      for (const name of ['init', 'authenticateWithAuthTicket', 'isAuthenticated', 'launcherLogout']) expect(source).to.include(`${name}: function`);
      expect(source).to.include("'taplive.auth'");
      const css = await fetch(`${emu.url}/static/launcher/web/v1.0/main.css`);
      expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    });
  });
});
