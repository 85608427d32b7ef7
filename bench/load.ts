/**
 * Load check (a script, not a timed unit test): N concurrent ticket requests through the whole
 * gateway against the OneTalk emulator answering after 1 s, everything on 127.0.0.1.
 *
 *   npm run load                      # 1,000 sessions, one ticket request each, all at once
 *   npm run load -- --sessions=100 --requests=1000
 *   npm run load -- --cap             # also show the concurrency cap refusing the overflow
 *
 * Checks: every request answered exactly once, zero errors, every ticket distinct and valid,
 * OneTalk called exactly once per request, and the heap back near its baseline after a GC.
 * Needs `--expose-gc` (the npm script passes it). Exits 1 when a check fails.
 *
 * Figures are for the whole process: the gateway, the development IdP, the emulator and the
 * load client share it, as they share the machine in `npm run demo`.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CookieClient } from '../test/helpers/cookie-client.js';
import { startSystem, type System } from '../test/helpers/gateway.js';

const args = new Map<string, string | undefined>(process.argv.slice(2).map((a) => [a.replace(/^--/, '').split('=')[0]!, a.split('=')[1]]));
const SESSIONS = Number(args.get('sessions') ?? 1000);
const REQUESTS = Number(args.get('requests') ?? SESSIONS);
const LATENCY_MS = Number(args.get('latency') ?? 1000);
/** The burst is bounded in time as well as in count. */
const BURST_LIMIT_MS = 60_000;
/** Sign-ins in parallel: the IdP is in-process too, so a moderate batch is fastest. */
const SIGN_IN_BATCH = 25;
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

async function signInAll(system: System, count: number): Promise<CookieClient[]> {
  const browsers: CookieClient[] = [];
  const users = ['alice', 'bob'];
  for (let i = 0; i < count; i += SIGN_IN_BATCH) {
    const batch = Array.from({ length: Math.min(SIGN_IN_BATCH, count - i) }, (_, j) => system.signIn(users[(i + j) % users.length]!));
    browsers.push(...(await Promise.all(batch)));
  }
  return browsers;
}

interface Burst {
  statuses: Map<number, number>;
  codes: Map<string, number>;
  tickets: string[];
  answered: number;
  latencies: number[];
  wallMs: number;
  peakHeap: number;
  peakRss: number;
}

/** Fires every request at once and waits for all, sampling memory meanwhile. */
async function burst(system: System, browsers: CookieClient[], requests: number): Promise<Burst> {
  const result: Burst = { statuses: new Map(), codes: new Map(), tickets: [], answered: 0, latencies: [], wallMs: 0, peakHeap: 0, peakRss: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    result.peakHeap = Math.max(result.peakHeap, m.heapUsed);
    result.peakRss = Math.max(result.peakRss, m.rss);
  }, 25);
  const answers = new Array<number>(requests).fill(0);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const t0 = performance.now();
      const browser = browsers[i % browsers.length]!;
      let status = 0;
      try {
        const res = await browser.request(`${system.url}/api/livechat/ticket`, {
          method: 'POST',
          headers: { 'x-csrf': '1' },
          signal: AbortSignal.timeout(BURST_LIMIT_MS),
        });
        status = res.status;
        const body = (await res.json()) as { ticket?: string; code?: string };
        if (body.ticket) result.tickets.push(body.ticket);
        if (body.code) result.codes.set(body.code, (result.codes.get(body.code) ?? 0) + 1);
      } catch (err) {
        status = -1; // a transport error on the client side
        const why = `client: ${String((err as Error).cause ?? err)}`.slice(0, 80);
        result.codes.set(why, (result.codes.get(why) ?? 0) + 1);
      }
      answers[i]! += 1;
      result.latencies.push(performance.now() - t0);
      result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
    }),
  );
  result.wallMs = performance.now() - started;
  clearInterval(sampler);
  result.answered = answers.filter((n) => n === 1).length;
  return result;
}

/** Mean in ms of a histogram's samples whose labels include `labels`, from the gateway's own registry. */
async function meanSeconds(system: System, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await system.gateway.metrics.registry.getSingleMetric(name)?.get();
  let sum = 0;
  let count = 0;
  for (const v of metric?.values ?? []) {
    if (!Object.entries(labels).every(([k, want]) => v.labels[k] === want)) continue;
    // Histogram values carry the series name (_bucket, _sum, _count); the typings omit it.
    const series = (v as { metricName?: string }).metricName;
    if (series === `${name}_sum`) sum += v.value;
    if (series === `${name}_count`) count += v.value;
  }
  return count ? Math.round((sum / count) * 1000) : 0;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function run(label: string, env: Record<string, string>, expectAllOk: boolean): Promise<boolean> {
  const system = await startSystem({
    env: {
      LOG_LEVEL: 'warn',
      ONETALK_TIMEOUT_MS: String(LATENCY_MS + 9000),
      // Other engineers' per-session and per-IP limits would refuse a load test from one address.
      RATE_LIMIT_TICKETS_PER_MINUTE: '100000',
      RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '100000',
      ...env,
    },
  });
  let ok = true;
  const check = (what: string, pass: boolean, detail = '') => {
    ok &&= pass;
    console.log(`  ${pass ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  };
  try {
    console.log(`\n${label}`);
    const t0 = performance.now();
    const browsers = await signInAll(system, SESSIONS);
    console.log(`  signed in ${browsers.length} sessions in ${Math.round(performance.now() - t0)} ms`);
    system.emulator.reset();
    system.emulator.settings.latencyMs = LATENCY_MS;
    // The emulator's latency waits all listen on its one shutdown signal; a thousand is expected here.
    setMaxListeners(0, system.emulator.shutdown);
    await settle();
    const before = process.memoryUsage();

    const b = await burst(system, browsers, REQUESTS);
    const lat = [...b.latencies].sort((x, y) => x - y);
    console.log(`  ${REQUESTS} requests in ${Math.round(b.wallMs)} ms; latency p50 ${Math.round(pct(lat, 50))} ms, p95 ${Math.round(pct(lat, 95))} ms, p99 ${Math.round(pct(lat, 99))} ms, max ${Math.round(lat.at(-1) ?? 0)} ms`);
    console.log(`  statuses ${JSON.stringify(Object.fromEntries(b.statuses))}${b.codes.size ? `, problem codes ${JSON.stringify(Object.fromEntries(b.codes))}` : ''}`);
    const ok200 = b.statuses.get(200) ?? 0;
    check('every request answered exactly once', b.answered === REQUESTS, `${b.answered}/${REQUESTS}`);
    check('OneTalk called once per accepted request', system.emulator.requests.length === ok200, `${system.emulator.requests.length} calls, ${ok200} tickets`);
    check('every ticket distinct', new Set(b.tickets).size === b.tickets.length);
    const valid = await Promise.all(b.tickets.map((t) => system.emulator.verifyTicket(t)));
    check('every ticket verifies', valid.every((v) => v.valid));
    if (expectAllOk) check('zero errors', ok200 === REQUESTS, `${REQUESTS - ok200} errors`);
    else check('overflow refused at once with 503 upstream_overloaded', (b.codes.get('upstream_overloaded') ?? 0) === REQUESTS - ok200);
    const upstream = await system.gateway.metrics.registry.getSingleMetricAsString('onetalk_upstream_requests_total');
    console.log(`  metrics: ${upstream.split('\n').filter((l) => l && !l.startsWith('#')).join('; ')}`);
    const gatewayMean = await meanSeconds(system, 'http_request_duration_seconds', { route: '/api/livechat/ticket' });
    const upstreamMean = await meanSeconds(system, 'onetalk_upstream_request_duration_seconds', { outcome: 'ok' });
    // The gap to the client's latency is time spent waiting for the one shared event loop.
    console.log(`  gateway's own figures: ticket route mean ${gatewayMean} ms, successful OneTalk call mean ${upstreamMean} ms`);

    // Let keep-alive sockets idle out, then collect: what remains is what the burst leaked.
    browsers.length = 0;
    b.tickets.length = 0;
    b.latencies.length = 0;
    await sleep(500);
    await settle();
    const after = process.memoryUsage();
    console.log(`  heap used: before ${mb(before.heapUsed)}, peak ${mb(b.peakHeap)}, after GC ${mb(after.heapUsed)}`);
    console.log(`  rss:       before ${mb(before.rss)}, peak ${mb(b.peakRss)}, after GC ${mb(after.rss)}`);
    check('heap back near baseline', after.heapUsed - before.heapUsed < HEAP_SLACK_BYTES, `${mb(after.heapUsed - before.heapUsed)} above (slack ${mb(HEAP_SLACK_BYTES)})`);
  } finally {
    await system.close();
  }
  return ok;
}

const results = [
  await run(
    `${REQUESTS} concurrent ticket requests from ${SESSIONS} sessions, OneTalk latency ${LATENCY_MS} ms, cap raised`,
    { ONETALK_MAX_CONCURRENT: String(REQUESTS), ONETALK_MAX_QUEUE: String(REQUESTS) },
    true,
  ),
];
if (args.has('cap')) {
  results.push(
    await run(
      `the same burst with ONETALK_MAX_CONCURRENT=100 and ONETALK_MAX_QUEUE=200 (the overflow must be refused at once)`,
      { ONETALK_MAX_CONCURRENT: '100', ONETALK_MAX_QUEUE: '200' },
      false,
    ),
  );
}
process.exit(results.every(Boolean) ? 0 : 1);
