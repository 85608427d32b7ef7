/**
 * Load check (a script, not a timed unit test): bursts of concurrent ticket requests through the
 * whole gateway against the OneTalk emulator, everything on 127.0.0.1.
 *
 *   npm run load                          # all three scenarios below
 *   npm run load -- --only=shedding       # one of: capacity, shedding, recovery (comma-separated)
 *   npm run load -- --only=capacity --sessions=100 --requests=1000 --latency=1000
 *
 * - capacity: 1,000 concurrent requests against a 1 s upstream with the cap raised to fit them
 *   all. Every request answered once, zero errors, every ticket distinct and valid, OneTalk called
 *   once per request, and the heap back near its baseline after a GC.
 * - shedding: 1,000 concurrent requests against a 1.5 s upstream, 2 s deadline, cap 100, queue
 *   500. Nothing that cannot finish before its deadline may wait: no 504, every 503 decided at
 *   once with Retry-After, OneTalk called only for the requests that got a ticket. Run on a
 *   fresh gateway (nothing observed yet), then on another after a few requests.
 * - recovery: the breaker opened by timeouts, then a burst of 50 right after its cool-down against
 *   a healthy upstream answering in 300 ms: at least 60% must get a ticket.
 *
 * Prints status counts and latency (p50/p99) per status. Needs `--expose-gc` (the npm script
 * passes it). Exits 1 when a check fails. Three processes: the gateway with the development IdP
 * (memory figures are this one's), the OneTalk emulator, and the load client; on one machine,
 * they still share its cores.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { breakerState, startSystem, TEST_API_KEY, type System } from '../test/helpers/gateway.js';
import { until } from '../test/helpers/wait.js';
import { burst, check, gatewayView, printBurst, printGatewayView, resetGatewayView, signInAll, withStatus, type Burst } from './load-burst.js';
import { startUpstream, type Upstream } from './load-upstream.js';

const args = new Map<string, string | undefined>(process.argv.slice(2).map((a) => [a.replace(/^--/, '').split('=')[0]!, a.split('=')[1]]));
const SCENARIOS = ['capacity', 'shedding', 'recovery'] as const;
const only = new Set((args.get('only') ?? SCENARIOS.join(',')).split(','));
/** "Near baseline": the heap after GC may exceed the one before by at most this much. */
const HEAP_SLACK_BYTES = 16 * 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with --expose-gc (npm run load does)\n');
  process.exit(2);
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function settle(): Promise<void> {
  // Two GCs with a pause between: the first frees what finalizers release for the second.
  gc!();
  return sleep(200).then(() => gc!());
}

async function withSystem(env: Record<string, string>, body: (system: System, upstream: Upstream) => Promise<boolean>): Promise<boolean> {
  const upstream = await startUpstream(TEST_API_KEY);
  const system = await startSystem({
    env: {
      LOG_LEVEL: 'warn',
      ONETALK_BASE_URL: upstream.url,
      // Per-session and per-IP limits would refuse a load test from one address.
      RATE_LIMIT_TICKETS_PER_MINUTE: '100000',
      RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '100000',
      ...env,
    },
  });
  try {
    return await body(system, upstream);
  } finally {
    await system.close();
    await upstream.close();
  }
}

/** Checks every burst must pass: answered, tickets distinct and valid, OneTalk called once per ticket. */
async function truthChecks(upstream: Upstream, b: Burst, requests: number): Promise<boolean> {
  const tickets = withStatus(b, 200).map((a) => a.ticket!);
  const calls = await upstream.calls();
  const valid = await upstream.redeemAll(tickets);
  return [
    check('every request answered', b.answers.length === requests, `${b.answers.length}/${requests}`),
    check('OneTalk called once per ticket given', calls === tickets.length, `${calls} calls, ${tickets.length} tickets`),
    check('every ticket distinct', new Set(tickets).size === tickets.length),
    check('every ticket valid', valid === tickets.length, `${valid}/${tickets.length}`),
  ].every(Boolean);
}

async function capacity(): Promise<boolean> {
  const sessions = Number(args.get('sessions') ?? 1000);
  const requests = Number(args.get('requests') ?? sessions);
  const latency = Number(args.get('latency') ?? 1000);
  console.log(`\ncapacity: ${requests} concurrent ticket requests from ${sessions} sessions, OneTalk latency ${latency} ms, cap raised to fit`);
  return withSystem(
    { ONETALK_TIMEOUT_MS: String(latency + 9000), ONETALK_MAX_CONCURRENT: String(requests), ONETALK_MAX_QUEUE: String(requests) },
    async (system, upstream) => {
      let browsers = await signInAll(system, sessions);
      await upstream.reset(latency);
      await settle();
      const before = process.memoryUsage();
      const b = await burst(system, browsers, requests);
      printBurst(b);
      let ok = await truthChecks(upstream, b, requests);
      ok = check('zero errors', withStatus(b, 200).length === requests) && ok;
      // Let keep-alive sockets idle out, then collect: what remains is what the burst leaked.
      browsers = [];
      b.answers.length = 0;
      await sleep(500);
      await settle();
      const after = process.memoryUsage();
      console.log(`  heap used: before ${mb(before.heapUsed)}, peak ${mb(b.peakHeap)}, after GC ${mb(after.heapUsed)}`);
      console.log(`  rss:       before ${mb(before.rss)}, peak ${mb(b.peakRss)}, after GC ${mb(after.rss)}`);
      return check('heap back near baseline', after.heapUsed - before.heapUsed < HEAP_SLACK_BYTES, `${mb(after.heapUsed - before.heapUsed)} above (slack ${mb(HEAP_SLACK_BYTES)})`) && ok;
    },
  );
}

/** Checks of a shedding burst: nobody waits for a failure they were always going to get. */
async function honestChecks(system: System, b: Burst): Promise<boolean> {
  const refused = withStatus(b, 503);
  const view = await gatewayView(system);
  const refusals = ['overloaded', 'circuit_open'].map((k) => view.get(k) ?? { count: 0, fast: 0 });
  const late = refusals.reduce((n, o) => n + o.count - o.fast, 0);
  return [
    check('no 504: nothing was sent that could not finish before its deadline', withStatus(b, 504).length === 0, `${withStatus(b, 504).length} × 504`),
    check("every refusal decided at once (within 100 ms by the gateway's clock)", late === 0, `${late} later`),
    check('every 503 with Retry-After', refused.every((a) => Number(a.retryAfter) >= 1)),
    check('only 200 or 503', b.answers.every((a) => a.status === 200 || a.status === 503)),
  ].every(Boolean);
}

async function shedding(): Promise<boolean> {
  const requests = 1000;
  const deadline = 2000;
  const latency = 1500;
  const warmUp = 10;
  console.log(`\nshedding: ${requests} concurrent ticket requests, OneTalk latency ${latency} ms, deadline ${deadline} ms, cap 100, queue 500`);
  let ok = true;
  for (const cold of [true, false]) {
    ok =
      (await withSystem({ ONETALK_TIMEOUT_MS: String(deadline), ONETALK_MAX_CONCURRENT: '100', ONETALK_MAX_QUEUE: '500' }, async (system, upstream) => {
        const browsers = await signInAll(system, requests);
        await upstream.reset(latency);
        if (cold) console.log(' cold: a fresh gateway, no upstream latency observed yet');
        else {
          const first = await burst(system, browsers, warmUp);
          console.log(` warm: a fresh gateway after ${warmUp} requests (${first.answers.map((a) => a.status).join(', ')})`);
          await printGatewayView(system);
          resetGatewayView(system);
          await upstream.reset(latency);
        }
        await settle(); // the sign-ins' garbage, collected now rather than during the burst
        const b = await burst(system, browsers, requests);
        printBurst(b);
        await printGatewayView(system);
        const truthful = await truthChecks(upstream, b, requests);
        return (await honestChecks(system, b)) && truthful;
      })) && ok;
  }
  return ok;
}

async function recovery(): Promise<boolean> {
  const requests = 50;
  const deadline = 2000;
  const latency = 300;
  const cooldown = 10_000;
  console.log(`\nrecovery: the breaker opened by timeouts; ${requests} requests right after its ${cooldown} ms cool-down, OneTalk healthy at ${latency} ms`);
  return withSystem({ ONETALK_TIMEOUT_MS: String(deadline), ONETALK_BREAKER_THRESHOLD: '5', ONETALK_BREAKER_COOLDOWN_MS: String(cooldown) }, async (system, upstream) => {
    const browsers = await signInAll(system, requests);
    await upstream.reset(deadline + 1000);
    const opening = await burst(system, browsers.slice(0, 5), 5);
    console.log(`  opening the breaker: ${opening.answers.map((a) => a.status).join(', ')}`);
    await until(async () => (await breakerState(system)) === 'open', 'the breaker to open');
    await until(async () => (await breakerState(system)) === 'half_open', 'the cool-down to end', cooldown + 5000);
    await upstream.reset(latency);
    await printGatewayView(system);
    resetGatewayView(system);
    await settle();
    const b = await burst(system, browsers, requests);
    printBurst(b);
    await printGatewayView(system);
    let ok = await truthChecks(upstream, b, requests);
    const share = withStatus(b, 200).length / requests;
    ok = check('at least 60% get a ticket', share >= 0.6, `${Math.round(share * 100)}%`) && ok;
    console.log(`  breaker after the burst: ${await breakerState(system)}`);
    return ok;
  });
}

const runs = { capacity, shedding, recovery };
const results: boolean[] = [];
for (const name of SCENARIOS) if (only.has(name)) results.push(await runs[name]());
process.exit(results.every(Boolean) ? 0 : 1);
