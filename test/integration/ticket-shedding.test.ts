/**
 * Load shedding that tells the truth, through the whole gateway against the OneTalk emulator
 * (its latency setting plays a slow or hanging OneTalk). The full-size figures are `npm run
 * load`'s; these are the same situations with compressed timings.
 */
import { expect } from 'chai';
import type { CookieClient } from '../helpers/cookie-client.js';
import { breakerState, requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  ms: number;
}

async function ask(system: System, browser: CookieClient): Promise<Answer> {
  const started = performance.now();
  const res = await requestTicket(system, browser);
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started };
}

/** `n` ticket requests at once, from `browsers` in turn. */
const burst = (system: System, browsers: CookieClient[], n: number) => Promise.all(Array.from({ length: n }, (_, i) => ask(system, browsers[i % browsers.length]!)));

const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;

const breakerBecomes = (system: System, state: string) => until(async () => (await breakerState(system)) === state, `the breaker to become ${state}`);

describe('POST /api/livechat/ticket when more requests come than OneTalk can answer in time', () => {
  // Half a second between a served call's upstream wait and its deadline: room for a loaded
  // machine, while a queued call (start after ~700 ms, then ~700 more) could never make it.
  const DEADLINE = 1200;
  const LATENCY = 700;
  let system: System;
  let browsers: CookieClient[];

  before(async () => {
    system = await startSystem({
      env: { ONETALK_TIMEOUT_MS: String(DEADLINE), ONETALK_MAX_CONCURRENT: '3', ONETALK_MAX_QUEUE: '10', RATE_LIMIT_TICKETS_PER_MINUTE: '1000' },
    });
    browsers = await Promise.all([system.signIn('alice'), system.signIn('bob')]);
  });
  after(() => system.close());

  it('serves what fits under the cap and refuses the rest at once with 503 and Retry-After, never a 504', async () => {
    system.emulator.settings.latencyMs = LATENCY;
    expect((await ask(system, browsers[0]!)).status, 'warm-up: the gateway learns how long OneTalk takes').to.equal(200);
    system.emulator.requests.length = 0;

    // A queued request would start after ~700 ms and need ~700 more: past its 1,200 ms deadline.
    const answers = await burst(system, browsers, 9);
    expect(count(answers, 200)).to.equal(3);
    expect(count(answers, 504), 'no request waited for a timeout it was always going to get').to.equal(0);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).to.have.length(6);
    // "At once", measured against the answers that were served (each waited LATENCY upstream)
    // rather than against a wall-clock figure a loaded machine could stretch.
    const firstServed = Math.min(...answers.filter((a) => a.status === 200).map((a) => a.ms));
    for (const a of refused) {
      expect(a.code).to.equal('upstream_overloaded');
      expect(Number(a.retryAfter)).to.be.at.least(1);
      expect(a.ms, 'refused before any request was served: it never queued').to.be.below(firstServed);
      expect(a.ms, 'long before the deadline').to.be.below(DEADLINE);
    }
    expect(system.emulator.requests, 'OneTalk was called only for the tickets given').to.have.length(3);
  });
});

describe('POST /api/livechat/ticket right after the circuit breaker cool-down', () => {
  // Room for a burst of twenty to wait for the probe and then be served on a loaded machine.
  const DEADLINE = 1000;
  const COOLDOWN = 300;
  let system: System;
  let browsers: CookieClient[];

  // A fresh gateway per test: the breaker's statistics window outlives a test.
  beforeEach(async () => {
    system = await startSystem({
      env: {
        ONETALK_TIMEOUT_MS: String(DEADLINE),
        ONETALK_BREAKER_THRESHOLD: '3',
        ONETALK_BREAKER_COOLDOWN_MS: String(COOLDOWN),
        RATE_LIMIT_TICKETS_PER_MINUTE: '1000',
      },
    });
    browsers = await Promise.all([system.signIn('alice'), system.signIn('bob')]);
  });
  afterEach(() => system.close());

  /** OneTalk hangs past the deadline until the breaker opens, then its cool-down runs out. */
  async function openThenCoolDown(): Promise<void> {
    system.emulator.settings.latencyMs = DEADLINE + 500;
    const answers = await burst(system, browsers, 3);
    expect(answers.map((a) => a.status)).to.deep.equal([504, 504, 504]);
    await breakerBecomes(system, 'open');
    await breakerBecomes(system, 'half_open');
  }

  /**
   * Calls that reached OneTalk at or after `since`. The emulator logs a call when it answers, so
   * the three the gateway gave up on are logged late, maybe during the next burst: tell them
   * apart by when they arrived.
   */
  const callsSince = (since: number) => system.emulator.requests.filter((r) => Date.parse(r.at) >= since);

  it('lets a burst wait for the probe and serves it once OneTalk has proven healthy', async () => {
    await openThenCoolDown();
    system.emulator.settings.latencyMs = 100;
    const since = Date.now();
    const answers = await burst(system, browsers, 20);
    expect(count(answers, 200), `statuses ${answers.map((a) => a.status).join(',')}`).to.be.at.least(12);
    expect(callsSince(since), 'one call per ticket').to.have.length(count(answers, 200));
    expect(await breakerState(system)).to.equal('closed');
  });

  it('refuses the waiting burst with 503 circuit_open when the probe fails', async () => {
    await openThenCoolDown();
    const answers = await burst(system, browsers, 10);
    expect(count(answers, 504), 'the probe').to.equal(1);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).to.have.length(9);
    for (const a of refused) {
      expect(a.code).to.equal('upstream_circuit_open');
      expect(Number(a.retryAfter)).to.be.at.least(1);
    }
  });
});
