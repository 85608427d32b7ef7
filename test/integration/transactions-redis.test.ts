import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient, type RedisClientType } from 'redis';
import { StoreUnavailableError } from '../../src/redis/errors.js';
import { RedisScripts } from '../../src/redis/scripts.js';
import { RedisTransactionStore } from '../../src/redis/transactions.js';
import type { LoginTransaction } from '../../src/session/index.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';

const tx = (binding: string): LoginTransaction => ({ codeVerifier: 'v', nonce: 'n', returnTo: '/chat', binding, createdAt: Date.now() });
const STATE = 'S'.repeat(43);

describe('RedisTransactionStore (Redis on 127.0.0.1:6379)', () => {
  let client: RedisClientType;
  let prefix: string;
  let store: RedisTransactionStore;

  before(async () => {
    client = createClient({ url: TEST_REDIS_URL });
    await client.connect();
  });
  beforeEach(() => {
    prefix = `test-${randomUUID()}:`;
    store = new RedisTransactionStore({ scripts: new RedisScripts(client), keyPrefix: prefix, ttlMs: 600_000, deadlineMs: 1000 });
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
    const results: Array<LoginTransaction | undefined> = await Promise.all(Array.from({ length: 20 }, () => store.takeBound(STATE, 'victim')));
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
    const offline = new RedisTransactionStore({ scripts: new RedisScripts(closed), keyPrefix: prefix, ttlMs: 600_000, deadlineMs: 200 });
    try {
      await offline.takeBound(STATE, 'victim');
      expect.fail('takeBound succeeded without Redis');
    } catch (err) {
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect(err).to.include({ code: 'session_store_unavailable' });
    }
  });
});
