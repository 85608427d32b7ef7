import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { expect } from 'chai';
import { startDevIdp, type DevIdp } from '../../src/demo/idp.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { gatewayEnv, TEST_API_KEY, TEST_CLIENT_SECRET } from '../helpers/test-env.js';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort, readyzBecomes, tryConnect } from '../helpers/net.js';
import { until } from '../helpers/wait.js';


describe('graceful shutdown (a real process)', function () {
  this.timeout(30_000);
  let idp: DevIdp;
  let emulator: RunningEmulator;
  let gateway: GatewayProcess | undefined;
  let env: Record<string, string>;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idp = await startDevIdp({
      clients: [{ client_id: 'gateway', client_secret: TEST_CLIENT_SECRET, redirect_uris: [`${url}/auth/callback`] }],
    });
    emulator = await startEmulator({ apiKey: TEST_API_KEY });
    env = {
      PORT: String(port),
      ...gatewayEnv(url, idp.issuer, emulator.url),
      SHUTDOWN_GRACE_MS: '5000',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      LOG_LEVEL: 'info',
    };
  });
  afterEach(async () => {
    gateway?.kill();
    gateway = undefined;
    emulator.settings.latencyMs = 0;
  });
  after(async () => {
    await emulator.close();
    await idp.close();
  });

  it('exits 0 on SIGTERM while idle without waiting out the grace period, logging "stopped"', async () => {
    // A long grace period: an idle gateway must not wait for it. (No tight timing here: the
    // machine is shared; the bound only has to tell "did not wait 30 s" apart.)
    gateway = await spawnGateway({ env: { ...env, SHUTDOWN_GRACE_MS: '30000' } });
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - started).to.be.below(10_000);
    expect(gateway.lines.map((l) => l.msg)).to.include.members(['shutting down', 'stopped']);
  });

  it('closes its Redis client and exits 0 when REDIS_URL is set', async () => {
    gateway = await spawnGateway({ env: { ...env, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `test-shutdown-${randomUUID()}:` } });
    await readyzBecomes(url, 200, 5000);
    gateway.child.kill('SIGTERM');
    expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
    expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
  });

  it('finishes a ticket request in flight at SIGTERM, then exits 0', async () => {
    gateway = await spawnGateway({ env });
    const browser = new CookieClient();
    // Wait for discovery: the process logs "listening" before the IdP has answered.
    await readyzBecomes(url, 200, 5000);
    const start = await browser.get(`${url}/auth/login`);
    const callback = await browser.signInAt(start.headers.get('location') ?? '', 'alice');
    expect((await browser.get(callback)).status).to.equal(303);

    emulator.settings.latencyMs = 800;
    const reachedOneTalk = once(emulator.server, 'request');
    const ticket = browser.post(`${url}/api/livechat/ticket`, { headers: { 'x-csrf': '1' } });
    // SIGTERM once OneTalk has the call (it answers 800 ms later): the request is surely in flight.
    await reachedOneTalk;
    gateway.child.kill('SIGTERM');

    const res = await ticket;
    expect(res.status).to.equal(200);
    expect(await res.json()).to.have.property('ticket');
    expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
    const shuttingDown = gateway.lines.find((l) => l.msg === 'shutting down') as { inFlight?: number } | undefined;
    expect(shuttingDown?.inFlight).to.equal(1);
    expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
  });

  describe('with SHUTDOWN_DRAIN_DELAY_MS', () => {
    it('fails /readyz at once but keeps accepting and serving for the delay, then closes its listener', async () => {
      // Long enough that a loaded machine still makes its two requests inside it.
      const drainMs = 3000;
      gateway = await spawnGateway({ env: { ...env, SHUTDOWN_DRAIN_DELAY_MS: String(drainMs) } });
      await readyzBecomes(url, 200, 5000);

      const signalled = Date.now();
      gateway.child.kill('SIGTERM');
      await gateway.waitForLine((l) => l.msg === 'shutting down', 5000);
      // As a balancer sees it: readiness fails, yet new connections are still served in full.
      const readyz = await fetch(`${url}/readyz`);
      expect(readyz.status).to.equal(503);
      expect(await readyz.json()).to.include({ failing: 'draining' });
      // Even an answer the app sends at once moves the client off this instance's sockets.
      expect(readyz.headers.get('connection')).to.equal('close');
      const session = await fetch(`${url}/auth/session`);
      expect(session.status).to.equal(200);
      expect(await session.json()).to.deep.equal({ authenticated: false });
      expect(session.headers.get('connection')).to.equal('close');

      // Only after the delay does the listener go.
      await gateway.waitForLine((l) => l.msg === 'drain delay over; closing the listener', drainMs + 5000);
      expect(Date.now() - signalled).to.be.at.least(drainMs);
      // The line is written as the listener is closed; the kernel lets go of the port a moment
      // later, in another process than this one: wait for that, briefly.
      await until(async () => (await tryConnect(gateway!.port)) === 'ECONNREFUSED', 'the listener to close', 2000);
      expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
    });
  });
});
