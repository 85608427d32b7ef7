import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createClient } from 'redis';
import { splitSessionId } from '../../src/session/index.js';
import type { CookieClient } from '../helpers/cookie-client.js';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/net.js';
import { browserWith, sessionCookieOf, sessionIdOf, signedIn, signIn } from './helpers/browsers.js';
import { hasCommand } from './helpers/processes.js';
import { DATA_PASSWORD, info, redisCommand, SENTINEL_PASSWORD, startSentinelSetup, until, type SentinelSetup } from './helpers/redis-ha.js';
import { startTraffic, type TrafficReport } from './helpers/traffic.js';
import { startUpstreams, type Upstreams } from './helpers/upstreams.js';

const BROWSERS = 12;
/** The development IdP's users; several browsers each, every one a session of its own. */
const LOGINS = ['alice', 'bob', 'carol'];
/** Long enough that the test, not the bound, decides when the stopped replica answers. */
const REPLICA_WAIT_MS = 3000;

/** One session read of the probe: every 50 ms, no retries, so the switch is seen as it is. */
interface Probe {
  readonly at: number;
  readonly status: number | 'network';
  readonly code?: string;
}

/** Reads one signed-in browser's session every 50 ms until stopped, recording each answer. */
function startProbe(url: string, browser: CookieClient): { readonly seen: Probe[]; stop(): Promise<void> } {
  const seen: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await browser.get(`${url}/auth/session`);
        const body = (await res.json().catch(() => ({}))) as { code?: string; authenticated?: boolean };
        // A 200 that says "signed out" is the worst answer of all: record it as such.
        seen.push({ at: Date.now(), status: res.status === 200 && body.authenticated !== true ? 401 : res.status, ...(body.code ? { code: body.code } : {}) });
      } catch {
        seen.push({ at: Date.now(), status: 'network' });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The moment service came back: the first success after the last failure, counted from `since`. */
function recoveredAfter(seen: readonly Probe[], since: number): { ms: number; failed: number } | undefined {
  const after = seen.filter((p) => p.at >= since);
  const lastFailure = after.findLastIndex((p) => p.status !== 200);
  if (lastFailure === -1 || lastFailure === after.length - 1) return undefined;
  return { ms: after[lastFailure + 1]!.at - since, failed: after.filter((p) => p.status !== 200).length };
}

/** Resolves `at` with the time a sentinel first publishes on `channel`. */
function announcement(port: number, channel: string): { listening: Promise<unknown>; at: Promise<number> } {
  const subscriber = createClient({ password: SENTINEL_PASSWORD, socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
  subscriber.on('error', () => undefined);
  let resolve: (at: number) => void = () => undefined;
  const at = new Promise<number>((r, reject) => {
    resolve = r;
    setTimeout(() => reject(new Error(`no ${channel} within 30 s`)), 30_000).unref();
  }).finally(() => subscriber.destroy());
  const listening = subscriber.connect().then(() => subscriber.subscribe(channel, () => resolve(Date.now())));
  return { listening, at };
}

const logout = (url: string, browser: CookieClient) => browser.post(`${url}/auth/logout`, { headers: { 'x-csrf': '1' } });

describe('Redis Sentinel: the master dies under steady widget traffic', function () {
  this.timeout(5 * 60_000);
  const prefix = `test-sentinel-${randomBytes(4).toString('hex')}:`;
  let dir: string | undefined;
  let setup: SentinelSetup | undefined;
  let upstreams: Upstreams | undefined;
  let gateway: GatewayProcess | undefined;
  let url: string;
  let replicaStopped = false;
  const users: CookieClient[] = [];
  /** Session cookies kept from before their sign-outs, which came before the master died: they must stay signed out. */
  const leavers: string[] = [];

  /** Whether the session key of this browser exists on the node at `port`. */
  async function sessionKeyOn(port: number, browser: CookieClient, id?: string): Promise<boolean> {
    const { tag, key } = splitSessionId(id ?? (await sessionIdOf(url, browser)));
    return (await redisCommand(port, ['EXISTS', `${prefix}{${tag}}:s:${key}`])) === 1;
  }

  before(async function () {
    if (!hasCommand('redis-server')) {
      if (process.env.CI) throw new Error('redis-server is not installed (.ci/run installs it)');
      console.log('    skipped: redis-server is not installed (apt-get install -y redis-server)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gateway-sentinel-'));
    setup = await startSentinelSetup(dir);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    upstreams = await startUpstreams(url);
    gateway = await spawnGateway({
      env: {
        ...upstreams.env,
        PORT: String(port),
        REDIS_SENTINEL_URLS: setup.urls,
        REDIS_SENTINEL_MASTER: setup.masterName,
        REDIS_PASSWORD: DATA_PASSWORD,
        REDIS_KEY_PREFIX: prefix,
        REDIS_REPLICA_WAIT_MS: String(REPLICA_WAIT_MS),
        RATE_LIMIT_TICKETS_PER_MINUTE: '100000',
        RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '10000',
        LOG_LEVEL: 'info',
      },
    });
    await gateway.waitForLine((line) => line.msg === 'Redis connected', 20_000);
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, 'the gateway to be ready', 20_000);
    for (let i = 0; i < BROWSERS; i += 1) users.push(await signIn(url, LOGINS[i % LOGINS.length]!));
  });

  after(async () => {
    if (replicaStopped) setup?.replica.child.kill('SIGCONT');
    gateway?.kill();
    await gateway?.exited;
    await upstreams?.close();
    await setup?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers a sign-out only once the replica has it (WAIT), so it is on the node a failover promotes', async () => {
    const leaver = await signIn(url, 'carol');
    const id = await sessionIdOf(url, leaver);
    const cookie = await sessionCookieOf(url, leaver);
    await until(() => sessionKeyOn(setup!.replica.port, leaver, id), 'the sign-in to reach the replica', 5000);

    // The replica stops reading: the master keeps the sign-out, the replica cannot acknowledge it.
    setup!.replica.child.kill('SIGSTOP');
    replicaStopped = true;
    let answered = false;
    const out = logout(url, leaver).then((res) => ((answered = true), res));
    await until(async () => Number((await info(setup!.master.port, 'clients')).blocked_clients) >= 1, 'the gateway to wait for the replica (WAIT)', REPLICA_WAIT_MS - 500);
    expect(answered, 'the sign-out answered before a replica had it').to.equal(false);
    expect(await sessionKeyOn(setup!.master.port, leaver, id), 'already gone on the master').to.equal(false);

    setup!.replica.child.kill('SIGCONT');
    replicaStopped = false;
    expect((await out).status).to.equal(303);
    expect(await sessionKeyOn(setup!.replica.port, leaver, id), 'gone on the replica once answered').to.equal(false);
    leavers.push(cookie);

    // With the replica reading, a sign-out is as quick as ever.
    const quick = await signIn(url, 'bob');
    leavers.push(await sessionCookieOf(url, quick));
    const started = Date.now();
    expect((await logout(url, quick)).status).to.equal(303);
    expect(Date.now() - started).to.be.below(REPLICA_WAIT_MS);
    expect(await signedIn(url, await browserWith(url, leavers.at(-1)!))).to.equal(false);
  });

  it('follows the failover by itself: users stay signed in, sign-outs stay, the switch answers 503 only, back within 10 s', async () => {
    const traffic = startTraffic(url, users);
    const probe = startProbe(url, users[0]!);
    await until(async () => traffic.report.requests >= BROWSERS * 4, 'steady traffic before the kill', 30_000);

    const oldMaster = `127.0.0.1:${setup!.master.port}`;
    // When the sentinels announce the promotion: the part of the switch that is theirs.
    const announced = announcement(setup!.sentinels[0]!.port, '+switch-master');
    await announced.listening;
    const killedAt = Date.now();
    setup!.master.child.kill('SIGKILL');
    await until(async () => recoveredAfter(probe.seen, killedAt) !== undefined && probe.seen.at(-1)!.status === 200, 'service to come back', 30_000);
    const recovered = recoveredAfter(probe.seen, killedAt)!;
    // Steady traffic on the new master for a while too.
    const atRecovery = traffic.report.requests;
    await until(async () => traffic.report.requests >= atRecovery + BROWSERS * 4, 'traffic after the failover', 30_000);
    const report: TrafficReport = await traffic.stop();
    await probe.stop();

    const announcedAt = await announced.at;
    const stillSignedIn = await Promise.all(users.map((browser) => signedIn(url, browser)));
    const lost = stillSignedIn.filter((kept) => !kept).length;
    const undone = (await Promise.all(leavers.map(async (cookie) => signedIn(url, await browserWith(url, cookie))))).filter(Boolean).length;
    const newMaster = await setup!.currentMaster();
    const failedAttempts = Object.values(report.failedAttempts).reduce((a, b) => a + b, 0);
    console.log(
      `      master ${oldMaster} killed; sentinels promoted ${newMaster}; service back ${(recovered.ms / 1000).toFixed(1)} s after the kill ` +
        `(probe: ${recovered.failed} failed reads, every 50 ms, no retries); the sentinels announced it ${((announcedAt - killedAt) / 1000).toFixed(1)} s ` +
        `after the kill, and the gateway served again ${killedAt + recovered.ms - announcedAt} ms after the announcement`,
    );
    console.log(
      `      ${report.requests} requests (${report.sessionReads} session reads, ${report.tickets} tickets): ${failedAttempts} failed attempts ` +
        `${JSON.stringify(report.failedCodes)}; ${report.retried} requests retried by the client (${report.extraAttempts} extra attempts): ` +
        `${report.absorbed} succeeded on a retry, ${report.failures.length} still failed after four attempts; sessions lost ${lost} of ${users.length}, sign-outs undone ${undone} of ${leavers.length}`,
    );

    expect(newMaster).to.not.equal(oldMaster);
    expect(recovered.ms, 'service back within 10 s of the kill').to.be.below(10_000);
    // During the switch: 503 with the store's code, never a 500, never "signed out".
    expect(Object.keys(report.failedAttempts).filter((status) => status !== '503')).to.deep.equal([]);
    expect(Object.keys(report.failedCodes).filter((code) => !/^503 (session_store|rate_limit)_unavailable$/.test(code))).to.deep.equal([]);
    expect(probe.seen.filter((p) => p.status !== 200 && p.status !== 503)).to.deep.equal([]);
    for (const failure of report.failures) expect(failure).to.match(/503|session_store_unavailable|rate_limit_unavailable/);
    expect(report.signedOut).to.equal(0);
    expect(lost, 'sessions lost').to.equal(0);
    // The sign-outs the replica acknowledged stayed sign-outs on the promoted master.
    expect(undone, 'sign-outs undone').to.equal(0);
    for (const cookie of leavers) {
      const replayed = await browserWith(url, cookie);
      expect((await replayed.post(`${url}/api/livechat/ticket`, { json: {}, headers: { 'x-csrf': '1' } })).status).to.equal(401);
    }
    // One line per state change: lost, the new master, restored; nothing else above info.
    const redisLines = gateway!.lines.filter((l) => l.component === 'redis' && (l.level ?? 0) >= 30).map((l) => l.msg);
    expect(redisLines).to.deep.equal(['Redis connected', 'Redis connection lost', 'Redis Sentinel named a new master', 'Redis connection restored']);
    expect(gateway!.lines.some((l) => l.msg === 'Redis Sentinel named a new master' && l.master === newMaster)).to.equal(true);
  });

  it('never logs a Redis password, through all of that', () => {
    const output = JSON.stringify(gateway!.lines) + gateway!.stderr();
    expect(output).not.to.include(DATA_PASSWORD);
    expect(output).not.to.include(SENTINEL_PASSWORD);
  });

  it('signs in and out on the promoted master, and a sign-out without a replica waits no longer than its bound', async () => {
    const browser = await signIn(url, 'alice');
    expect(await signedIn(url, browser)).to.equal(true);
    const started = Date.now();
    expect((await logout(url, browser)).status).to.equal(303);
    expect(Date.now() - started).to.be.below(REPLICA_WAIT_MS + 1500);
    expect(await signedIn(url, browser)).to.equal(false);
    // The old master is gone and the new one has no replica yet: said once, as a warning.
    expect(gateway!.lines.filter((l) => l.msg?.startsWith('No Redis replica acknowledged'))).to.have.length(1);
  });
});
