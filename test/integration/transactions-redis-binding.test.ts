import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient, type RedisClientType } from 'redis';
import { BoundRedisTransactionStore } from '../../src/auth/transactions-redis-binding.js';
import { RedisTransactionStore } from '../../src/auth/transactions-redis.js';
import type { LoginTransaction } from '../../src/auth/transactions.js';
import { StoreUnavailableError } from '../../src/session/redis-errors.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';

const tx = (binding: string): LoginTransaction => ({ codeVerifier: 'v', nonce: 'n', returnTo: '/chat', binding, createdAt: Date.now() });
const STATE = 'S'.repeat(43);

describe('BoundRedisTransactionStore (Redis on 127.0.0.1:6379)', () => {
  let client: RedisClientType;
  let prefix: string;
  let store: BoundRedisTransactionStore;

  before(async () => {
    client = createClient({ url: TEST_REDIS_URL });
    await client.connect();
  });
  beforeEach(() => {
    prefix = `test-${randomUUID()}:`;
    const writer = new RedisTransactionStore({ client, keyPrefix: prefix, ttlMs: 600_000, deadlineMs: 1000 });
    store = new BoundRedisTransactionStore(writer, { client, keyPrefix: prefix, deadlineMs: 1000 });
  });
  afterEach(() => dropKeys(prefix));
  after(async () => {
    await client.quit();
  });

  it('leaves the transaction, TTL and all, for a caller with another binding', async () => {
    await store.put(STATE, tx('victim'));
    expect(await store.takeBound(STATE, 'stranger')).to.equal(undefined);
    expect(await store.takeBound(STATE, '')).to.equal(undefined);
    expect(await client.pTTL(`${prefix}login:${STATE}`)).to.be.within(1, 600_000);
    expect((await store.takeBound(STATE, 'victim'))?.returnTo).to.equal('/chat');
    expect(await client.exists(`${prefix}login:${STATE}`)).to.equal(0);
    expect(await store.takeBound(STATE, 'victim')).to.equal(undefined);
  });

  it('hands it to exactly one of many racing callbacks from the right browser', async () => {
    await store.put(STATE, tx('victim'));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.takeBound(STATE, 'victim')));
    expect(results.filter((r) => r !== undefined)).to.have.length(1);
  });

  it('answers nothing for a state it never minted, an unknown one, or a value that is not a transaction', async () => {
    expect(await store.takeBound('short', 'victim')).to.equal(undefined);
    expect(await store.takeBound('S'.repeat(42) + '*', 'victim')).to.equal(undefined);
    expect(await store.takeBound(STATE, 'victim')).to.equal(undefined);
    await client.set(`${prefix}login:${STATE}`, 'not json', { expiration: { type: 'PX', value: 60_000 } });
    expect(await store.takeBound(STATE, 'victim')).to.equal(undefined);
    await client.set(`${prefix}login:${STATE}`, JSON.stringify({ binding: 'victim' }), { expiration: { type: 'PX', value: 60_000 } });
    expect(await store.takeBound(STATE, 'victim')).to.equal(undefined);
  });

  it('fails as unavailable (503) when Redis cannot be used', async () => {
    const closed = createClient({ url: TEST_REDIS_URL }) as RedisClientType;
    const offline = new BoundRedisTransactionStore(store, { client: closed, keyPrefix: prefix, deadlineMs: 200 });
    try {
      await offline.takeBound(STATE, 'victim');
      expect.fail('takeBound succeeded without Redis');
    } catch (err) {
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect(err).to.include({ status: 503, code: 'session_store_unavailable' });
    }
  });
});
