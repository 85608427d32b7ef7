import { expect } from 'chai';
import session from 'express-session';
import type { SessionData } from 'express-session';
import { BoundedMemoryStore } from '../../src/session/index.js';
import type { BoundedMemoryStoreOptions } from '../../src/session/index.js';

const MINUTE = 60_000;

/** A session as express-session hands it to a store: a real Cookie with `maxAge` set. */
function sessionFor(sub: string, ttlMs: number | null = 30 * MINUTE, sid?: string): SessionData {
  const cookie = new session.Cookie();
  if (ttlMs !== null) cookie.maxAge = ttlMs;
  return { cookie, createdAt: 1, user: sid ? { claims: { sub }, sid } : { claims: { sub } } };
}

function call<T>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err as Error) : resolve(value))));
}

describe('BoundedMemoryStore', () => {
  let t: number;
  let stores: BoundedMemoryStore[];
  const now = (): number => t;
  const make = (options: BoundedMemoryStoreOptions = {}): BoundedMemoryStore => {
    const store = new BoundedMemoryStore({ now, pruneIntervalMs: 0, ...options });
    stores.push(store);
    return store;
  };
  const get = (store: BoundedMemoryStore, sid: string) => call<SessionData | null>((cb) => store.get(sid, cb));
  const set = (store: BoundedMemoryStore, sid: string, sess: SessionData) => call<void>((cb) => store.set(sid, sess, cb));
  const touch = (store: BoundedMemoryStore, sid: string, sess: SessionData) =>
    new Promise<void>((resolve) => store.touch(sid, sess, resolve));
  const subOf = (sess: SessionData | null | undefined): string | undefined => sess?.user?.claims['sub'];

  beforeEach(() => {
    t = 1_700_000_000_000;
    stores = [];
  });
  afterEach(() => stores.forEach((s) => s.close()));

  describe('get and set', () => {
    it('returns what was stored, cookie included', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice'));
      const got = await get(store, 'a');
      expect(subOf(got)).to.equal('alice');
      expect(got?.cookie.originalMaxAge).to.equal(30 * MINUTE);
    });

    it('answers nothing for an unknown id', async () => {
      expect(await get(make(), 'nope')).to.equal(null);
    });

    it('isolates the stored copy from the objects the caller holds', async () => {
      const store = make();
      const original = sessionFor('alice');
      await set(store, 'a', original);
      original.user!.claims['sub'] = 'mallory';
      const first = await get(store, 'a');
      first!.user!.claims['sub'] = 'eve';
      expect(subOf(await get(store, 'a'))).to.equal('alice');
    });

    it('never calls back synchronously', () => {
      const store = make();
      let called = false;
      store.get('a', () => (called = true));
      store.set('a', sessionFor('alice'), () => (called = true));
      store.destroy('a', () => (called = true));
      expect(called).to.equal(false);
    });
  });

  describe('expiry', () => {
    it('keeps a session until its cookie expires, then reads it as absent and drops it', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice', 10 * MINUTE));
      t += 10 * MINUTE - 1000;
      expect(subOf(await get(store, 'a'))).to.equal('alice');
      t += 2000;
      expect(await get(store, 'a')).to.equal(null);
      expect(store.size).to.equal(0);
    });

    it('falls back to the default TTL when the cookie has no expiry', async () => {
      const store = make({ defaultTtlMs: 5 * MINUTE });
      await set(store, 'a', sessionFor('alice', null));
      t += 5 * MINUTE - 1;
      expect(subOf(await get(store, 'a'))).to.equal('alice');
      t += 2;
      expect(await get(store, 'a')).to.equal(null);
    });

    it('does not store a session whose cookie has already expired', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice'));
      const expired = sessionFor('alice');
      expired.cookie.expires = new Date(Date.now() - 1000);
      await set(store, 'a', expired);
      expect(store.size).to.equal(0);
    });
  });

  describe('touch', () => {
    it('pushes the expiry forward and keeps the stored data', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice', 10 * MINUTE));
      t += 8 * MINUTE;
      await touch(store, 'a', sessionFor('someone-else', 10 * MINUTE));
      t += 8 * MINUTE; // 16 minutes after set: alive only because of the touch
      expect(subOf(await get(store, 'a'))).to.equal('alice');
    });

    it('does not bring back an expired or unknown session', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice', MINUTE));
      t += 2 * MINUTE;
      await touch(store, 'a', sessionFor('alice'));
      await touch(store, 'b', sessionFor('bob'));
      expect(await get(store, 'a')).to.equal(null);
      expect(await get(store, 'b')).to.equal(null);
    });
  });

  describe('pruning', () => {
    it('removes expired sessions and keeps live ones', async () => {
      const store = make();
      await set(store, 'short', sessionFor('alice', MINUTE));
      await set(store, 'long', sessionFor('bob', 60 * MINUTE));
      t += 2 * MINUTE;
      expect(store.prune()).to.equal(1);
      expect(store.size).to.equal(1);
      expect(subOf(await get(store, 'long'))).to.equal('bob');
    });

    it('runs on its timer until closed', async () => {
      const store = make({ pruneIntervalMs: 5 });
      await set(store, 'a', sessionFor('alice', MINUTE));
      t += 2 * MINUTE;
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(store.size).to.equal(0);

      store.close();
      await set(store, 'b', sessionFor('bob', MINUTE));
      t += 2 * MINUTE;
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(store.size).to.equal(1);
    });
  });

  describe('at the bound', () => {
    it('evicts the least recently used session to admit a new one', async () => {
      const store = make({ maxSessions: 3 });
      await set(store, 'a', sessionFor('a'));
      await set(store, 'b', sessionFor('b'));
      await set(store, 'c', sessionFor('c'));
      await get(store, 'a'); // a is now more recent than b
      await touch(store, 'b', sessionFor('b')); // and b more recent than c
      await set(store, 'd', sessionFor('d'));
      expect(store.size).to.equal(3);
      expect(await get(store, 'c')).to.equal(null);
      for (const sid of ['a', 'b', 'd']) expect(subOf(await get(store, sid))).to.equal(sid);
    });

    it('evicts nothing when an existing session is rewritten', async () => {
      const store = make({ maxSessions: 2 });
      await set(store, 'a', sessionFor('a'));
      await set(store, 'b', sessionFor('b'));
      await set(store, 'a', sessionFor('a2'));
      expect(subOf(await get(store, 'a'))).to.equal('a2');
      expect(subOf(await get(store, 'b'))).to.equal('b');
    });

    it('rejects a bound that is not a positive integer', () => {
      expect(() => new BoundedMemoryStore({ maxSessions: 0 })).to.throw(RangeError, /maxSessions/);
      expect(() => new BoundedMemoryStore({ pruneIntervalMs: -1 })).to.throw(RangeError, /pruneIntervalMs/);
    });
  });

  describe('destroyWhere', () => {
    it('destroys the live sessions the predicate selects and counts them', async () => {
      const store = make();
      await set(store, 'a1', sessionFor('alice', 30 * MINUTE, 'idp-1'));
      await set(store, 'a2', sessionFor('alice', 30 * MINUTE, 'idp-2'));
      await set(store, 'b', sessionFor('bob', 30 * MINUTE, 'idp-3'));
      await set(store, 'gone', sessionFor('alice', MINUTE, 'idp-4'));
      t += 2 * MINUTE;
      expect(await store.destroyWhere((s) => s.user?.claims['sub'] === 'alice')).to.equal(2);
      expect(await store.destroyWhere((s) => s.user?.sid === 'idp-3')).to.equal(1);
      expect(store.size).to.equal(0);
    });

    it('rejects when the predicate throws', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice'));
      const failing = store.destroyWhere(() => {
        throw new Error('boom');
      });
      await failing.then(
        () => expect.fail('should have rejected'),
        (err: unknown) => expect(err).to.be.an('error').with.property('message', 'boom'),
      );
    });
  });

  describe('all, length and clear', () => {
    it('list and count live sessions only, and clear empties the store', async () => {
      const store = make();
      await set(store, 'a', sessionFor('alice'));
      await set(store, 'b', sessionFor('bob'));
      await set(store, 'old', sessionFor('carol', MINUTE));
      t += 2 * MINUTE;
      const all = await call<Record<string, SessionData>>((cb) => store.all(cb));
      expect(Object.keys(all ?? {}).sort()).to.deep.equal(['a', 'b']);
      expect(subOf(all?.['b'])).to.equal('bob');
      expect(await call<number>((cb) => store.length(cb))).to.equal(2);
      await call<void>((cb) => store.clear(cb));
      expect(await call<number>((cb) => store.length(cb))).to.equal(0);
      expect(store.size).to.equal(0);
    });
  });
});
