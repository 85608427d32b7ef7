import { expect } from 'chai';
import { MemoryTransactionStore, type LoginTransaction } from '../../src/auth/transactions.js';

const tx = (createdAt: number, returnTo = '/'): LoginTransaction => ({
  codeVerifier: 'v',
  nonce: 'n',
  returnTo,
  binding: 'b',
  createdAt,
});

describe('MemoryTransactionStore', () => {
  it('hands a transaction out once (single use)', async () => {
    const store = new MemoryTransactionStore({ ttlMs: 1000, now: () => 0 });
    await store.put('s1', tx(0, '/one'));
    expect((await store.take('s1'))?.returnTo).to.equal('/one');
    expect(await store.take('s1')).to.equal(undefined);
  });

  it('keeps two concurrent transactions apart (two tabs)', async () => {
    const store = new MemoryTransactionStore({ ttlMs: 1000, now: () => 0 });
    await store.put('tab-a', tx(0, '/a'));
    await store.put('tab-b', tx(0, '/b'));
    expect((await store.take('tab-b'))?.returnTo).to.equal('/b');
    expect((await store.take('tab-a'))?.returnTo).to.equal('/a');
  });

  it('refuses an expired transaction', async () => {
    let now = 0;
    const store = new MemoryTransactionStore({ ttlMs: 600_000, now: () => now });
    await store.put('s', tx(0));
    now = 600_001;
    expect(await store.take('s')).to.equal(undefined);
  });

  it('prunes expired transactions and stays within its bound', async () => {
    let now = 0;
    const store = new MemoryTransactionStore({ ttlMs: 100, maxPending: 3, now: () => now });
    await store.put('old', tx(0));
    now = 200;
    await store.put('a', tx(200));
    expect(store.size).to.equal(1);
    await store.put('b', tx(200));
    await store.put('c', tx(200));
    await store.put('d', tx(200));
    expect(store.size).to.equal(3);
    expect(await store.take('a')).to.equal(undefined);
    expect(await store.take('d')).to.not.equal(undefined);
  });
});
