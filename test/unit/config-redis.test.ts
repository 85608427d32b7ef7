import { expect } from 'chai';
import { loadConfig } from '../../src/config/index.js';
import { problemsOf as problemsWith, VALID_ENV } from '../helpers/config-env.js';

const valid = VALID_ENV;

const problemsOf = (env: Record<string, string>): readonly string[] => problemsWith({ ...valid, ...env });

const redisOf = (env: Record<string, string>) => loadConfig({ ...valid, ...env }).redis;

describe('loadConfig: where Redis is (REDIS_URL, Sentinel, Cluster)', () => {
  describe('with one node', () => {
    it('keeps the URL as it is, credentials and TLS included, and never waits for replicas', () => {
      expect(redisOf({ REDIS_URL: 'rediss://:pw@cache:6380/2' })).to.deep.equal({
        connection: { mode: 'single', url: 'rediss://:pw@cache:6380/2' },
        keyPrefix: 'onetalk:',
        replicaWaitMs: 0,
      });
    });
  });

  describe('with Sentinel', () => {
    it('reads the sentinels (default port 26379), their credentials, the master name and the data nodes\' credentials', () => {
      const redis = redisOf({
        REDIS_SENTINEL_URLS: 'redis://watcher:s%40cret@10.0.0.1:26380, redis://watcher:s%40cret@10.0.0.2,redis://watcher:s%40cret@[fd00::3]:26381',
        REDIS_SENTINEL_MASTER: 'gateway-sessions',
        REDIS_USERNAME: 'gateway',
        REDIS_PASSWORD: 'data-node-password',
      });
      expect(redis).to.deep.equal({
        connection: {
          mode: 'sentinel',
          sentinels: [
            { host: '10.0.0.1', port: 26380 },
            { host: '10.0.0.2', port: 26379 },
            { host: 'fd00::3', port: 26381 },
          ],
          masterName: 'gateway-sessions',
          sentinelCredentials: { username: 'watcher', password: 's@cret' },
          nodeCredentials: { username: 'gateway', password: 'data-node-password' },
          tls: false,
        },
        keyPrefix: 'onetalk:',
        replicaWaitMs: 500,
      });
    });

    it('uses TLS to sentinels and data nodes alike with rediss://, and takes a replica wait of 0 (never wait)', () => {
      const redis = redisOf({ REDIS_SENTINEL_URLS: 'rediss://s1:26379,rediss://s2:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_REPLICA_WAIT_MS: '0' });
      expect(redis.connection).to.deep.include({ tls: true, sentinelCredentials: undefined, nodeCredentials: undefined });
      expect(redis.replicaWaitMs).to.equal(0);
    });
  });

  describe('with a Cluster', () => {
    it('reads the seeds (default port 6379, duplicates once) and the credentials every node takes', () => {
      const redis = redisOf({ REDIS_CLUSTER_URLS: 'rediss://:pw@n1:7000,rediss://:pw@n2,rediss://:pw@n1:7000', REDIS_REPLICA_WAIT_MS: '250' });
      expect(redis).to.deep.equal({
        connection: {
          mode: 'cluster',
          seeds: [
            { host: 'n1', port: 7000 },
            { host: 'n2', port: 6379 },
          ],
          credentials: { password: 'pw' },
          tls: true,
        },
        keyPrefix: 'onetalk:',
        replicaWaitMs: 250,
      });
    });
  });

  const refused: Array<[string, Record<string, string>, string[]]> = [
    [
      'REDIS_URL together with Sentinel',
      { REDIS_URL: 'redis://cache:6379', REDIS_SENTINEL_URLS: 'redis://s1:26379', REDIS_SENTINEL_MASTER: 'm' },
      ['REDIS_SENTINEL_URLS: cannot be combined with REDIS_URL: set exactly one of REDIS_URL, REDIS_SENTINEL_URLS, REDIS_CLUSTER_URLS'],
    ],
    [
      'a Cluster together with REDIS_URL',
      { REDIS_URL: 'redis://cache:6379', REDIS_CLUSTER_URLS: 'redis://n1:7000' },
      ['REDIS_CLUSTER_URLS: cannot be combined with REDIS_URL or REDIS_SENTINEL_URLS: set exactly one of REDIS_URL, REDIS_SENTINEL_URLS, REDIS_CLUSTER_URLS'],
    ],
    [
      'a Cluster together with Sentinel',
      { REDIS_CLUSTER_URLS: 'redis://n1:7000', REDIS_SENTINEL_URLS: 'redis://s1:26379', REDIS_SENTINEL_MASTER: 'm' },
      ['REDIS_CLUSTER_URLS: cannot be combined with REDIS_URL or REDIS_SENTINEL_URLS: set exactly one of REDIS_URL, REDIS_SENTINEL_URLS, REDIS_CLUSTER_URLS'],
    ],
    ['sentinels without a master name', { REDIS_SENTINEL_URLS: 'redis://s1:26379' }, ['REDIS_SENTINEL_MASTER: is required with REDIS_SENTINEL_URLS (the master name the sentinels monitor)']],
    ['a master name without sentinels', { REDIS_SENTINEL_MASTER: 'm' }, ['REDIS_SENTINEL_MASTER: is read only with REDIS_SENTINEL_URLS: set the sentinels too, or remove it']],
    [
      'a master name with a space',
      { REDIS_SENTINEL_URLS: 'redis://s1:26379', REDIS_SENTINEL_MASTER: 'my master' },
      ['REDIS_SENTINEL_MASTER: must be 1..100 letters, digits, . _ -'],
    ],
    ['an http sentinel', { REDIS_SENTINEL_URLS: 'redis://s1:26379,http://s2:26379', REDIS_SENTINEL_MASTER: 'm' }, ['REDIS_SENTINEL_URLS: entry 2 is not a redis://host:port or rediss://host:port URL']],
    ['a seed that is no URL', { REDIS_CLUSTER_URLS: 'n1:7000' }, ['REDIS_CLUSTER_URLS: entry 1 is not a redis://host:port or rediss://host:port URL']],
    [
      'a seed naming a database',
      { REDIS_CLUSTER_URLS: 'redis://n1:7000/3' },
      ['REDIS_CLUSTER_URLS: entry 1 must be redis[s]://[user:password@]host[:port] without a path or query (these modes use database 0)'],
    ],
    ['sentinels mixing TLS and plain', { REDIS_SENTINEL_URLS: 'rediss://s1:26379,redis://s2:26379', REDIS_SENTINEL_MASTER: 'm' }, ['REDIS_SENTINEL_URLS: mixes redis:// and rediss://: TLS is all or nothing']],
    [
      'seeds with different passwords',
      { REDIS_CLUSTER_URLS: 'redis://:one-secret@n1:7000,redis://:other-secret@n2:7000' },
      ['REDIS_CLUSTER_URLS: entries carry different credentials: give every entry the same user and password, or none'],
    ],
    ['a seed with a user but no password', { REDIS_CLUSTER_URLS: 'redis://gateway@n1:7000' }, ['REDIS_CLUSTER_URLS: entry 1 names a user without a password']],
    [
      'REDIS_PASSWORD without Sentinel',
      { REDIS_URL: 'redis://cache:6379', REDIS_PASSWORD: 'pw' },
      ['REDIS_PASSWORD: is read only with REDIS_SENTINEL_URLS; with REDIS_URL or REDIS_CLUSTER_URLS the credentials go in the URLs'],
    ],
    [
      'REDIS_USERNAME without REDIS_PASSWORD',
      { REDIS_SENTINEL_URLS: 'redis://s1:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_USERNAME: 'gateway' },
      ['REDIS_USERNAME: needs REDIS_PASSWORD (a user without a password cannot authenticate)'],
    ],
    [
      'a replica wait with one node',
      { REDIS_URL: 'redis://cache:6379', REDIS_REPLICA_WAIT_MS: '500' },
      ['REDIS_REPLICA_WAIT_MS: is read only with REDIS_SENTINEL_URLS or REDIS_CLUSTER_URLS (there is no replica to wait for otherwise)'],
    ],
    ['a replica wait past ten seconds', { REDIS_CLUSTER_URLS: 'redis://n1:7000', REDIS_REPLICA_WAIT_MS: '60000' }, ['REDIS_REPLICA_WAIT_MS: must be at most 10000']],
    ['a negative replica wait', { REDIS_CLUSTER_URLS: 'redis://n1:7000', REDIS_REPLICA_WAIT_MS: '-1' }, ['REDIS_REPLICA_WAIT_MS: must be a whole number']],
  ];
  for (const [name, env, problems] of refused) {
    it(`refuses ${name}, by name`, () => {
      expect(problemsOf(env)).to.deep.equal(problems);
    });
  }

  it('never echoes a password from a refused list', () => {
    const problems = problemsOf({ REDIS_CLUSTER_URLS: 'redis://:first-password@n1:7000,redis://:second-password@n2:7000/1' });
    expect(problems.join('\n')).not.to.match(/first-password|second-password/);
  });

  it('still names a bad Redis combination when unrelated variables are bad too', () => {
    expect(problemsOf({ PORT: 'eighty', REDIS_SENTINEL_URLS: 'redis://s1:26379' })).to.deep.equal([
      'PORT: must be a whole number',
      'REDIS_SENTINEL_MASTER: is required with REDIS_SENTINEL_URLS (the master name the sentinels monitor)',
    ]);
  });
});
