import { once } from 'node:events';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import type { SessionData, Store } from 'express-session';
import request from 'supertest';
import type { Response } from 'supertest';
import {
  BoundedMemoryStore,
  clearSessionCookie,
  createSessionMiddleware,
  destroySession,
  startAuthenticatedSession,
} from '../../src/session/index.js';

const SECRET = 'test-secret-0123456789-0123456789-0123456789';
const MINUTE = 60_000;
const IDLE = 30 * MINUTE;
const ABSOLUTE = 2 * 60 * MINUTE;

/** Counts full writes, to tell a rewrite of the session from a mere touch. */
class CountingStore extends BoundedMemoryStore {
  writes = 0;
  override set(sid: string, sess: SessionData, callback?: (err: unknown) => void): void {
    this.writes += 1;
    super.set(sid, sess, callback);
  }
}

function cookieOf(res: Response): string {
  const header = res.get('Set-Cookie')?.[0];
  if (!header) throw new Error(`no Set-Cookie on ${res.status} response`);
  return header.split(';')[0] ?? '';
}

describe('session lifetime', () => {
  let t: number;
  const now = (): number => t;
  const servers: Server[] = [];
  const stores: BoundedMemoryStore[] = [];

  async function start(store: Store): Promise<ReturnType<typeof request>> {
    const app = express();
    app.use(createSessionMiddleware({ store, secrets: [SECRET], secureCookies: false, idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE, now }));
    app.post('/pending', (req, res) => {
      // What a login in progress keeps (OIDC state); the type is not the point here.
      (req.session as unknown as Record<string, unknown>)['pending'] = 'state-123';
      res.sendStatus(204);
    });
    app.post('/login', async (req, res) => {
      await startAuthenticatedSession(req, { user: { claims: { sub: 'alice' }, sid: 'idp-1' } });
      res.json({ sessionID: req.sessionID });
    });
    app.post('/logout', async (req, res) => {
      await destroySession(req);
      clearSessionCookie(res, false);
      res.sendStatus(204);
    });
    app.get('/me', (req, res) => {
      const pending = (req.session as unknown as Record<string, unknown>)['pending'] ?? null;
      res.json({ sub: req.session.user?.claims['sub'] ?? null, createdAt: req.session.createdAt ?? null, pending });
    });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return request(server);
  }

  function boundedStore(): CountingStore {
    const store = new CountingStore({ now, pruneIntervalMs: 0 });
    stores.push(store);
    return store;
  }

  async function whoAmI(http: ReturnType<typeof request>, cookie: string): Promise<string | null> {
    const res = await http.get('/me').set('Cookie', cookie).expect(200);
    return (res.body as { sub: string | null }).sub;
  }

  beforeEach(() => {
    t = 1_700_000_000_000;
  });
  after(async () => {
    stores.forEach((store) => store.close());
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  describe('startAuthenticatedSession', () => {
    it('moves the user to a new session id, so a pre-login id never becomes signed in', async () => {
      const http = await start(boundedStore());
      const planted = cookieOf(await http.post('/pending').expect(204));
      const login = await http.post('/login').set('Cookie', planted).expect(200);
      const signedIn = cookieOf(login);
      expect(signedIn).not.to.equal(planted);

      expect(await whoAmI(http, planted)).to.equal(null);
      const me = await http.get('/me').set('Cookie', signedIn).expect(200);
      expect(me.body).to.deep.equal({ sub: 'alice', createdAt: t, pending: null });
    });
  });

  describe('destroySession', () => {
    it('ends the session in the store, and clearSessionCookie drops the cookie', async () => {
      const store = boundedStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      const res = await http.post('/logout').set('Cookie', cookie).expect(204);
      const cleared = res.get('Set-Cookie') ?? [];
      expect(cleared).to.have.length(1);
      expect(cleared[0]).to.match(/^onetalk\.sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
      expect(store.size).to.equal(0);
      expect(await whoAmI(http, cookie)).to.equal(null);
    });
  });

  describe('idle timeout', () => {
    it('keeps a session used within the idle timeout, however long in all', async () => {
      const http = await start(boundedStore());
      const cookie = cookieOf(await http.post('/login').expect(200));
      for (let i = 0; i < 3; i += 1) {
        t += IDLE - MINUTE;
        expect(await whoAmI(http, cookie)).to.equal('alice');
      }
    });

    it('ends a session left idle longer than the timeout (the store expires it)', async () => {
      const store = boundedStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      t += IDLE + 1;
      expect(await whoAmI(http, cookie)).to.equal(null);
      expect(store.size).to.equal(0);
    });

    it('ends it too with a store that never expires entries (the guard checks lastSeenAt)', async () => {
      const store = new session.MemoryStore(); // expires on the real clock only
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      t += IDLE + 1;
      const res = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(res.body).to.include({ sub: null });
      expect(res.get('Set-Cookie'), 'no new session for a visitor who stored nothing').to.equal(undefined);
      const left = await new Promise<number | undefined>((resolve) => store.length((_err, n) => resolve(n)));
      expect(left).to.equal(0);
    });

    it('rewrites the session (renewing its store TTL) at most once a resolution step', async () => {
      const store = boundedStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      const afterLogin = store.writes;
      t += 30_000;
      await whoAmI(http, cookie);
      expect(store.writes).to.equal(afterLogin);
      t += 30_000; // a minute since lastSeenAt: record the new time
      await whoAmI(http, cookie);
      expect(store.writes).to.equal(afterLogin + 1);
    });
  });

  describe('absolute timeout', () => {
    it('ends a session older than the absolute timeout however active, and continues as anonymous', async () => {
      const store = boundedStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      for (let elapsed = 0; elapsed < ABSOLUTE; elapsed += 20 * MINUTE) {
        t += 20 * MINUTE;
        expect(await whoAmI(http, cookie)).to.equal('alice');
      }
      t += 1;
      const res = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(res.body).to.deep.equal({ sub: null, createdAt: null, pending: null });
      expect(res.get('Set-Cookie')).to.equal(undefined);
      expect(store.size).to.equal(0);
      expect(await whoAmI(http, cookie)).to.equal(null);
    });

    it('lets the same browser sign in again after the old session ended', async () => {
      const http = await start(boundedStore());
      const stale = cookieOf(await http.post('/login').expect(200));
      for (let elapsed = 0; elapsed <= ABSOLUTE; elapsed += 20 * MINUTE) {
        t += 20 * MINUTE;
        await whoAmI(http, stale);
      }
      expect(await whoAmI(http, stale)).to.equal(null);
      const fresh = cookieOf(await http.post('/login').set('Cookie', stale).expect(200));
      expect(await whoAmI(http, fresh)).to.equal('alice');
    });
  });
});
