import type { Server } from 'node:http';
import { expect } from 'chai';
import { createSessions, MemorySessionStore, sessionCookieName, type SessionStore } from '../../src/session/index.js';
import { cookieOf, setCookies, startSessionApp, type SessionApp } from '../helpers/session-app.js';

const OLD = 'old-secret-0123456789-0123456789-0123456789';
const NEW = 'new-secret-0123456789-0123456789-0123456789';
const OTHER = 'unknown-secret-0123456789-0123456789-012345';
const IDLE = 30 * 60_000;
const ABSOLUTE = 12 * 3_600_000;

describe('session cookie policy', () => {
  const servers: Server[] = [];
  const stores: SessionStore[] = [];

  async function start(options: { store?: SessionStore; secrets?: string[]; secureCookies?: boolean; trustProxy?: boolean } = {}): Promise<SessionApp['http']> {
    const app = await startSessionApp({
      store: options.store ?? newStore(),
      secrets: options.secrets ?? [NEW],
      secureCookies: options.secureCookies ?? false,
      idleTimeoutMs: IDLE,
      absoluteTimeoutMs: ABSOLUTE,
      ...(options.trustProxy ? { trustProxy: true } : {}),
    });
    servers.push(app.server);
    return app.http;
  }
  function newStore(): MemorySessionStore {
    const store = new MemorySessionStore({ pruneIntervalMs: 0 });
    stores.push(store);
    return store;
  }

  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  describe('sessionCookieName', () => {
    const cases: Array<[secure: boolean, base: string | undefined, expected: string]> = [
      [false, undefined, 'onetalk.sid'],
      [true, undefined, '__Host-onetalk.sid'],
      [false, 'custom', 'custom'],
      [true, 'custom', '__Host-custom'],
    ];
    for (const [secure, base, expected] of cases) {
      it(`is ${expected} when secure is ${secure} and the base is ${base ?? 'the default'}`, () => {
        expect(sessionCookieName(secure, base)).to.equal(expected);
      });
    }
  });

  describe('createSessions', () => {
    const store = new MemorySessionStore({ pruneIntervalMs: 0 });
    after(() => store.close());
    it('refuses an empty secret list or an empty secret', () => {
      const base = { store, secureCookies: false, idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE };
      expect(() => createSessions({ ...base, secrets: [] })).to.throw(TypeError, /secrets/);
      expect(() => createSessions({ ...base, secrets: [NEW, ''] })).to.throw(TypeError, /secrets/);
    });
    it('refuses timeouts that are not positive integers of ms', () => {
      const base = { store, secrets: [NEW], secureCookies: false };
      expect(() => createSessions({ ...base, idleTimeoutMs: 0, absoluteTimeoutMs: ABSOLUTE })).to.throw(RangeError, /idleTimeoutMs/);
      expect(() => createSessions({ ...base, idleTimeoutMs: IDLE, absoluteTimeoutMs: 1.5 })).to.throw(RangeError, /absoluteTimeoutMs/);
    });
  });

  describe('over plain http', () => {
    it('sets onetalk.sid at sign-in: HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure, kept for the absolute lifetime', async () => {
      const http = await start();
      const cookies = setCookies(await http.post('/login').expect(200));
      expect(cookies).to.have.length(1);
      const [cookie] = cookies;
      expect(cookie?.name).to.equal('onetalk.sid');
      expect(cookie?.attributes.has('httponly')).to.equal(true);
      expect(cookie?.attributes.get('samesite')).to.equal('Lax');
      expect(cookie?.attributes.get('path')).to.equal('/');
      expect(cookie?.attributes.has('domain')).to.equal(false);
      expect(cookie?.attributes.has('secure')).to.equal(false);
      expect(cookie?.attributes.get('max-age')).to.equal(String(ABSOLUTE / 1000));
    });

    it('carries only the signed session id, no user data', async () => {
      const http = await start();
      const value = decodeURIComponent(setCookies(await http.post('/login').expect(200))[0]?.value ?? '');
      expect(value).to.match(/^[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]{43}$/);
      expect(value).not.to.include('alice');
    });

    it('sets no cookie for a visitor without a session, nor for a forged or malformed one', async () => {
      const http = await start();
      for (const cookie of [undefined, 'onetalk.sid=garbage', 'onetalk.sid=abc.def.ghi', `onetalk.sid=${'a'.repeat(4096)}`]) {
        const req = http.get('/me');
        const res = await (cookie ? req.set('Cookie', cookie) : req).expect(200);
        expect(res.body).to.deep.equal({ sub: null, createdAt: null });
        expect(res.get('Set-Cookie')).to.equal(undefined);
      }
    });

    it('drops the cookie of a session that no longer exists', async () => {
      const store = newStore();
      const http = await start({ store });
      const cookie = cookieOf(await http.post('/login').expect(200));
      const other = await start({ store: newStore() }); // same secret, empty store
      const res = await other.get('/me').set('Cookie', cookie).expect(200);
      expect(res.body).to.deep.equal({ sub: null, createdAt: null });
      expect(setCookies(res).map((c) => [c.name, c.value])).to.deep.equal([['onetalk.sid', '']]);
    });
  });

  describe('when the public URL is https', () => {
    it('sets __Host-onetalk.sid with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
      const https = await start({ secureCookies: true, trustProxy: true });
      const res = await https.post('/login').set('X-Forwarded-Proto', 'https').expect(200);
      const [cookie] = setCookies(res);
      expect(cookie?.name).to.equal('__Host-onetalk.sid');
      expect(cookie?.attributes.has('secure')).to.equal(true);
      expect(cookie?.attributes.has('httponly')).to.equal(true);
      expect(cookie?.attributes.get('samesite')).to.equal('Lax');
      expect(cookie?.attributes.get('path')).to.equal('/');
      expect(cookie?.attributes.has('domain')).to.equal(false);
      const me = await https.get('/me').set('X-Forwarded-Proto', 'https').set('Cookie', cookieOf(res)).expect(200);
      expect(me.body).to.include({ sub: 'alice' });
    });

    it('does not read a plain onetalk.sid cookie (a sibling subdomain could have planted it)', async () => {
      const store = newStore();
      const plain = await start({ store });
      const https = await start({ store, secureCookies: true, trustProxy: true });
      const planted = cookieOf(await plain.post('/login').expect(200));
      const me = await https.get('/me').set('X-Forwarded-Proto', 'https').set('Cookie', planted).expect(200);
      expect(me.body).to.include({ sub: null });
    });
  });

  describe('secret rotation', () => {
    it('accepts a cookie signed with an old secret listed second, and re-signs it with the first', async () => {
      const store = newStore();
      const before = await start({ store, secrets: [OLD] });
      const rotated = await start({ store, secrets: [NEW, OLD] });
      const newOnly = await start({ store, secrets: [NEW] });
      const oldCookie = cookieOf(await before.post('/login').expect(200));

      const me = await rotated.get('/me').set('Cookie', oldCookie).expect(200);
      expect(me.body).to.include({ sub: 'alice' });
      const reissued = cookieOf(me);
      expect(reissued).not.to.equal(oldCookie);
      // Only a cookie verified by an older secret is re-sent; a current one never is.
      expect((await rotated.get('/me').set('Cookie', reissued).expect(200)).get('Set-Cookie')).to.equal(undefined);

      expect((await newOnly.get('/me').set('Cookie', reissued).expect(200)).body).to.include({ sub: 'alice' });
      expect((await newOnly.get('/me').set('Cookie', oldCookie).expect(200)).body).to.include({ sub: null });
    });

    it('refuses a cookie signed with a secret not in the list, though the session exists', async () => {
      const store = newStore();
      const stranger = await start({ store, secrets: [OTHER] });
      const rotated = await start({ store, secrets: [NEW, OLD] });
      const foreign = cookieOf(await stranger.post('/login').expect(200));
      expect(store.size).to.equal(1);
      const me = await rotated.get('/me').set('Cookie', foreign).expect(200);
      expect(me.body).to.include({ sub: null });
    });
  });
});
