import type { Server } from 'node:http';
import { expect } from 'chai';
import { MemorySessionStore, type SessionStore } from '../../src/session/index.js';
import { cookieOf, startSessionApp, type SessionApp } from '../helpers/session-app.js';

const SECRET = 'test-secret-0123456789-0123456789-0123456789';
const MINUTE = 60_000;
const IDLE = 30 * MINUTE;
const ABSOLUTE = 2 * 60 * MINUTE;

/** Counts the store's writes, to tell an activity stamp from a read that writes nothing. */
class CountingStore extends MemorySessionStore {
  touches = 0;
  override touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    this.touches += 1;
    return super.touch(id, lastSeenAt, ttlMs);
  }
}

describe('session lifetime', () => {
  let t: number;
  const now = (): number => t;
  const servers: Server[] = [];
  const stores: SessionStore[] = [];

  async function start(store: SessionStore): Promise<SessionApp['http']> {
    const app = await startSessionApp({ store, secrets: [SECRET], secureCookies: false, idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE, now });
    servers.push(app.server);
    return app.http;
  }
  function countingStore(): CountingStore {
    const store = new CountingStore({ now, pruneIntervalMs: 0 });
    stores.push(store);
    return store;
  }
  async function whoAmI(http: SessionApp['http'], cookie: string): Promise<string | null> {
    return ((await http.get('/me').set('Cookie', cookie).expect(200)).body as { sub: string | null }).sub;
  }

  beforeEach(() => {
    t = 1_700_000_000_000;
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  describe('signIn', () => {
    it('signs in under a new id and ends the session the browser held before (another user on the same browser)', async () => {
      const http = await start(countingStore());
      const alice = cookieOf(await http.post('/login?sub=alice').expect(200));
      const bob = cookieOf(await http.post('/login?sub=bob').set('Cookie', alice).expect(200));
      expect(bob).not.to.equal(alice);
      expect(await whoAmI(http, alice)).to.equal(null);
      expect(await whoAmI(http, bob)).to.equal('bob');
    });

    it('refuses a sign-in that a back-channel logout for its user already ended, and sets no cookie', async () => {
      const store = countingStore();
      const http = await start(store);
      await store.revoke({ target: { sub: 'mallory' }, issuedAt: 2, rememberMs: MINUTE });
      const res = await http.post('/login?sub=mallory').expect(200);
      expect(res.body).to.deep.equal({ refused: 'revoked' });
      expect(res.get('Set-Cookie')).to.equal(undefined);
    });
  });

  describe('signOut', () => {
    it('ends the session in the store and drops the cookie', async () => {
      const store = countingStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      const res = await http.post('/logout').set('Cookie', cookie).expect(204);
      const cleared = res.get('Set-Cookie') ?? [];
      expect(cleared).to.deep.equal(['onetalk.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax']);
      expect(store.size).to.equal(0);
      expect(await whoAmI(http, cookie)).to.equal(null);
    });
  });

  describe('idle timeout', () => {
    it('keeps a session used within the idle timeout, however long in all', async () => {
      const http = await start(countingStore());
      const cookie = cookieOf(await http.post('/login').expect(200));
      for (let i = 0; i < 3; i += 1) {
        t += IDLE - MINUTE;
        expect(await whoAmI(http, cookie)).to.equal('alice');
      }
    });

    it('ends a session left idle longer than the timeout, for good', async () => {
      const store = countingStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      t += IDLE + 1;
      const res = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(res.body).to.deep.equal({ sub: null, createdAt: null });
      expect(store.size).to.equal(0);
      t -= IDLE; // a clock wound back does not bring it back either
      expect(await whoAmI(http, cookie)).to.equal(null);
    });

    it('ends it too in a store that does not expire entries itself (lastSeenAt is checked)', async () => {
      class NeverExpiring extends CountingStore {
        override touch(id: string, lastSeenAt: number): Promise<boolean> {
          return super.touch(id, lastSeenAt, 365 * 24 * 60 * MINUTE);
        }
      }
      const store = new NeverExpiring({ now, pruneIntervalMs: 0 });
      stores.push(store);
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      t += 20 * MINUTE;
      expect(await whoAmI(http, cookie)).to.equal('alice'); // touched: a year of TTL in the store
      t += IDLE + 1;
      expect(await whoAmI(http, cookie)).to.equal(null);
      expect(store.size).to.equal(0);
    });

    it('writes an activity stamp at most once a step, and never sends a cookie on a read', async () => {
      const store = countingStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      t += 30_000;
      const quiet = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(store.touches).to.equal(0);
      expect(quiet.get('Set-Cookie')).to.equal(undefined);
      t += 30_000; // a minute since lastSeenAt: one stamp
      const stamped = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(store.touches).to.equal(1);
      expect(stamped.get('Set-Cookie')).to.equal(undefined);
      await whoAmI(http, cookie);
      expect(store.touches).to.equal(1);
    });
  });

  describe('absolute timeout', () => {
    it('ends a session older than the absolute timeout however active, and continues as anonymous', async () => {
      const store = countingStore();
      const http = await start(store);
      const cookie = cookieOf(await http.post('/login').expect(200));
      for (let elapsed = 20 * MINUTE; elapsed < ABSOLUTE; elapsed += 20 * MINUTE) {
        t += 20 * MINUTE;
        expect(await whoAmI(http, cookie)).to.equal('alice');
      }
      t += 20 * MINUTE;
      expect(await whoAmI(http, cookie)).to.equal('alice'); // exactly the absolute lifetime
      t += 1;
      const res = await http.get('/me').set('Cookie', cookie).expect(200);
      expect(res.body).to.deep.equal({ sub: null, createdAt: null });
      expect(store.size).to.equal(0);
    });

    it('lets the same browser sign in again after the old session ended', async () => {
      const http = await start(countingStore());
      const stale = cookieOf(await http.post('/login').expect(200));
      t += ABSOLUTE + 1;
      expect(await whoAmI(http, stale)).to.equal(null);
      const fresh = cookieOf(await http.post('/login').set('Cookie', stale).expect(200));
      expect(await whoAmI(http, fresh)).to.equal('alice');
    });
  });
});
