import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createClient, type RedisClientType } from 'redis';
import { RedisScripts } from '../../src/redis/scripts.js';
import { RedisSessionStore } from '../../src/redis/session-store.js';
import { newSessionId, splitSessionId, type SessionRecord } from '../../src/session/index.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { withOwnRedis } from '../helpers/own-redis.js';
import { sessionStoreContract } from '../helpers/session-store-contract.js';

describe('RedisSessionStore (Redis on 127.0.0.1:6379)', () => {
  const prefix = `test:${randomUUID()}:`;
  let client: RedisClientType;
  let store: RedisSessionStore;

  before(async () => {
    client = createClient({ url: TEST_REDIS_URL });
    await client.connect();
    store = new RedisSessionStore({ scripts: new RedisScripts(client), keyPrefix: prefix, deadlineMs: 2_000, indexTtlMs: 3_600_000 });
  });
  after(async () => {
    await client?.close();
    await dropKeys(prefix);
  });

  describe('the session store contract', () => {
    sessionStoreContract(() => ({ store, now: Date.now }));
  });

  describe('key layout', () => {
    const record = (sub: string): SessionRecord => ({ user: { claims: { sub }, sid: `sid-${sub}` }, createdAt: 1, lastSeenAt: 1 });

    it('keeps every key of one user in one hash slot, and expires the session with its TTL', async () => {
      const sub = `alice-${randomUUID()}`;
      const id = newSessionId(sub);
      expect(await store.create(id, record(sub), { ttlMs: 60_000, issuedAt: 1, tokens: 'sealed' })).to.equal(undefined);
      const { tag, key } = splitSessionId(id);
      const keys = await client.keys(`${prefix}{${tag}}:*`);
      expect(keys.sort()).to.deep.equal(
        [`${prefix}{${tag}}:s:${key}`, `${prefix}{${tag}}:sid:sid-${sub}`, `${prefix}{${tag}}:sub:${sub}`, `${prefix}{${tag}}:t:${key}`].sort(),
      );
      // Redis Cluster hashes only the first {…} of a key: every key's is the user's tag.
      expect(keys.map((k) => /\{([^}]*)\}/.exec(k)?.[1])).to.deep.equal(keys.map(() => tag));
      for (const k of [`${prefix}{${tag}}:s:${key}`, `${prefix}{${tag}}:t:${key}`]) expect(await client.pTTL(k)).to.be.within(1, 60_000);
      expect(await store.touch(id, 2, 120_000)).to.equal(true);
      expect(await client.pTTL(`${prefix}{${tag}}:s:${key}`)).to.be.within(60_001, 120_000);
      expect(await client.pTTL(`${prefix}{${tag}}:t:${key}`)).to.be.within(60_001, 120_000);
    });

    it('keeps a user\'s sub and sid indexes to the live sessions: ended ones do not pile up (each sign-in would add one forever)', async () => {
      const sub = `carol-${randomUUID()}`;
      const ids: string[] = [];
      // A daily user signing in again and again under one IdP session (SSO), each sign-in ending the last.
      for (let i = 0; i < 5; i += 1) {
        const previous = ids[ids.length - 1];
        if (previous !== undefined) await store.destroy(previous);
        const id = newSessionId(sub);
        expect(await store.create(id, record(sub), { ttlMs: 60_000, issuedAt: 1 })).to.equal(undefined);
        ids.push(id);
      }
      const { tag } = splitSessionId(ids[0] as string);
      const live = ids.slice(-1).map((id) => splitSessionId(id).key);
      expect(await client.sMembers(`${prefix}{${tag}}:sub:${sub}`)).to.deep.equal(live);
      expect(await client.sMembers(`${prefix}{${tag}}:sid:sid-${sub}`)).to.deep.equal(live);
      // And a logout by sub still ends the live one.
      expect(await store.revoke({ target: { sub }, issuedAt: 2, rememberMs: 60_000 })).to.equal(1);
      expect(await store.get(ids[4] as string)).to.equal(undefined);
    });

    it('loads its scripts again after Redis forgot them (a restart or a failover)', async () => {
      // A Redis of this test's own: SCRIPT FLUSH on the shared one would hit other files' gateways.
      await withOwnRedis(async (own) => {
        const ownClient = createClient({ url: own.url });
        await ownClient.connect();
        try {
          const ownStore = new RedisSessionStore({ scripts: new RedisScripts(ownClient), keyPrefix: prefix, deadlineMs: 2_000, indexTtlMs: 3_600_000 });
          const sub = `bob-${randomUUID()}`;
          const [first, second] = [newSessionId(sub), newSessionId(sub)];
          expect(await ownStore.create(first, record(sub), { ttlMs: 60_000, issuedAt: 1 })).to.equal(undefined);
          expect(await own.command(['SCRIPT', 'FLUSH'])).to.equal('OK');
          expect(await ownStore.create(second, record(sub), { ttlMs: 60_000, issuedAt: 1 })).to.equal(undefined);
          expect((await ownStore.get(first))?.gen).to.equal(1);
          expect((await ownStore.get(second))?.gen).to.equal(1);
        } finally {
          ownClient.destroy();
        }
      });
    });
  });
});
