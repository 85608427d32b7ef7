import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readCompose } from '../helpers/deploy-files.js';
import { freePort } from '../helpers/net.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { signedIn, signIn } from './helpers/browsers.js';
import { startBalancer, withoutRetries, type Balancer } from './helpers/haproxy.js';
import { startFleet, type Fleet } from './helpers/fleet.js';
import { hasCommand } from './helpers/processes.js';
import { startTraffic, type TrafficReport } from './helpers/traffic.js';
import { startUpstreams, type Upstreams } from './helpers/upstreams.js';

const INSTANCES = 3;
const BROWSERS = 12;
const LOGINS = ['alice', 'bob', 'carol'];

interface Restart {
  name: string;
  code: number | null;
  /** SIGTERM → HAProxy marks it DOWN. */
  downMs: number;
  /** SIGTERM → the process has exited. */
  exitMs: number;
  /** Started again → HAProxy marks it UP. */
  upMs: number;
}

interface Outcome {
  report: TrafficReport;
  restarts: Restart[];
  tookMs: number;
  /** Every browser, signed in before or during the restart, is still signed in afterwards. */
  stillSignedIn: boolean[];
}

/** Signs browsers in through the balancer, then SIGTERMs and restarts each instance in turn under their traffic. */
async function rollingRestart(fleet: Fleet, balancer: Balancer): Promise<Outcome> {
  const url = balancer.url;
  const browsers = await Promise.all(Array.from({ length: BROWSERS }, (_, i) => signIn(url, LOGINS[i % LOGINS.length]!)));
  const traffic = startTraffic(url, browsers);
  const restarts: Restart[] = [];
  const began = Date.now();
  for (const [index, instance] of fleet.instances.entries()) {
    const signalled = Date.now();
    const stopped = fleet.stop(index);
    await balancer.waitFor(instance.name, 'DOWN', 30_000);
    const downMs = Date.now() - signalled;
    // A sign-in in the middle of the restart goes through as well.
    browsers.push(await signIn(url, LOGINS[index % LOGINS.length]!));
    const { code, ms: exitMs } = await stopped;
    const restartedAt = Date.now();
    await fleet.start(index);
    await balancer.waitFor(instance.name, 'UP', 60_000);
    restarts.push({ name: instance.name, code, exitMs, downMs, upMs: Date.now() - restartedAt });
  }
  const report = await traffic.stop();
  const tookMs = Date.now() - began;
  const stillSignedIn = await Promise.all(browsers.map((browser) => signedIn(url, browser)));

  console.log(
    `      rolling restart of ${INSTANCES} instances took ${(tookMs / 1000).toFixed(1)} s; ` +
      `${report.requests} requests (${report.sessionReads} session reads, ${report.tickets} tickets), ` +
      `${report.retried} retried (${report.extraAttempts} extra attempts; failed attempts ${JSON.stringify(report.failedAttempts)}), ` +
      `${report.failures.length} failed; ${stillSignedIn.filter(Boolean).length} of ${browsers.length} sign-ins kept`,
  );
  for (const r of restarts) {
    console.log(`      ${r.name}: marked DOWN ${r.downMs} ms after SIGTERM, exited ${r.code} after ${r.exitMs} ms, UP again ${r.upMs} ms after restart`);
  }
  return { report, restarts, tookMs, stillSignedIn };
}

function expectNothingLost({ report, restarts, stillSignedIn }: Outcome): void {
  expect(report.failures).to.deep.equal([]);
  expect(report.signedOut).to.equal(0);
  expect(stillSignedIn.every(Boolean), 'every sign-in kept').to.equal(true);
  for (const r of restarts) {
    expect(r.code, r.name).to.equal(0);
    // It failed /readyz and kept serving until the balancer had taken it out; only then did it go.
    expect(r.downMs, `${r.name} marked down only after it exited`).to.be.below(r.exitMs);
  }
  // Steady traffic the whole time: well over one request per browser per restarted instance.
  expect(report.requests).to.be.above(BROWSERS * INSTANCES * 4);
  // Retries are for the rare race, not the rule: without the drain delay, a balancer that does
  // not retry itself made the widget retry about one request in twenty here.
  expect(report.retried).to.be.at.most(report.requests * 0.005);
}

describe('behind HAProxy: a rolling restart under steady widget traffic', function () {
  this.timeout(10 * 60_000);
  const prefix = `test-deploy-${randomBytes(4).toString('hex')}:`;
  let dir: string;
  let port: number;
  let upstreams: Upstreams | undefined;
  let fleet: Fleet | undefined;
  let balancer: Balancer | undefined;

  before(async function () {
    if (!hasCommand('haproxy')) {
      if (process.env.CI) throw new Error('haproxy is not installed (.ci/run installs it)');
      console.log('    skipped: HAProxy is not installed (apt-get install -y haproxy)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gateway-haproxy-'));
    port = await freePort();
    upstreams = await startUpstreams(`http://127.0.0.1:${port}`);
    // The settings compose.yaml ships for running behind HAProxy: drain delay, grace, keep-alive, proxy hop.
    const shipped = readCompose().services.gateway?.environment ?? {};
    fleet = await startFleet({
      count: INSTANCES,
      env: {
        ...upstreams.env,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        TRUST_PROXY: String(shipped.TRUST_PROXY),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(shipped.HTTP_KEEP_ALIVE_TIMEOUT_MS),
        SHUTDOWN_DRAIN_DELAY_MS: String(shipped.SHUTDOWN_DRAIN_DELAY_MS),
        SHUTDOWN_GRACE_MS: String(shipped.SHUTDOWN_GRACE_MS),
        // Every browser here comes from 127.0.0.1 and asks for tickets many times a second.
        RATE_LIMIT_TICKETS_PER_MINUTE: '100000',
        RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '10000',
        LOG_LEVEL: 'info',
      },
    });
  });

  async function startBalancerFor(adjust?: (config: string) => string): Promise<Balancer> {
    balancer = await startBalancer({ port, dir, gateways: fleet!.instances.map((i) => ({ name: i.name, port: i.port })), ...(adjust ? { adjust } : {}) });
    for (const instance of fleet!.instances) await balancer.waitFor(instance.name, 'UP', 60_000);
    return balancer;
  }

  afterEach(async () => {
    await balancer?.close();
    balancer = undefined;
  });

  after(async () => {
    fleet?.kill();
    await upstreams?.close();
    await dropKeys(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with the shipped haproxy.cfg: loses no sign-in, and no request fails beyond what the widget client retries', async () => {
    expectNothingLost(await rollingRestart(fleet!, await startBalancerFor()));
  });

  it("with HAProxy's own retries off: the drain delay alone keeps every request whole", async () => {
    expectNothingLost(await rollingRestart(fleet!, await startBalancerFor(withoutRetries)));
  });
});
