import { expect } from 'chai';
import type { CookieClient } from '../helpers/cookie-client.js';
import { FaultProxy, rawResponse } from '../helpers/fault-proxy.js';
import { breakerState, requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

/** Whole-call deadline of the gateway under test. */
const DEADLINE = 2000;
/** Slack for scheduling on a busy CI machine. */
const SLACK = 400;
/** The bytes that mark alice's upstream request; bob's never contain them. */
const ALICE = '"customerUserID":"alice"';

interface Timed {
  res: Response;
  ms: number;
  body: { code?: string; ticket?: string };
}

async function timed(request: Promise<Response>): Promise<Timed> {
  const started = performance.now();
  const res = await request;
  const body = (await res.json()) as Timed['body'];
  return { res, ms: performance.now() - started, body };
}

const aliceCalls = (system: System) => system.emulator.requests.filter((r) => JSON.stringify(r.body).includes('alice')).length;

/** Collects unhandled rejections for the duration of a describe block. */
function watchRejections(): unknown[] {
  const seen: unknown[] = [];
  const record = (reason: unknown) => void seen.push(reason);
  before(() => process.on('unhandledRejection', record));
  after(() => process.off('unhandledRejection', record));
  return seen;
}

describe('POST /api/livechat/ticket through a faulty network (TCP fault proxy)', function () {
  const proxy = new FaultProxy();
  const rejections = watchRejections();
  let system: System;
  let alice: CookieClient;
  let bob: CookieClient;

  before(async () => {
    await proxy.start();
    system = await startSystem({
      env: {
        ONETALK_BASE_URL: proxy.url,
        ONETALK_TIMEOUT_MS: String(DEADLINE),
        // This block is about single faults; the breaker has its own below.
        ONETALK_BREAKER_THRESHOLD: '1000',
        RATE_LIMIT_TICKETS_PER_MINUTE: '1000',
      },
    });
    proxy.targetPort = system.emulator.port;
    alice = await system.signIn('alice');
    bob = await system.signIn('bob');
  });
  beforeEach(() => {
    system.emulator.reset();
    proxy.faulted = 0;
  });
  afterEach(async () => {
    proxy.clear();
    await until(() => proxy.faultedOpen === 0, 'every faulted socket closed');
    expect(rejections, 'unhandled rejections').to.deep.equal([]);
  });
  after(async () => {
    await system.close();
    await until(() => proxy.open === 0, 'no socket left open through the proxy');
    await proxy.close();
  });

  /** Alice's faulted request and bob's healthy one, at the same time. */
  async function aliceFaultedBobHealthy(): Promise<{ a: Timed; b: Timed }> {
    const [a, b] = await Promise.all([timed(requestTicket(system, alice)), timed(requestTicket(system, bob))]);
    expect(b.res.status, 'bob is unaffected').to.equal(200);
    expect(b.body.ticket).to.be.a('string');
    return { a, b };
  }

  describe('when the connection is refused', () => {
    it('answers 503 upstream_unavailable within the deadline, and serves again once OneTalk is back', async () => {
      await proxy.refuse();
      const before = proxy.accepted;
      const a = await timed(requestTicket(system, alice));
      expect(a.res.status).to.equal(503);
      expect(a.body.code).to.equal('upstream_unavailable');
      expect(a.ms).to.be.below(DEADLINE);
      expect(proxy.accepted).to.equal(before);
      await proxy.accept();
      const b = await timed(requestTicket(system, bob));
      expect(b.res.status).to.equal(200);
      expect(system.emulator.requests).to.have.length(1);
    });
  });

  describe('when the connection is reset mid-response', () => {
    it('answers 502 at once and does not retry a request OneTalk has processed', async () => {
      proxy.inject({ kind: 'reset', bodyBytes: 10 }, { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(502);
      expect(a.body.code).to.equal('upstream_bad_response');
      expect(a.ms).to.be.below(DEADLINE);
      expect(aliceCalls(system), 'one ticket minted, no retry').to.equal(1);
    });
  });

  describe('when the response headers never come', () => {
    it('answers 504 upstream_timeout at the deadline, while others are served at once', async () => {
      proxy.inject({ kind: 'hang' }, { match: ALICE });
      const { a, b } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(504);
      expect(a.body.code).to.equal('upstream_timeout');
      expect(a.ms).to.be.within(DEADLINE - 50, DEADLINE + SLACK);
      expect(b.ms).to.be.below(DEADLINE / 2);
      expect(proxy.faulted, 'a timeout is not retried').to.equal(1);
    });
  });

  describe('when the body trickles slower than the deadline', () => {
    it('answers 504 upstream_timeout at the deadline and drops the connection', async () => {
      proxy.inject({ kind: 'trickle', intervalMs: 50 }, { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(504);
      expect(a.body.code).to.equal('upstream_timeout');
      expect(a.ms).to.be.within(DEADLINE - 50, DEADLINE + SLACK);
      expect(aliceCalls(system)).to.equal(1);
    });
  });

  describe('when the JSON is truncated', () => {
    it('answers 502 upstream_bad_response when the connection closes mid-body', async () => {
      proxy.inject({ kind: 'cut', bodyBytes: 20 }, { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(502);
      expect(a.body.code).to.equal('upstream_bad_response');
      expect(aliceCalls(system)).to.equal(1);
    });

    it('answers 502 upstream_bad_response to a complete answer whose JSON stops short', async () => {
      const cut = '{"status":200,"error":{"code":"","message":"","field":""},"data":{"success":true,"ticket":"eyJ';
      proxy.inject({ kind: 'respond', raw: rawResponse(200, { 'Content-Type': 'application/json' }, cut) }, { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(502);
      expect(a.body.code).to.equal('upstream_bad_response');
      expect(proxy.faulted).to.equal(1);
    });
  });

  describe('when OneTalk answers 429 with Retry-After', () => {
    const tooMany = (seconds: string) => ({ kind: 'respond' as const, raw: rawResponse(429, { 'Retry-After': seconds }) });

    it('waits as asked, retries, and succeeds within the deadline', async () => {
      proxy.inject(tooMany('1'), { match: ALICE, times: 1 });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(200);
      expect(a.ms).to.be.within(1000, DEADLINE);
      expect(proxy.faulted).to.equal(1);
      expect(aliceCalls(system)).to.equal(1);
    });

    it('gives up before the deadline when asked again, passing Retry-After on', async () => {
      proxy.inject(tooMany('1'), { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(503);
      expect(a.body.code).to.equal('upstream_rate_limited');
      expect(a.res.headers.get('retry-after')).to.equal('1');
      expect(a.ms).to.be.within(1000, DEADLINE);
      expect(proxy.faulted, 'the second 429 leaves no time for a third try').to.equal(2);
    });

    it('gives up at once when Retry-After is longer than the cap', async () => {
      proxy.inject(tooMany('30'), { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(503);
      expect(a.res.headers.get('retry-after')).to.equal('30');
      expect(a.ms).to.be.below(500);
      expect(proxy.faulted).to.equal(1);
    });
  });

  describe('when OneTalk answers 503 once', () => {
    it('retries after a short backoff and succeeds', async () => {
      proxy.inject({ kind: 'respond', raw: rawResponse(503, {}, 'busy') }, { match: ALICE, times: 1 });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(200);
      expect(a.ms).to.be.below(DEADLINE);
      expect(aliceCalls(system)).to.equal(1);
    });
  });

  describe('when OneTalk answers 500', () => {
    it('does not retry (the request may have been processed) and answers 503', async () => {
      proxy.inject({ kind: 'respond', raw: rawResponse(500, {}, 'oops') }, { match: ALICE });
      const { a } = await aliceFaultedBobHealthy();
      expect(a.res.status).to.equal(503);
      expect(a.body.code).to.equal('upstream_unavailable');
      expect(proxy.faulted).to.equal(1);
    });
  });
});

describe('POST /api/livechat/ticket when OneTalk keeps failing (circuit breaker)', function () {
  const COOLDOWN = 700;
  const proxy = new FaultProxy();
  const rejections = watchRejections();
  let system: System;
  let alice: CookieClient;
  let bob: CookieClient;

  before(async () => {
    await proxy.start();
    system = await startSystem({
      env: {
        ONETALK_BASE_URL: proxy.url,
        ONETALK_TIMEOUT_MS: String(DEADLINE),
        ONETALK_BREAKER_THRESHOLD: '3',
        ONETALK_BREAKER_COOLDOWN_MS: String(COOLDOWN),
        RATE_LIMIT_TICKETS_PER_MINUTE: '1000',
      },
    });
    proxy.targetPort = system.emulator.port;
    alice = await system.signIn('alice');
    bob = await system.signIn('bob');
  });
  afterEach(() => expect(rejections, 'unhandled rejections').to.deep.equal([]));
  after(async () => {
    await system.close();
    await until(() => proxy.open === 0, 'no socket left open through the proxy');
    await proxy.close();
  });

  it('opens after repeated failures, then answers 503 at once without calling OneTalk', async () => {
    await proxy.refuse();
    for (let i = 0; i < 3; i++) expect((await requestTicket(system, alice)).status).to.equal(503);
    await proxy.accept(); // OneTalk is back, but the breaker does not know yet
    const before = proxy.accepted;
    const b = await timed(requestTicket(system, bob));
    expect(b.res.status).to.equal(503);
    expect(b.body.code).to.equal('upstream_circuit_open');
    expect(Number(b.res.headers.get('retry-after'))).to.be.within(1, Math.ceil(COOLDOWN / 1000));
    expect(b.ms, 'refused at once, long before the deadline').to.be.below(DEADLINE / 2);
    expect(proxy.accepted, 'no connection to OneTalk').to.equal(before);
    expect(system.emulator.requests).to.have.length(0);
  });

  it('lets a probe through after the cool-down, and closes again when it succeeds', async () => {
    await until(async () => (await breakerState(system)) === 'half_open', 'the cool-down to end');
    const [a, b] = await Promise.all([timed(requestTicket(system, alice)), timed(requestTicket(system, bob))]);
    // One of the two is the probe; the other waits for its verdict, then goes through.
    expect([a.res.status, b.res.status]).to.deep.equal([200, 200]);
    expect((await timed(requestTicket(system, bob))).res.status).to.equal(200);
    expect((await timed(requestTicket(system, alice))).res.status).to.equal(200);
  });

  it('re-opens at once when the probe fails', async () => {
    await proxy.refuse();
    for (let i = 0; i < 3; i++) await requestTicket(system, alice);
    expect((await timed(requestTicket(system, bob))).body.code).to.equal('upstream_circuit_open');
    await until(async () => (await breakerState(system)) === 'half_open', 'the cool-down to end');
    expect((await timed(requestTicket(system, bob))).body.code, 'the probe').to.equal('upstream_unavailable');
    expect((await timed(requestTicket(system, bob))).body.code, 'open again').to.equal('upstream_circuit_open');
    await proxy.accept();
  });
});
