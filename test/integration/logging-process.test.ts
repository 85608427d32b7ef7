import { expect } from 'chai';
import { minimalEnv, spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/net.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef-0123456789';
/** Drain delay 0 + grace + the fixed exit margin: the most a process may live after SIGTERM. */
const GRACE_MS = 2000;
const DEADLINE_MS = GRACE_MS + 2000;

/** Requests whose log lines are about 8 KB each (the URL is logged), answered 404. */
async function noisyRequests(url: string, count: number): Promise<number[]> {
  const padding = 'x'.repeat(8000);
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: 10 }, (_, j) =>
      fetch(`${url}/nope-${i + j}?pad=${padding}`, { signal: AbortSignal.timeout(5000) }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    );
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

async function droppedLines(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const match = /^log_lines_dropped_total (\d+)$/m.exec(text);
  if (!match) throw new Error('no log_lines_dropped_total in /metrics');
  return Number(match[1]);
}

describe('logging is best-effort (a real process)', function () {
  this.timeout(30_000);
  let gateway: GatewayProcess;
  afterEach(() => gateway?.kill());

  async function start(): Promise<void> {
    const port = await freePort();
    gateway = await spawnGateway({
      env: minimalEnv(port, { METRICS_TOKEN, SHUTDOWN_DRAIN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: String(GRACE_MS) }),
    });
  }

  async function expectExitWithinDeadline(): Promise<void> {
    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    const outcome = await Promise.race([
      gateway.exited,
      new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), DEADLINE_MS + 3000)),
    ]);
    expect(outcome, 'still alive long after SIGTERM').not.to.equal('alive');
    expect(Date.now() - signalled).to.be.below(DEADLINE_MS + 1000);
  }

  it('keeps serving when nobody reads its stdout, dropping and counting lines, and still exits on SIGTERM', async () => {
    await start();
    // The reader stalls: the pipe (64 KiB) and the sink's own bound (1 MiB) fill up.
    gateway.child.stdout?.pause();
    const statuses = await noisyRequests(gateway.url, 250);
    expect(statuses.every((status) => status === 404)).to.equal(true);
    expect(await droppedLines(gateway.url)).to.be.above(0);
    await expectExitWithinDeadline();
  });

  it('keeps serving when its stdout reader went away, counting the lost lines, and exits on SIGTERM', async () => {
    await start();
    gateway.child.stdout?.destroy();
    const statuses = await noisyRequests(gateway.url, 20);
    expect(statuses.every((status) => status === 404)).to.equal(true);
    expect(await droppedLines(gateway.url)).to.be.at.least(20);
    await expectExitWithinDeadline();
    expect((await gateway.exited).code).to.equal(0);
  });
});
