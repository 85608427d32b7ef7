import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startDevIdp, type DevIdp } from '../../src/demo/idp.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET } from '../helpers/gateway.js';
import { freePort } from '../helpers/net.js';

interface Gateway {
  child: ChildProcess;
  url: string;
  /** Every JSON log line the process wrote so far. */
  lines: Array<{ msg?: string; level?: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `src/server.ts` as operators do (plus tsx) and waits for its "gateway listening" line. */
async function spawnGateway(env: Record<string, string>, url: string): Promise<Gateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Gateway['lines'] = [];
  let stderr = '';
  // 'close', not 'exit': it comes after stdout is drained, so the last log line ("stopped") is in.
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const listening = new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts.filter(Boolean)) {
        const line = JSON.parse(part) as Gateway['lines'][number];
        lines.push(line);
        if (line.msg === 'gateway listening') resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then(({ code }) => reject(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
  await listening;
  return { child, url, lines, exited };
}

describe('graceful shutdown (a real process)', function () {
  this.timeout(30_000);
  let idp: DevIdp;
  let emulator: RunningEmulator;
  let gateway: Gateway | undefined;
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
      PUBLIC_URL: url,
      SESSION_SECRET: TEST_SESSION_SECRET,
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: 'gateway',
      OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
      ONETALK_API_KEY: TEST_API_KEY,
      ONETALK_BASE_URL: emulator.url,
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'info',
    };
  });
  afterEach(async () => {
    if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
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
    gateway = await spawnGateway({ ...env, SHUTDOWN_GRACE_MS: '30000' }, url);
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - started).to.be.below(10_000);
    expect(gateway.lines.map((l) => l.msg)).to.include.members(['shutting down', 'stopped']);
  });

  it('closes its Redis client and exits 0 when REDIS_URL is set', async () => {
    gateway = await spawnGateway({ ...env, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'test-shutdown:' }, url);
    for (let i = 0; i < 50 && (await fetch(`${url}/readyz`)).status !== 200; i += 1) await sleep(100);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).to.deep.equal({ code: 0, signal: null });
    expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
  });

  it('finishes a ticket request in flight at SIGTERM, then exits 0', async () => {
    gateway = await spawnGateway(env, url);
    const browser = new CookieClient();
    // Wait for discovery: the process logs "listening" before the IdP has answered.
    for (let i = 0; i < 50 && (await fetch(`${url}/readyz`)).status !== 200; i += 1) await sleep(100);
    const start = await browser.get(`${url}/auth/login`);
    const callback = await browser.signInAt(start.headers.get('location') ?? '', 'alice');
    expect((await browser.get(callback)).status).to.equal(303);

    emulator.settings.latencyMs = 800;
    const ticket = browser.post(`${url}/api/livechat/ticket`, { headers: { 'x-csrf': '1' } });
    await sleep(250);
    gateway.child.kill('SIGTERM');

    const res = await ticket;
    expect(res.status).to.equal(200);
    expect(await res.json()).to.have.property('ticket');
    expect(await gateway.exited).to.deep.equal({ code: 0, signal: null });
    const shuttingDown = gateway.lines.find((l) => l.msg === 'shutting down') as { inFlight?: number } | undefined;
    expect(shuttingDown?.inFlight).to.equal(1);
    expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
  });
});
