import { once } from 'node:events';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import type { Store } from 'express-session';
import request from 'supertest';
import type { Response } from 'supertest';
import {
  BoundedMemoryStore,
  createSessionMiddleware,
  startAuthenticatedSession,
} from '../../src/session/index.js';

const OLD = 'old-secret-0123456789-0123456789-0123456789';
const NEW = 'new-secret-0123456789-0123456789-0123456789';
const OTHER = 'unknown-secret-0123456789-0123456789-012345';

interface AppOptions {
  store: Store;
  secrets?: string[];
  secureCookies?: boolean;
  trustProxy?: boolean;
}

/** Parsed `Set-Cookie`: name, value and attributes (lower-cased names). */
interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attrs] = header.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attr of attrs) {
    const at = attr.indexOf('=');
    attributes.set((at < 0 ? attr : attr.slice(0, at)).toLowerCase(), at < 0 ? '' : attr.slice(at + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

function setCookies(res: Response): SetCookie[] {
  return (res.get('Set-Cookie') ?? []).map(parseSetCookie);
}

/** The one session cookie a response sets, as a `Cookie` request header value. */
function cookieOf(res: Response): string {
  const [cookie] = setCookies(res);
  if (!cookie) throw new Error(`no Set-Cookie on ${res.status} response`);
  return `${cookie.name}=${cookie.value}`;
}

describe('session cookie policy', () => {
  const servers: Server[] = [];
  const stores: BoundedMemoryStore[] = [];

  async function start(options: AppOptions): Promise<ReturnType<typeof request>> {
    const app = express();
    if (options.trustProxy) app.set('trust proxy', 1);
    app.use(
      createSessionMiddleware({
        store: options.store,
        secrets: options.secrets ?? [NEW],
        secureCookies: options.secureCookies ?? false,
      }),
    );
    app.post('/login', async (req, res) => {
      await startAuthenticatedSession(req, { user: { claims: { sub: 'alice', email: 'alice@example.com' } } });
      res.json({ sessionID: req.sessionID });
    });
    app.get('/me', (req, res) => {
      res.json({ sub: req.session.user?.claims['sub'] ?? null });
    });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return request(server);
  }

  function newStore(): BoundedMemoryStore {
    const store = new BoundedMemoryStore();
    stores.push(store);
    return store;
  }

  after(async () => {
    stores.forEach((store) => store.close());
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  describe('over plain http', () => {
    it('sets onetalk.sid: HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure', async () => {
      const http = await start({ store: newStore() });
      const res = await http.post('/login').expect(200);
      const cookies = setCookies(res);
      expect(cookies).to.have.length(1);
      const [cookie] = cookies;
      expect(cookie?.name).to.equal('onetalk.sid');
      expect(cookie?.attributes.has('httponly')).to.equal(true);
      expect(cookie?.attributes.get('samesite')).to.equal('Lax');
      expect(cookie?.attributes.get('path')).to.equal('/');
      expect(cookie?.attributes.has('domain')).to.equal(false);
      expect(cookie?.attributes.has('secure')).to.equal(false);
    });

    it('expires the cookie one idle timeout from now', async () => {
      const http = await start({ store: newStore() });
      const [cookie] = setCookies(await http.post('/login').expect(200));
      const expires = Date.parse(cookie?.attributes.get('expires') ?? '');
      expect(expires).to.be.closeTo(Date.now() + 30 * 60_000, 5_000);
    });

    it('carries only the signed session id, no user data', async () => {
      const http = await start({ store: newStore() });
      const res = await http.post('/login').expect(200);
      const body = res.body as { sessionID: string };
      const value = decodeURIComponent(setCookies(res)[0]?.value ?? '');
      expect(value).to.match(/^s:[A-Za-z0-9_-]{32}\.[A-Za-z0-9+/]{43}$/);
      expect(value.slice(2, 34)).to.equal(body.sessionID);
      expect(value).not.to.include('alice');
    });

    it('sets no cookie for a visitor who stores nothing', async () => {
      const http = await start({ store: newStore() });
      const res = await http.get('/me').expect(200);
      expect(res.get('Set-Cookie')).to.equal(undefined);
    });
  });

  describe('when the public URL is https', () => {
    it('sets __Host-onetalk.sid with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain behind a trusted proxy', async () => {
      const https = await start({ store: newStore(), secureCookies: true, trustProxy: true });
      const res = await https.post('/login').set('X-Forwarded-Proto', 'https').expect(200);
      const [cookie] = setCookies(res);
      expect(cookie?.name).to.equal('__Host-onetalk.sid');
      expect(cookie?.attributes.has('secure')).to.equal(true);
      expect(cookie?.attributes.has('httponly')).to.equal(true);
      expect(cookie?.attributes.get('samesite')).to.equal('Lax');
      expect(cookie?.attributes.get('path')).to.equal('/');
      expect(cookie?.attributes.has('domain')).to.equal(false);

      const me = await https.get('/me').set('X-Forwarded-Proto', 'https').set('Cookie', cookieOf(res)).expect(200);
      expect(me.body).to.deep.equal({ sub: 'alice' });
    });

    it('sends no Secure cookie over a connection it cannot tell is https', async () => {
      const untrusting = await start({ store: newStore(), secureCookies: true });
      const forged = await untrusting.post('/login').set('X-Forwarded-Proto', 'https').expect(200);
      expect(forged.get('Set-Cookie')).to.equal(undefined);

      const trusting = await start({ store: newStore(), secureCookies: true, trustProxy: true });
      const plain = await trusting.post('/login').expect(200);
      expect(plain.get('Set-Cookie')).to.equal(undefined);
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
      expect(me.body).to.deep.equal({ sub: 'alice' });
      const reissued = cookieOf(me);
      expect(reissued).not.to.equal(oldCookie);

      expect((await newOnly.get('/me').set('Cookie', reissued).expect(200)).body).to.deep.equal({ sub: 'alice' });
      expect((await newOnly.get('/me').set('Cookie', oldCookie).expect(200)).body).to.deep.equal({ sub: null });
    });

    it('refuses a cookie signed with a secret not in the list, though the session exists', async () => {
      const store = newStore();
      const stranger = await start({ store, secrets: [OTHER] });
      const rotated = await start({ store, secrets: [NEW, OLD] });
      const foreign = cookieOf(await stranger.post('/login').expect(200));
      expect(store.size).to.equal(1);

      const me = await rotated.get('/me').set('Cookie', foreign).expect(200);
      expect(me.body).to.deep.equal({ sub: null });
    });
  });
});
