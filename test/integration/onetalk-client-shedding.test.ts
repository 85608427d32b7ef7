/**
 * Load shedding in the client, against the OneTalk emulator on loopback with its latency
 * setting: a call joins the queue only when it can start in time to finish before its deadline,
 * and calls that arrive while the breaker's probe is in flight wait for its verdict.
 * Timings are compressed (hundreds of ms) and every margin is wide, for a loaded machine.
 */
import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createOneTalkClient, isOneTalkError, type OneTalkClient, type OneTalkClientOptions, type OneTalkError } from '../../src/onetalk/index.js';
import { EXAMPLE_USER } from '../helpers/onetalk.js';
import { until } from '../helpers/wait.js';

const KEY = 'shedding-test-key';

interface Outcome {
  code: 'ok' | OneTalkError['code'];
  ms: number;
  retryAfterMs: number | undefined;
}

/** Starts a ticket call and records how it ended and when. */
async function timedCall(client: OneTalkClient): Promise<Outcome> {
  const started = performance.now();
  try {
    await client.requestAuthTicket(EXAMPLE_USER);
    return { code: 'ok', ms: performance.now() - started, retryAfterMs: undefined };
  } catch (e) {
    if (!isOneTalkError(e)) throw e;
    return { code: e.code, ms: performance.now() - started, retryAfterMs: e.retryAfterMs };
  }
}

const codes = (outcomes: Outcome[]) => outcomes.map((o) => o.code).sort();

describe('onetalk/client admission under a deadline (OneTalk emulator)', () => {
  let emulator: RunningEmulator;
  let clients: OneTalkClient[] = [];
  const client = (extra: Partial<OneTalkClientOptions>): OneTalkClient => {
    const c = createOneTalkClient({ baseUrl: emulator.url, apiKey: KEY, timeoutMs: 2000, ...extra });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: KEY });
  });
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await emulator.close();
  });

  describe('when the slots are full and the queue ahead could not drain in time', () => {
    it('refuses at once with ONETALK_OVERLOADED and a Retry-After, and sends nothing', async () => {
      emulator.settings.latencyMs = 300;
      const c = client({ timeoutMs: 450, policy: { maxConcurrent: 2, maxQueue: 10 } });
      expect((await timedCall(c)).code, 'warm-up: the client learns how long a call holds its slot').to.equal('ok');
      emulator.requests.length = 0;

      const outcomes = await Promise.all(Array.from({ length: 5 }, () => timedCall(c)));
      expect(codes(outcomes)).to.deep.equal(['ONETALK_OVERLOADED', 'ONETALK_OVERLOADED', 'ONETALK_OVERLOADED', 'ok', 'ok']);
      for (const o of outcomes.filter((x) => x.code === 'ONETALK_OVERLOADED')) {
        // A queued call would start after ~300 ms and need ~300 more: past its 450 ms deadline.
        expect(o.ms, 'refused at once, not at the deadline').to.be.below(150);
        expect(o.retryAfterMs, 'when a slot is expected to free').to.be.within(1, 450);
      }
      expect(emulator.requests, 'only the calls that could finish were sent').to.have.length(2);
    });
  });

  describe('when the queue ahead can drain in time', () => {
    it('queues the calls, and every one gets its ticket', async () => {
      emulator.settings.latencyMs = 50;
      const c = client({ timeoutMs: 3000, policy: { maxConcurrent: 2, maxQueue: 10 } });
      expect((await timedCall(c)).code).to.equal('ok');
      emulator.requests.length = 0;

      const outcomes = await Promise.all(Array.from({ length: 6 }, () => timedCall(c)));
      expect(codes(outcomes)).to.deep.equal(Array(6).fill('ok'));
      expect(emulator.requests).to.have.length(6);
    });
  });

  describe('before any call has come back', () => {
    it('queues nothing behind full slots: it cannot know that a queued call would finish', async () => {
      emulator.settings.latencyMs = 100;
      const c = client({ timeoutMs: 2000, policy: { maxConcurrent: 1, maxQueue: 10 } });
      const [first, second] = await Promise.all([timedCall(c), timedCall(c)]);
      expect(first.code).to.equal('ok');
      expect(second.code).to.equal('ONETALK_OVERLOADED');
      expect(second.ms).to.be.below(first.ms);
      expect(emulator.requests).to.have.length(1);
    });
  });

  describe('when calls arrive together right after the breaker cool-down', () => {
    it('lets them wait for the probe, then sends them all once it has succeeded', async () => {
      const c = client({ timeoutMs: 300, policy: { breakerThreshold: 2, breakerCooldownMs: 200 } });
      emulator.settings.latencyMs = 500;
      expect(codes(await Promise.all([timedCall(c), timedCall(c)]))).to.deep.equal(['ONETALK_TIMEOUT', 'ONETALK_TIMEOUT']);
      expect(c.stats().breaker).to.equal('open');
      await until(() => c.stats().breaker === 'half_open', 'the cool-down to end');
      await until(() => emulator.requests.length === 2, 'the emulator to answer the abandoned calls');
      emulator.requests.length = 0;

      emulator.settings.latencyMs = 50;
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => timedCall(c)));
      expect(codes(outcomes)).to.deep.equal(Array(10).fill('ok'));
      expect(emulator.requests).to.have.length(10);
      expect(c.stats().breaker).to.equal('closed');
    });

    it('asks a call that waited for the probe whether it is still wanted, and sends none its caller gave up', async () => {
      const c = client({ timeoutMs: 300, policy: { breakerThreshold: 2, breakerCooldownMs: 200 } });
      emulator.settings.latencyMs = 500;
      expect(codes(await Promise.all([timedCall(c), timedCall(c)]))).to.deep.equal(['ONETALK_TIMEOUT', 'ONETALK_TIMEOUT']);
      await until(() => c.stats().breaker === 'half_open', 'the cool-down to end');
      await until(() => emulator.requests.length === 2, 'the emulator to answer the abandoned calls');
      emulator.requests.length = 0;

      emulator.settings.latencyMs = 50;
      const asked: string[] = [];
      // The probe goes at once (it waited for nothing, so it is not asked); the other waits for it.
      const probe = c.requestAuthTicket(EXAMPLE_USER, { stillWanted: async () => (asked.push('probe'), true) });
      const unwanted = c.requestAuthTicket(EXAMPLE_USER, { stillWanted: async () => (asked.push('waiter'), false) }).then(
        () => 'ok',
        (e: OneTalkError) => e.code,
      );
      await probe;
      expect(await unwanted).to.equal('ONETALK_ABORTED');
      expect(asked).to.deep.equal(['waiter']);
      expect(emulator.requests, 'only the probe was sent').to.have.length(1);
      expect(c.stats().breaker).to.equal('closed');
    });
  });
});
