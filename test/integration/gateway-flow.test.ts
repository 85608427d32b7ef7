import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { ownerId } from '../../src/profile/index.js';

describe('the sign-in flow and the ticket route', function () {
  let system: System;
  before(async () => {
    system = await startSystem();
  });
  after(async () => {
    await system.close();
  });
  beforeEach(() => {
    system.emulator.reset();
  });

  describe('GET /auth/login', () => {
    it('redirects to the IdP with code flow, PKCE S256, state, nonce and the configured redirect URI', async () => {
      const res = await system.browser().get(`${system.url}/auth/login`, { headers: { host: 'evil.example' } });
      expect(res.status).to.equal(303);
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.origin).to.equal(system.idp.issuer);
      const q = location.searchParams;
      expect(q.get('response_type')).to.equal('code');
      expect(q.get('client_id')).to.equal('gateway');
      expect(q.get('redirect_uri')).to.equal(`${system.url}/auth/callback`);
      expect(q.get('code_challenge_method')).to.equal('S256');
      expect(q.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(q.get('state')).to.match(/^[A-Za-z0-9_-]{20,}$/);
      expect(q.get('nonce')).to.match(/^[A-Za-z0-9_-]{20,}$/);
      expect(q.get('scope')).to.equal('openid profile email phone');
    });
  });

  describe('GET /auth/session', () => {
    it('says anonymous before sign-in, without setting a cookie', async () => {
      const res = await system.browser().get(`${system.url}/auth/session`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('set-cookie')).to.equal(null);
      expect(await res.json()).to.deep.equal({ authenticated: false });
    });

    it('shows name, email, picture and the opaque user id after sign-in, and nothing else', async () => {
      const browser = await system.signIn('alice');
      const res = await browser.get(`${system.url}/auth/session`);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(await res.json()).to.deep.equal({
        authenticated: true,
        user: {
          name: 'Alice Liddell',
          email: 'alice@example.com',
          picture: 'https://www.gravatar.com/avatar/0?d=identicon',
          id: ownerId('alice', system.config.userIdKey),
        },
      });
    });
  });

  describe('POST /api/livechat/ticket', () => {
    it('answers 200 {ticket, expiresAt} only, minted with alice\'s mapped profile', async () => {
      const browser = await system.signIn('alice');
      const before = Date.now();
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const body = (await res.json()) as { ticket: string; expiresAt: string };
      expect(Object.keys(body).sort()).to.deep.equal(['expiresAt', 'ticket']);
      const expiresAt = Date.parse(body.expiresAt);
      expect(expiresAt).to.be.within(before + 3600_000 - 1000, Date.now() + 3600_000);

      const [call] = system.emulator.requests;
      expect(system.emulator.requests).to.have.length(1);
      expect(call?.path).to.equal('/v1/user/request_auth_ticket');
      expect(call?.body).to.deep.equal({
        customerUserID: 'alice',
        fullName: 'Alice Liddell',
        alias: 'ally',
        email: 'alice@example.com',
        phone: '6281234567890',
        photoURL: 'https://www.gravatar.com/avatar/0?d=identicon',
      });
      const claims = decodeJwt(body.ticket);
      const contact = system.emulator.store.findByCustomerUserID('alice');
      expect(claims.sub).to.equal(contact?.userID);
    });

    it('mints a fresh ticket per request (never cached)', async () => {
      const browser = await system.signIn('bob');
      const a = (await (await requestTicket(system, browser)).json()) as { ticket: string };
      const b = (await (await requestTicket(system, browser)).json()) as { ticket: string };
      expect(a.ticket).to.not.equal(b.ticket);
      expect(system.emulator.requests).to.have.length(2);
      expect(system.emulator.requests[0]?.body).to.deep.equal({ customerUserID: 'bob', fullName: 'bob', alias: 'bob' });
    });

    it('maps an awkward profile to a body the API accepts', async () => {
      const browser = await system.signIn('carol');
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(200);
      const body = system.emulator.requests[0]?.body as Record<string, string>;
      expect([...body.fullName!].length).to.be.at.most(250);
      expect(body).not.to.have.property('phone');
      expect(body).not.to.have.property('photoURL');
    });
  });

  describe('returnTo', () => {
    it('lands on the same-origin path the login started with', async () => {
      const browser = system.browser();
      const start = await browser.get(`${system.url}/auth/login?returnTo=${encodeURIComponent('/shop?item=1')}`);
      const callback = await browser.signInAt(start.headers.get('location')!, 'alice');
      const done = await browser.get(callback);
      expect(done.status).to.equal(303);
      expect(done.headers.get('location')).to.equal('/shop?item=1');
    });

    for (const hostile of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      it(`sends ${hostile} home to / instead (no open redirect)`, async () => {
        const browser = system.browser();
        const start = await browser.get(`${system.url}/auth/login?returnTo=${encodeURIComponent(hostile)}`);
        const callback = await browser.signInAt(start.headers.get('location')!, 'alice');
        const done = await browser.get(callback);
        expect(done.headers.get('location')).to.equal('/');
      });
    }
  });

  it('lets two tabs of one browser sign in at once', async () => {
    const browser = system.browser();
    const tabA = await browser.get(`${system.url}/auth/login?returnTo=/a`);
    const tabB = await browser.get(`${system.url}/auth/login?returnTo=/b`);
    const callbackA = await browser.signInAt(tabA.headers.get('location')!, 'alice');
    // Tab B reaches the IdP after tab A signed in there: single sign-on sends it straight back.
    const hopsB = await browser.follow(tabB.headers.get('location')!, { stopAt: (next) => next.origin === system.url });
    const callbackB = hopsB.at(-1)!.location!;
    expect(callbackB.pathname).to.equal('/auth/callback');
    const doneB = await browser.get(callbackB);
    const doneA = await browser.get(callbackA);
    expect([doneA.status, doneA.headers.get('location')]).to.deep.equal([303, '/a']);
    expect([doneB.status, doneB.headers.get('location')]).to.deep.equal([303, '/b']);
    expect((await requestTicket(system, browser)).status).to.equal(200);
  });
});
