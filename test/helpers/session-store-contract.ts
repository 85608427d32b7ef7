/**
 * The write model every session store must keep (src/session/store.ts), as one suite that the
 * memory store (test/unit) and the Redis store (test/integration) both run.
 */
import { expect } from 'chai';
import { newSessionId, type SessionRecord, type SessionStore } from '../../src/session/index.js';

export interface ContractSubject {
  store: SessionStore;
  /** The store's clock, epoch ms (the memory store's fake clock; real time for Redis). */
  now(): number;
}

const HOUR = 3_600_000;
const ISSUED = 1_800_000_000; // an ID token's iat, epoch s

function recordFor(sub: string, t: number, sid?: string): SessionRecord {
  return { user: { claims: { sub, name: `User ${sub}` }, ...(sid ? { sid } : {}) }, createdAt: t, lastSeenAt: t };
}

/** Registers the contract's tests; `subject()` is called in each test, after the suite's hooks. */
export function sessionStoreContract(subject: () => ContractSubject): void {
  let store: SessionStore;
  let t: number;
  let n = 0;
  /** A user id unique to this run, so suites sharing one Redis never see each other's users. */
  const user = (name: string): string => `${name}-${process.pid}-${n++}-${Math.random().toString(36).slice(2)}`;

  async function signedIn(sub: string, sid?: string, options: { tokens?: string; issuedAt?: number } = {}): Promise<string> {
    const id = newSessionId(sub);
    const refusal = await store.create(id, recordFor(sub, t, sid), { ttlMs: HOUR, issuedAt: options.issuedAt ?? ISSUED, ...(options.tokens ? { tokens: options.tokens } : {}) });
    expect(refusal).to.equal(undefined);
    return id;
  }

  beforeEach(() => {
    ({ store } = subject());
    t = subject().now();
  });

  describe('create and get', () => {
    it('reads back what was created, at generation 1', async () => {
      const sub = user('alice');
      const id = await signedIn(sub, 'idp-1');
      expect(await store.get(id)).to.deep.equal({ record: recordFor(sub, t, 'idp-1'), gen: 1 });
    });

    it('answers nothing for an unknown id', async () => {
      expect(await store.get(newSessionId(user('nobody')))).to.equal(undefined);
    });

    it('isolates the stored copy from the objects the caller holds', async () => {
      const sub = user('alice');
      const id = await signedIn(sub);
      const read = await store.get(id);
      read!.record.user.claims.name = 'Mallory';
      expect((await store.get(id))!.record.user.claims.name).to.equal(`User ${sub}`);
    });
  });

  describe('touch', () => {
    it('moves lastSeenAt forward and keeps the record', async () => {
      const sub = user('alice');
      const id = await signedIn(sub);
      expect(await store.touch(id, t + 5_000, HOUR)).to.equal(true);
      const read = await store.get(id);
      expect(read!.record).to.deep.equal({ ...recordFor(sub, t), lastSeenAt: t + 5_000 });
      expect(read!.gen).to.equal(1);
    });

    it('never moves lastSeenAt back (another instance\'s clock a little behind)', async () => {
      const sub = user('alice');
      const id = await signedIn(sub);
      expect(await store.touch(id, t + 5_000, HOUR)).to.equal(true);
      expect(await store.touch(id, t + 4_000, HOUR)).to.equal(true);
      expect((await store.get(id))!.record.lastSeenAt).to.equal(t + 5_000);
    });

    it('never brings back a session that was destroyed', async () => {
      const id = await signedIn(user('alice'));
      await store.destroy(id);
      expect(await store.touch(id, t + 5_000, HOUR)).to.equal(false);
      expect(await store.get(id)).to.equal(undefined);
    });
  });

  describe('replace (no stale write wins)', () => {
    it('replaces at the generation read and moves it on; a writer holding the older one is refused', async () => {
      const sub = user('alice');
      const id = await signedIn(sub, undefined, { tokens: 'sealed-1' });
      const first = await store.get(id);
      const second = await store.get(id);
      const renamed = { ...first!.record, user: { claims: { sub, name: 'Alice Renamed' } } };
      expect(await store.replace(id, first!.gen, renamed, 'sealed-2')).to.equal(2);
      // The other request read generation 1 too: its (older) tokens must not overwrite the newer ones.
      expect(await store.replace(id, second!.gen, second!.record, 'sealed-1')).to.equal(undefined);
      expect(await store.tokens(id)).to.equal('sealed-2');
      expect((await store.get(id))!.record.user.claims.name).to.equal('Alice Renamed');
    });

    it('keeps the tokens when none are given, and never recreates a destroyed session', async () => {
      const sub = user('alice');
      const id = await signedIn(sub, undefined, { tokens: 'sealed-1' });
      expect(await store.replace(id, 1, recordFor(sub, t))).to.equal(2);
      expect(await store.tokens(id)).to.equal('sealed-1');
      await store.destroy(id);
      expect(await store.replace(id, 2, recordFor(sub, t), 'sealed-3')).to.equal(undefined);
      expect(await store.get(id)).to.equal(undefined);
      expect(await store.tokens(id)).to.equal(undefined);
    });
  });

  describe('destroy', () => {
    it('ends the session and its tokens, for good', async () => {
      const id = await signedIn(user('alice'), undefined, { tokens: 'sealed' });
      await store.destroy(id);
      expect(await store.get(id)).to.equal(undefined);
      expect(await store.tokens(id)).to.equal(undefined);
      await store.destroy(id); // a second destroy is not an error
    });
  });

  describe('revoke', () => {
    it('by sub: ends every session of that user and no one else\'s', async () => {
      const [carol, bob] = [user('carol'), user('bob')];
      const ids = [await signedIn(carol, 'c-1'), await signedIn(carol, 'c-2'), await signedIn(bob, 'b-1')];
      expect(await store.revoke({ target: { sub: carol }, issuedAt: ISSUED + 10, rememberMs: HOUR })).to.equal(2);
      expect(await Promise.all(ids.map(async (id) => (await store.get(id)) !== undefined))).to.deep.equal([false, false, true]);
    });

    it('by sub: refuses a sign-in issued before the logout (one in flight), not one issued after it', async () => {
      const carol = user('carol');
      await store.revoke({ target: { sub: carol }, issuedAt: ISSUED, rememberMs: HOUR });
      expect(await store.create(newSessionId(carol), recordFor(carol, t), { ttlMs: HOUR, issuedAt: ISSUED - 1 })).to.equal('revoked');
      expect(await store.create(newSessionId(carol), recordFor(carol, t), { ttlMs: HOUR, issuedAt: ISSUED })).to.equal(undefined);
      // An older logout token arriving late does not move the bar back.
      await store.revoke({ target: { sub: carol }, issuedAt: ISSUED - 100, rememberMs: HOUR });
      expect(await store.create(newSessionId(carol), recordFor(carol, t), { ttlMs: HOUR, issuedAt: ISSUED - 50 })).to.equal('revoked');
    });

    it('by sid alone: ends that IdP session only, and refuses any later sign-in under it', async () => {
      const alice = user('alice');
      const sid = user('idp-sid');
      const [one, other] = [await signedIn(alice, sid), await signedIn(alice, user('idp-other'))];
      expect(await store.revoke({ target: { sid }, issuedAt: ISSUED, rememberMs: HOUR })).to.equal(1);
      expect(await store.get(one)).to.equal(undefined);
      expect(await store.get(other)).to.not.equal(undefined);
      expect(await store.create(newSessionId(alice), recordFor(alice, t, sid), { ttlMs: HOUR, issuedAt: ISSUED + 999 })).to.equal('revoked');
    });

    it('by sid alone for an IdP session never seen: ends nothing, and still refuses it later', async () => {
      const sid = user('idp-unseen');
      expect(await store.revoke({ target: { sid }, issuedAt: ISSUED, rememberMs: HOUR })).to.equal(0);
      const alice = user('alice');
      expect(await store.create(newSessionId(alice), recordFor(alice, t, sid), { ttlMs: HOUR, issuedAt: ISSUED + 1 })).to.equal('revoked');
    });

    it('by sid and sub: ends only a session matching both', async () => {
      const [alice, bob] = [user('alice'), user('bob')];
      const sid = user('idp-sid');
      const id = await signedIn(alice, sid);
      expect(await store.revoke({ target: { sid, sub: bob }, issuedAt: ISSUED, rememberMs: HOUR })).to.equal(0);
      expect(await store.get(id)).to.not.equal(undefined);
      expect(await store.revoke({ target: { sid, sub: alice }, issuedAt: ISSUED, rememberMs: HOUR })).to.equal(1);
      expect(await store.get(id)).to.equal(undefined);
    });

    it('is final: no touch or replace of a revoked session brings it back', async () => {
      const alice = user('alice');
      const id = await signedIn(alice, 'idp-x', { tokens: 'sealed' });
      const read = await store.get(id);
      await store.revoke({ target: { sub: alice }, issuedAt: ISSUED + 1, rememberMs: HOUR });
      expect(await store.touch(id, t + 1, HOUR)).to.equal(false);
      expect(await store.replace(id, read!.gen, read!.record, 'sealed-2')).to.equal(undefined);
      expect(await store.get(id)).to.equal(undefined);
      expect(await store.tokens(id)).to.equal(undefined);
    });
  });

  describe('refresh claims', () => {
    it('grants one holder at a time, and releases only the holder\'s own claim', async () => {
      const id = await signedIn(user('alice'));
      const claim = await store.claimRefresh(id, 60_000);
      expect(claim).to.be.a('string');
      expect(await store.claimRefresh(id, 60_000)).to.equal(undefined);
      await store.releaseRefresh(id, 'someone-else');
      expect(await store.claimRefresh(id, 60_000)).to.equal(undefined);
      await store.releaseRefresh(id, claim!);
      const again = await store.claimRefresh(id, 60_000);
      expect(again).to.be.a('string').and.not.equal(claim);
    });
  });

  it('answers its readiness probe', async () => {
    await store.ping();
  });
}
