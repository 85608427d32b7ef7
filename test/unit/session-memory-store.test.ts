import { expect } from 'chai';
import { MemorySessionStore, newSessionId, type MemorySessionStoreOptions, type SessionRecord } from '../../src/session/index.js';
import { sessionStoreContract } from '../helpers/session-store-contract.js';

const MINUTE = 60_000;

function recordFor(sub: string, t: number): SessionRecord {
  return { user: { claims: { sub } }, createdAt: t, lastSeenAt: t };
}

describe('MemorySessionStore', () => {
  let t: number;
  let stores: MemorySessionStore[];
  const now = (): number => t;
  const make = (options: MemorySessionStoreOptions = {}): MemorySessionStore => {
    const store = new MemorySessionStore({ now, pruneIntervalMs: 0, ...options });
    stores.push(store);
    return store;
  };
  const create = async (store: MemorySessionStore, sub: string, ttlMs = 30 * MINUTE): Promise<string> => {
    const id = newSessionId(sub);
    expect(await store.create(id, recordFor(sub, t), { ttlMs, issuedAt: 1 })).to.equal(undefined);
    return id;
  };

  beforeEach(() => {
    t = 1_700_000_000_000;
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  describe('the session store contract', () => {
    let subject: MemorySessionStore;
    beforeEach(() => {
      subject = make();
    });
    sessionStoreContract(() => ({ store: subject, now }));
  });

  describe('expiry', () => {
    it('keeps a session for its TTL, then reads it as absent', async () => {
      const store = make();
      const id = await create(store, 'alice', MINUTE);
      t += MINUTE;
      expect(await store.get(id)).to.not.equal(undefined);
      t += 1;
      expect(await store.get(id)).to.equal(undefined);
    });

    it('renews the TTL on touch, and does not bring back an expired session', async () => {
      const store = make();
      const id = await create(store, 'alice', MINUTE);
      t += MINUTE / 2;
      expect(await store.touch(id, t, MINUTE)).to.equal(true);
      t += MINUTE;
      expect(await store.get(id)).to.not.equal(undefined);
      t += 1;
      expect(await store.touch(id, t, MINUTE)).to.equal(false);
      expect(await store.get(id)).to.equal(undefined);
    });
  });

  describe('pruning', () => {
    it('removes expired sessions and keeps live ones', async () => {
      const store = make();
      await create(store, 'alice', MINUTE);
      const bob = await create(store, 'bob', 60 * MINUTE);
      t += 2 * MINUTE;
      expect(store.prune()).to.equal(1);
      expect(store.size).to.equal(1);
      expect((await store.get(bob))?.record.user.claims.sub).to.equal('bob');
    });

    it('runs on its timer until closed', async function () {
      const store = make({ pruneIntervalMs: 5 });
      await create(store, 'alice', MINUTE);
      t += 2 * MINUTE;
      const until = Date.now() + 5_000;
      while (store.size > 0) {
        if (Date.now() > until) throw new Error('the sweep never ran');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await store.close();
      await create(store, 'bob', MINUTE);
      t += 2 * MINUTE;
      // A timer that still ran would sweep within a few intervals; give it many, then look.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.size).to.equal(1);
    });
  });

  describe('at the bound', () => {
    it('evicts the least recently used session to admit a new one', async () => {
      const store = make({ maxSessions: 3 });
      const [a, b, c] = [await create(store, 'a'), await create(store, 'b'), await create(store, 'c')];
      await store.get(a); // a is now more recent than b
      await store.touch(b, t, 30 * MINUTE); // and b more recent than c
      const d = await create(store, 'd');
      expect(store.size).to.equal(3);
      expect(await store.get(c)).to.equal(undefined);
      for (const id of [a, b, d]) expect(await store.get(id)).to.not.equal(undefined);
    });

    it('forgets an evicted session in its indexes, so a later revocation counts only live ones', async () => {
      const store = make({ maxSessions: 1 });
      await create(store, 'carol');
      await create(store, 'dave'); // evicts carol's session
      expect(await store.revoke({ target: { sub: 'carol' }, issuedAt: 2, rememberMs: MINUTE })).to.equal(0);
      expect(await store.revoke({ target: { sub: 'dave' }, issuedAt: 2, rememberMs: MINUTE })).to.equal(1);
    });

    it('keeps its indexes exact as one user\'s sessions come and go', async () => {
      const store = make();
      const ids = [await create(store, 'frank'), await create(store, 'frank'), await create(store, 'frank')];
      await store.destroy(ids[0] as string);
      await store.destroy(ids[2] as string);
      const again = await create(store, 'frank');
      expect(await store.revoke({ target: { sub: 'frank' }, issuedAt: 2, rememberMs: MINUTE })).to.equal(2);
      for (const id of [...ids, again]) expect(await store.get(id)).to.equal(undefined);
      expect(await store.revoke({ target: { sub: 'frank' }, issuedAt: 3, rememberMs: MINUTE })).to.equal(0);
    });

    it('forgets a revocation once its memory ends', async () => {
      const store = make();
      await store.revoke({ target: { sub: 'erin' }, issuedAt: 100, rememberMs: MINUTE });
      expect(await store.create(newSessionId('erin'), recordFor('erin', t), { ttlMs: MINUTE, issuedAt: 50 })).to.equal('revoked');
      t += MINUTE + 1;
      expect(await store.create(newSessionId('erin'), recordFor('erin', t), { ttlMs: MINUTE, issuedAt: 50 })).to.equal(undefined);
    });

    it('lets a refresh claim lapse after its TTL (a holder that died never blocks refreshes for good)', async () => {
      const store = make();
      const id = await create(store, 'alice');
      expect(await store.claimRefresh(id, 10_000)).to.be.a('string');
      t += 10_000;
      expect(await store.claimRefresh(id, 10_000)).to.equal(undefined);
      t += 1;
      expect(await store.claimRefresh(id, 10_000)).to.be.a('string');
    });

    it('rejects options that are not positive integers', () => {
      expect(() => new MemorySessionStore({ maxSessions: 0 })).to.throw(RangeError, /maxSessions/);
      expect(() => new MemorySessionStore({ pruneIntervalMs: -1 })).to.throw(RangeError, /pruneIntervalMs/);
    });
  });

  it('refuses a session id that is already taken, and a record without a sub', async () => {
    const store = make();
    const id = await create(store, 'alice');
    await store.create(id, recordFor('alice', t), { ttlMs: MINUTE, issuedAt: 1 }).then(
      () => expect.fail('a taken id was accepted'),
      (err: Error) => expect(err.message).to.match(/already taken/),
    );
    const noSub: SessionRecord = { user: { claims: {} }, createdAt: t, lastSeenAt: t };
    await store.create(newSessionId('x'), noSub, { ttlMs: MINUTE, issuedAt: 1 }).then(
      () => expect.fail('a record without sub was accepted'),
      (err: Error) => expect(err.message).to.match(/sub/),
    );
  });
});
