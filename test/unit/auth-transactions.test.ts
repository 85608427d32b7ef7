import { expect } from 'chai';
import { LoginCapacityError, MemoryTransactionStore, type LoginTransaction } from '../../src/auth/transactions.js';

const tx = (createdAt: number, returnTo = '/', binding = 'b'): LoginTransaction => ({
  codeVerifier: 'v',
  nonce: 'n',
  returnTo,
  binding,
  createdAt,
});

/**
 * The stores' clocks start at a real epoch instant: lru-cache, which keeps the entries, reads a
 * start time of 0 as "no expiry", and no real clock reads 0.
 */
const T0 = Date.UTC(2026, 0, 1);

/** Runs `put` expecting the store to be full; returns the error. */
async function refusedPut(store: MemoryTransactionStore, state: string, value: LoginTransaction): Promise<LoginCapacityError> {
  try {
    await store.put(state, value);
  } catch (err) {
    expect(err).to.be.instanceOf(LoginCapacityError);
    return err as LoginCapacityError;
  }
  return expect.fail('put succeeded on a full store');
}

describe('MemoryTransactionStore', () => {
  it('hands a transaction out once (single use) to the browser that started it', async () => {
    const store = new MemoryTransactionStore({ ttlMs: 1000, now: () => T0 });
    await store.put('s1', tx(0, '/one'));
    expect((await store.takeBound('s1', 'b'))?.returnTo).to.equal('/one');
    expect(await store.takeBound('s1', 'b')).to.equal(undefined);
  });

  it('keeps two concurrent transactions apart (two tabs)', async () => {
    const store = new MemoryTransactionStore({ ttlMs: 1000, now: () => T0 });
    await store.put('tab-a', tx(0, '/a'));
    await store.put('tab-b', tx(0, '/b'));
    expect((await store.takeBound('tab-b', 'b'))?.returnTo).to.equal('/b');
    expect((await store.takeBound('tab-a', 'b'))?.returnTo).to.equal('/a');
  });

  it('refuses an expired transaction', async () => {
    let now = T0;
    const store = new MemoryTransactionStore({ ttlMs: 600_000, now: () => now });
    await store.put('s', tx(0));
    now = T0 + 600_001;
    expect(await store.takeBound('s', 'b')).to.equal(undefined);
  });

  describe('asked by another browser (a stranger who learned the state)', () => {
    it('answers nothing and leaves the transaction for the browser that started it', async () => {
      const store = new MemoryTransactionStore({ ttlMs: 1000, now: () => T0 });
      await store.put('s', tx(0, '/mine', 'victim-binding'));
      expect(await store.takeBound('s', 'attacker-binding')).to.equal(undefined);
      expect(await store.takeBound('s', 'victim-bindinX')).to.equal(undefined);
      expect(await store.takeBound('s', '')).to.equal(undefined);
      expect(store.size).to.equal(1);
      expect((await store.takeBound('s', 'victim-binding'))?.returnTo).to.equal('/mine');
    });
  });

  describe('when full', () => {
    it('refuses new sign-ins with 503 login_capacity_reached and never evicts a pending one', async () => {
      let now = T0;
      const store = new MemoryTransactionStore({ ttlMs: 600_000, maxPending: 3, now: () => now });
      await store.put('first', tx(0, '/first'));
      now = T0 + 1000;
      await store.put('second', tx(1000));
      await store.put('third', tx(1000));
      now = T0 + 10_000;
      const refused = await refusedPut(store, 'fourth', tx(10_000));
      expect(refused).to.include({ status: 503, code: 'login_capacity_reached' });
      // Room comes back when the oldest expires: 600 s after 0, seen at 10 s.
      expect(refused.headers).to.deep.equal({ 'Retry-After': '590' });
      expect(store.size).to.equal(3);
      expect((await store.takeBound('first', 'b'))?.returnTo).to.equal('/first');
    });

    it('accepts again once the oldest expired, and only then', async () => {
      let now = T0;
      const store = new MemoryTransactionStore({ ttlMs: 100, maxPending: 2, now: () => now });
      await store.put('a', tx(0));
      now = T0 + 50;
      await store.put('b', tx(50));
      now = T0 + 100;
      await refusedPut(store, 'c', tx(100));
      expect(store.size).to.equal(2);
      now = T0 + 101;
      await store.put('c', tx(101));
      expect(await store.takeBound('a', 'b')).to.equal(undefined);
      expect(await store.takeBound('b', 'b')).to.not.equal(undefined);
      expect(await store.takeBound('c', 'b')).to.not.equal(undefined);
    });

    it('answers Retry-After of at least 1 s', async () => {
      let now = T0;
      const store = new MemoryTransactionStore({ ttlMs: 1000, maxPending: 1, now: () => now });
      await store.put('a', tx(0));
      now = T0 + 999;
      expect((await refusedPut(store, 'b', tx(999))).headers).to.deep.equal({ 'Retry-After': '1' });
    });
  });

  it('gives the room of an expired transaction to a new one, and never hands the expired one out', async () => {
    let now = T0;
    const store = new MemoryTransactionStore({ ttlMs: 100, maxPending: 1, now: () => now });
    await store.put('old', tx(0));
    now = T0 + 101;
    await store.put('new', tx(101));
    expect(await store.takeBound('old', 'b')).to.equal(undefined);
    expect(await store.takeBound('new', 'b')).to.not.equal(undefined);
  });

  it('keeps refusing, without a sweep, until the oldest can have expired', async () => {
    let now = T0;
    const store = new MemoryTransactionStore({ ttlMs: 10_000, maxPending: 2, now: () => now });
    await store.put('a', tx(0));
    now = T0 + 4_000;
    await store.put('b', tx(4_000));
    expect((await refusedPut(store, 'c', tx(4_000))).headers).to.deep.equal({ 'Retry-After': '6' });
    // A sign-in that completes makes room at once.
    expect(await store.takeBound('b', 'b')).to.not.equal(undefined);
    await store.put('c', tx(4_000));
    now = T0 + 9_000;
    expect((await refusedPut(store, 'd', tx(9_000))).headers).to.deep.equal({ 'Retry-After': '1' });
    now = T0 + 10_001;
    await store.put('d', tx(10_001));
    expect(await store.takeBound('a', 'b')).to.equal(undefined);
    expect(await store.takeBound('c', 'b')).to.not.equal(undefined);
  });
});
