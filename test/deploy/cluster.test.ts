import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEMO_USERS } from '../../src/demo/users.js';
import { slotTaggedId, splitSessionId } from '../../src/session/index.js';
import type { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { sessionIdOf, signedIn } from './helpers/browsers.js';
import { hasCommand } from './helpers/processes.js';
import { DATA_PASSWORD, redisCommand, startCluster, type ClusterSetup } from './helpers/redis-ha.js';

/** Besides alice (slot 14764) and bob (3635): ivan's tag hashes to slot 6615, the middle master of three. */
const IVAN = { id: 'ivan', claims: { sub: 'ivan', preferred_username: 'ivan' } };

describe('Redis Cluster: three masters, every user\'s keys on the node that owns their slot', function () {
  this.timeout(2 * 60_000);
  const prefix = `test-cluster-${randomBytes(4).toString('hex')}:`;
  let dir: string | undefined;
  let cluster: ClusterSetup | undefined;
  let system: System;

  /** The session key of this browser, and the master that serves it. */
  async function sessionKey(browser: CookieClient): Promise<{ key: string; port: number }> {
    const { tag, key } = splitSessionId(await sessionIdOf(system.url, browser));
    const name = `${prefix}{${tag}}:s:${key}`;
    return { key: name, port: await cluster!.nodeFor(name) };
  }
  const exists = async ({ key, port }: { key: string; port: number }) => (await redisCommand(port, ['EXISTS', key])) === 1;
  const logoutToken = (claims: Record<string, unknown>) => system.idp.signLogoutToken({ aud: 'gateway', ...claims });
  const backchannelLogout = async (claims: Record<string, unknown>) =>
    fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: await logoutToken(claims) }) });

  before(async function () {
    if (!hasCommand('redis-server') || !hasCommand('redis-cli')) {
      if (process.env.CI) throw new Error('redis-server and redis-cli are not installed (.ci/run installs them)');
      console.log('    skipped: redis-server is not installed (apt-get install -y redis-server redis-tools)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gateway-cluster-'));
    cluster = await startCluster(dir, 3);
    system = await startSystem({
      env: {
        REDIS_CLUSTER_URLS: cluster.urls,
        REDIS_KEY_PREFIX: prefix,
        // No replicas here: a sign-out waits this long for one, then stands on its master.
        REDIS_REPLICA_WAIT_MS: '100',
        RATE_LIMIT_TICKETS_PER_MINUTE: '3',
      },
      idpOptions: { users: [...DEMO_USERS, IVAN] },
    });
  });

  after(async () => {
    await system?.close();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs users in whose sessions live on three different masters, and mints their tickets', async () => {
    const browsers = [await system.signIn('alice'), await system.signIn('bob'), await system.signIn('ivan')];
    const keys = await Promise.all(browsers.map(sessionKey));
    expect(new Set(keys.map((k) => k.port)).size, 'masters holding the three sessions').to.equal(3);
    for (const key of keys) expect(await exists(key)).to.equal(true);
    for (const browser of browsers) expect((await requestTicket(system, browser)).status).to.equal(200);
    expect(system.emulator.requests).to.have.length(3);
  });

  it('keeps each session\'s ticket budget in one counter, on the master that holds the session', async () => {
    const carol = await system.signIn('carol');
    for (let i = 0; i < 3; i += 1) expect((await requestTicket(system, carol)).status).to.equal(200);
    const refused = await requestTicket(system, carol);
    expect(refused.status).to.equal(429);
    expect(((await refused.json()) as { code: string }).code).to.equal('rate_limited');
    const counter = `${prefix}rl:tickets:sid:${slotTaggedId(await sessionIdOf(system.url, carol))}`;
    const port = await cluster!.nodeFor(counter);
    expect(Number(await redisCommand(port, ['GET', counter]))).to.equal(4);
    // Beside the session: a user's requests depend on one master only.
    expect(port).to.equal((await sessionKey(carol)).port);
    // Another session's budget is its own.
    expect((await requestTicket(system, await system.signIn('bob'))).status).to.equal(200);
  });

  it('ends a session at logout: the cookie is refused and the key is gone from its master', async () => {
    const ivan = await system.signIn('ivan');
    const key = await sessionKey(ivan);
    const out = await ivan.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1' } });
    expect(out.status).to.equal(303);
    expect(await exists(key)).to.equal(false);
    expect(await signedIn(system.url, ivan)).to.equal(false);
    expect((await requestTicket(system, ivan)).status).to.equal(401);
  });

  it('ends every session of the user a back-channel logout names by sub, and no one else\'s', async () => {
    const [alice1, alice2, bob] = [await system.signIn('alice'), await system.signIn('alice'), await system.signIn('bob')];
    const res = await backchannelLogout({ sub: 'alice' });
    expect(res.status).to.equal(200);
    expect([await signedIn(system.url, alice1), await signedIn(system.url, alice2), await signedIn(system.url, bob)]).to.deep.equal([false, false, true]);
  });

  it('ends exactly the session a back-channel logout names by sid alone (the sid\'s record lives in a slot of its own)', async () => {
    const [ivan1, ivan2] = [await system.signIn('ivan'), await system.signIn('ivan')];
    const sid = (await system.gateway.sessionStore.get(await sessionIdOf(system.url, ivan1)))?.record.user.sid;
    if (!sid) throw new Error('no IdP sid stored for the session');
    const token = await logoutToken({ sid, sub: undefined });
    const post = () => fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
    expect((await post()).status).to.equal(200);
    expect([await signedIn(system.url, ivan1), await signedIn(system.url, ivan2)]).to.deep.equal([false, true]);
    // The replay guard's record lives in the cluster too.
    const replay = await post();
    expect(replay.status).to.equal(400);
    expect(await replay.json()).to.deep.include({ error_description: 'logout token already used' });
  });

  it('said once per master that no replica acknowledged its sign-outs, and logged no other Redis trouble', () => {
    const redisLines = system.logs
      .map((line) => JSON.parse(line) as { component?: string; level: number; msg: string; node?: string })
      .filter((l) => l.component === 'redis' && l.level >= 40);
    const masters = new Set(cluster!.nodes.map((n) => `127.0.0.1:${n.port}`));
    expect(redisLines.length).to.be.within(1, masters.size);
    for (const line of redisLines) {
      expect(line.msg).to.equal('No Redis replica acknowledged a sign-out in time: until one does, a failover could undo sign-outs');
      expect(masters.has(line.node ?? '')).to.equal(true);
    }
    expect(new Set(redisLines.map((l) => l.node)).size).to.equal(redisLines.length);
    expect(system.logs.join('')).not.to.include(DATA_PASSWORD);
  });

  // Last: it takes a master away for good.
  it('keeps serving the users of the healthy masters while one master is down and every script is forgotten', async () => {
    // As in a failover's window: the other masters keep serving their own slots.
    for (const node of cluster!.nodes) expect(await redisCommand(node.port, ['CONFIG', 'SET', 'cluster-require-full-coverage', 'no'])).to.equal('OK');
    // alice, bob and ivan have their sessions, and so their ticket counters, on three different masters.
    const [alice, bob, ivan] = [await system.signIn('alice'), await system.signIn('bob'), await system.signIn('ivan')];
    const dead = (await sessionKey(ivan)).port;
    expect([(await sessionKey(alice)).port, (await sessionKey(bob)).port]).to.not.include(dead);
    for (const browser of [alice, bob, ivan]) expect((await requestTicket(system, browser)).status).to.equal(200);

    // What a promoted replica or a restarted node looks like: no script loaded anywhere.
    for (const node of cluster!.nodes) expect(await redisCommand(node.port, ['SCRIPT', 'FLUSH'])).to.equal('OK');
    await cluster!.nodes.find((n) => n.port === dead)!.stop(2000);

    // A script load sent to every master would fail on the dead one and refuse these too.
    for (const browser of [alice, bob]) expect((await requestTicket(system, browser)).status).to.equal(200);
    const lost = await requestTicket(system, ivan);
    expect(lost.status).to.equal(503);
    expect(((await lost.json()) as { code: string }).code).to.equal('rate_limit_unavailable');
  });
});
