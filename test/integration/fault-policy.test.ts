import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ConcurrencyLimiter, ShedError } from '../../src/onetalk/limiter.js';
import {
  DEFAULT_POLICY,
  OneTalkError,
  backoffMs,
  createOneTalkClient,
  isHealthFailure,
  retryDelayMs,
  type OneTalkCallEvent,
  type OneTalkClient,
  type OneTalkClientOptions,
  type TicketUser,
  type UpstreamPolicy,
} from '../../src/onetalk/index.js';
import { failure } from '../helpers/onetalk.js';

const USER: TicketUser = { customerUserID: 'u-1', fullName: 'Policy Tester' };
const TICKET_OK = JSON.stringify({ status: 200, error: { code: '', message: '', field: '' }, data: { success: true, message: 'ok', userID: 'x', ticket: 't' } });
const policy = (over: Partial<UpstreamPolicy> = {}): UpstreamPolicy => ({ ...DEFAULT_POLICY, ...over });
const err = (code: OneTalkError['code'], details: Partial<{ upstreamStatus: number; retryAfterMs: number; low: string }> = {}) =>
  new OneTalkError(code, 'x', {
    endpoint: 'requestAuthTicket',
    upstreamStatus: details.upstreamStatus,
    retryAfterMs: details.retryAfterMs,
    cause: details.low ? Object.assign(new Error(details.low), { code: details.low }) : undefined,
  });

describe('onetalk/policy', () => {
  describe('which failures are retried', () => {
    const cases: Array<[string, OneTalkError, boolean]> = [
      ['a refused connection', err('ONETALK_UNAVAILABLE', { low: 'ECONNREFUSED' }), true],
      ['a reset before any response', err('ONETALK_UNAVAILABLE', { low: 'ECONNRESET' }), true],
      ['a reset after the response began', err('ONETALK_UNAVAILABLE', { low: 'ECONNRESET', upstreamStatus: 200 }), false],
      ['502', err('ONETALK_UNAVAILABLE', { upstreamStatus: 502 }), true],
      ['503', err('ONETALK_UNAVAILABLE', { upstreamStatus: 503 }), true],
      ['504', err('ONETALK_UNAVAILABLE', { upstreamStatus: 504 }), true],
      ['500 (may have been processed)', err('ONETALK_UNAVAILABLE', { upstreamStatus: 500 }), false],
      ['429', err('ONETALK_RATE_LIMITED', { upstreamStatus: 429 }), true],
      ['a timeout', err('ONETALK_TIMEOUT'), false],
      ['40002 parameter validation', err('ONETALK_PARAM_VALIDATION', { upstreamStatus: 400 }), false],
      ['40001 header validation', err('ONETALK_HEADER_VALIDATION', { upstreamStatus: 400 }), false],
      ['49900 no tier', err('ONETALK_TIER_NOT_SELECTED', { upstreamStatus: 499 }), false],
      ['a refused key', err('ONETALK_KEY_REFUSED', { upstreamStatus: 401 }), false],
      ['a bad response', err('ONETALK_BAD_RESPONSE', { upstreamStatus: 200 }), false],
      ['a non-OneTalk error', new Error('x') as OneTalkError, false],
    ];
    for (const [name, e, retried] of cases) {
      it(`${retried ? 'retries' : 'never retries'} ${name}`, () => {
        expect(retryDelayMs(e, 0, policy(), () => 0.5) !== undefined).to.equal(retried);
      });
    }
  });

  it('backs off exponentially with jitter, capped', () => {
    const limits = { baseMs: 100, maxMs: 300 };
    expect([0, 1, 2, 3].map((n) => backoffMs(n, limits, () => 0))).to.deep.equal([50, 100, 150, 150]);
    expect([0, 1, 2, 3].map((n) => backoffMs(n, limits, () => 0.999999))).to.deep.equal([100, 200, 300, 300]);
    // A client that reconnects forever never overflows to Infinity or NaN.
    expect(backoffMs(10_000, limits, () => 0.5)).to.equal(225);
  });

  it('honours Retry-After up to the cap, and gives up beyond it', () => {
    const p = policy({ retryMaxDelayMs: 1000 });
    expect(retryDelayMs(err('ONETALK_RATE_LIMITED', { retryAfterMs: 800 }), 0, p, () => 0)).to.equal(800);
    expect(retryDelayMs(err('ONETALK_RATE_LIMITED', { retryAfterMs: 0 }), 0, p, () => 0)).to.equal(50);
    expect(retryDelayMs(err('ONETALK_RATE_LIMITED', { retryAfterMs: 1001 }), 0, p, () => 0)).to.equal(undefined);
  });

  it('counts only unavailability and timeouts as health failures', () => {
    expect(isHealthFailure(err('ONETALK_UNAVAILABLE'))).to.equal(true);
    expect(isHealthFailure(err('ONETALK_TIMEOUT'))).to.equal(true);
    for (const code of ['ONETALK_PARAM_VALIDATION', 'ONETALK_RATE_LIMITED', 'ONETALK_KEY_REFUSED', 'ONETALK_OVERLOADED', 'ONETALK_ABORTED'] as const) {
      expect(isHealthFailure(err(code)), code).to.equal(false);
    }
  });
});

describe('onetalk/limiter', () => {
  it('admits up to the cap, queues FIFO up to the bound, and refuses past it at once', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueue: 1, priorHoldMs: 1000 });
    const r1 = await limiter.acquire();
    await limiter.acquire();
    const order: string[] = [];
    const waiting = limiter.acquire().then((release) => (order.push('queued'), release));
    expect(limiter.queued).to.equal(1);
    let refused: unknown;
    await limiter.acquire().catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(ShedError);
    expect(refused).to.include({ reason: 'queue_full' });
    r1();
    r1(); // a second release must not free a second slot
    (await waiting)();
    expect(order).to.deep.equal(['queued']);
    expect(limiter.active).to.equal(1);
  });

  it('drops a waiter whose signal fires', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 5, priorHoldMs: 1000 });
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    let reason: unknown;
    await waiting.catch((e: unknown) => (reason = e));
    expect((reason as Error).message).to.equal('gave up');
    expect(limiter.queued).to.equal(0);
    release();
    expect(limiter.active).to.equal(0);
  });

  it('refuses at once a call that could not start by its startBy, estimating from the hold time', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueue: 10, priorHoldMs: 1000 });
    await limiter.acquire();
    await limiter.acquire();
    // Both slots are expected to be held for the prior 1000 ms: the first waiter starts then.
    const now = performance.now();
    const refused = await limiter.acquire({ startBy: now + 500 }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ShedError);
    expect(refused).to.include({ reason: 'too_late' });
    expect((refused as ShedError).retryAfterMs).to.be.within(900, 1000);
    expect(limiter.queued).to.equal(0);
    void limiter.acquire({ startBy: now + 1500 });
    void limiter.acquire({ startBy: now + 1500 });
    expect(limiter.queued).to.equal(2);
    // A third waiter would get the oldest slot after the first waiter has held it: two holds away.
    const third = await limiter.acquire({ startBy: now + 1500 }).catch((e: unknown) => e);
    expect((third as ShedError).retryAfterMs).to.be.within(1900, 2000);
  });

  it('learns the hold time from released slots that asked it to', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 1, priorHoldMs: 5000 });
    expect(limiter.holdMs()).to.equal(5000);
    const aborted = await limiter.acquire();
    aborted(false);
    expect(limiter.holdMs(), 'a slot released without learning teaches nothing').to.equal(5000);
    const held = await limiter.acquire();
    const since = performance.now();
    while (performance.now() - since < 30) await sleep(5);
    held(true);
    expect(limiter.holdMs()).to.be.within(30, 1000);
  });

  it('refuses a waiter whose slot comes after its startBy, and hands the slot to the next', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 5, priorHoldMs: 1 });
    const release = await limiter.acquire();
    const startBy = performance.now() + 20;
    const late = limiter.acquire({ startBy }).catch((e: unknown) => e);
    const patient = limiter.acquire();
    while (performance.now() <= startBy) await sleep(5);
    release();
    expect(await late).to.include({ reason: 'too_late' });
    (await patient)();
    expect(limiter.active).to.equal(0);
    expect(limiter.queued).to.equal(0);
  });
});

describe('onetalk/client under the upstream policy (loopback upstream)', () => {
  let server: http.Server;
  let url: string;
  let reply: (res: http.ServerResponse) => void;
  let received = 0;
  const clients: OneTalkClient[] = [];
  const client = (extra: Partial<OneTalkClientOptions> = {}) => {
    const c = createOneTalkClient({ baseUrl: url, apiKey: 'k-123', timeoutMs: 1000, random: () => 0.5, ...extra });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = http.createServer((req, res) => {
      received += 1;
      req.resume();
      req.on('end', () => reply(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received = 0;
    reply = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(TICKET_OK);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('makes at most 1 + maxRetries attempts, then reports the last failure', async () => {
    reply = (res) => res.writeHead(503).end();
    const events: OneTalkCallEvent[] = [];
    const e = await failure(client({ observer: { call: (ev) => events.push(ev) } }).requestAuthTicket(USER));
    expect(e).to.include({ code: 'ONETALK_UNAVAILABLE', upstreamStatus: 503 });
    expect(received).to.equal(3);
    expect(events).to.have.length(1);
    expect(events[0]).to.include({ endpoint: 'requestAuthTicket', outcome: 'unavailable', attempts: 3 });
  });

  it('keeps every attempt and wait inside one deadline', async () => {
    reply = (res) => void setTimeout(() => res.writeHead(503).end(), 150).unref();
    const started = performance.now();
    const e = await failure(client({ timeoutMs: 400, policy: { maxRetries: 5, retryBaseDelayMs: 100 } }).requestAuthTicket(USER));
    expect(performance.now() - started).to.be.below(450);
    expect(e.code).to.be.oneOf(['ONETALK_UNAVAILABLE', 'ONETALK_TIMEOUT']);
    expect(received).to.be.below(3);
  });

  it('does not retry with maxRetries 0', async () => {
    reply = (res) => res.writeHead(502).end();
    await failure(client({ policy: { maxRetries: 0 } }).requestAuthTicket(USER));
    expect(received).to.equal(1);
  });

  it('refuses at once past the cap and the queue (ONETALK_OVERLOADED), nothing sent', async () => {
    const c = client({ policy: { maxConcurrent: 2, maxQueue: 1 } });
    // One answered call teaches the client how long slots are held; until then it queues nothing.
    await c.requestAuthTicket(USER);
    received = 0;
    const held: http.ServerResponse[] = [];
    reply = (res) => void held.push(res);
    const inFlight = [c.requestAuthTicket(USER), c.requestAuthTicket(USER), c.requestAuthTicket(USER)];
    const started = performance.now();
    expect((await failure(c.requestAuthTicket(USER))).code).to.equal('ONETALK_OVERLOADED');
    // "At once": well before the 1 s deadline it would otherwise wait for (loose: shared machine).
    expect(performance.now() - started).to.be.below(500);
    expect(c.stats()).to.deep.equal({ breaker: 'closed', inFlight: 2, queued: 1 });
    await sleep(50);
    expect(received).to.equal(2);
    for (const res of held) res.writeHead(200, { 'content-type': 'application/json' }).end(TICKET_OK);
    held.length = 0;
    await sleep(20);
    for (const res of held) res.writeHead(200, { 'content-type': 'application/json' }).end(TICKET_OK);
    expect((await Promise.all(inFlight)).map((t) => t.ticket)).to.deep.equal(['t', 't', 't']);
    expect(c.stats()).to.deep.equal({ breaker: 'closed', inFlight: 0, queued: 0 });
  });

  it('gives a queued call OVERLOADED when no slot frees within its deadline', async () => {
    const c = client({ timeoutMs: 200, policy: { maxConcurrent: 1, maxQueue: 5 } });
    await c.requestAuthTicket(USER); // a fast answer: the next call will expect to queue briefly
    received = 0;
    reply = () => undefined; // never answers
    const first = failure(c.requestAuthTicket(USER));
    const second = await failure(c.requestAuthTicket(USER));
    expect(second.code).to.equal('ONETALK_OVERLOADED');
    expect((await first).code).to.equal('ONETALK_TIMEOUT');
    expect(received).to.equal(1);
  });

  it('is not tripped by validation answers', async () => {
    reply = (res) => res.writeHead(400).end(JSON.stringify({ status: 400, error: { code: '40002', message: 'bad', field: 'fullName' }, data: {} }));
    const c = client({ policy: { breakerThreshold: 2 } });
    for (let i = 0; i < 5; i++) expect((await failure(c.requestAuthTicket(USER))).code).to.equal('ONETALK_PARAM_VALIDATION');
    expect(c.stats().breaker).to.equal('closed');
    expect(received).to.equal(5);
  });

  it('opens on repeated 5xx, refuses with ONETALK_CIRCUIT_OPEN and a Retry-After, and reports the state', async () => {
    reply = (res) => res.writeHead(500).end();
    const states: string[] = [];
    const c = client({ policy: { breakerThreshold: 2, breakerCooldownMs: 5000 }, observer: { breakerState: (s) => states.push(s) } });
    await failure(c.requestAuthTicket(USER));
    await failure(c.requestAuthTicket(USER));
    const e = await failure(c.requestAuthTicket(USER));
    expect(e.code).to.equal('ONETALK_CIRCUIT_OPEN');
    expect(e.retryAfterMs).to.be.within(4000, 5000);
    expect(received).to.equal(2);
    expect(states).to.deep.equal(['open']);
    expect(c.stats().breaker).to.equal('open');
  });

  it('cancels calls in flight when closed', async () => {
    reply = () => undefined;
    const c = client({ timeoutMs: 5000 });
    const pending = failure(c.requestAuthTicket(USER));
    await sleep(50);
    const started = performance.now();
    c.close();
    expect((await pending).code).to.equal('ONETALK_UNAVAILABLE');
    // Far below the 5 s deadline: close() cut the call, it did not time out.
    expect(performance.now() - started).to.be.below(2500);
  });
});
