/**
 * Load shedding that tells the truth, through the whole gateway against the OneTalk emulator
 * (its latency setting plays a slow or hanging OneTalk). The full-size figures are `npm run
 * load`'s; these are the same situations with compressed timings.
 */
import { setMaxListeners } from 'node:events';
import { expect } from 'chai';
import type { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';

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

describe('POST /api/livechat/ticket when more requests come than OneTalk can answer in time', () => {
  const DEADLINE = 600;
  const LATENCY = 400;
  let system: System;
  let browsers: CookieClient[];

  before(async () => {
    system = await startSystem({
      env: { ONETALK_TIMEOUT_MS: String(DEADLINE), ONETALK_MAX_CONCURRENT: '3', ONETALK_MAX_QUEUE: '10', RATE_LIMIT_TICKETS_PER_MINUTE: '1000' },
    });
    browsers = await Promise.all([system.signIn('alice'), system.signIn('bob')]);
    // Every latency wait of the emulator listens on its one shutdown signal.
    setMaxListeners(0, system.emulator.shutdown);
  });
  after(() => system.close());

  it('serves what fits under the cap and refuses the rest at once with 503 and Retry-After, never a 504', async () => {
    system.emulator.settings.latencyMs = LATENCY;
    expect((await ask(system, browsers[0]!)).status, 'warm-up: the gateway learns how long OneTalk takes').to.equal(200);
    system.emulator.requests.length = 0;

    // A queued request would start after ~400 ms and need ~400 more: past its 600 ms deadline.
    const answers = await burst(system, browsers, 9);
    expect(count(answers, 200)).to.equal(3);
    expect(count(answers, 504), 'no request waited for a timeout it was always going to get').to.equal(0);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).to.have.length(6);
    for (const a of refused) {
      expect(a.code).to.equal('upstream_overloaded');
      expect(Number(a.retryAfter)).to.be.at.least(1);
      expect(a.ms, 'at once, long before the deadline').to.be.below(DEADLINE / 2);
    }
    expect(system.emulator.requests, 'OneTalk was called only for the tickets given').to.have.length(3);
  });
});
