/**
 * What the load script's scenarios share: signing many browsers in, firing a burst of ticket
 * requests at once, and reporting it (status counts, latency per status, problem codes).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CookieClient } from '../test/helpers/cookie-client.js';
import type { System } from '../test/helpers/gateway.js';
import { latencyOf } from './stats.js';

/** Sign-ins in parallel: the IdP is in-process too, so a moderate batch is fastest. */
const SIGN_IN_BATCH = 25;

export async function signInAll(system: System, count: number): Promise<CookieClient[]> {
  const browsers: CookieClient[] = [];
  const users = ['alice', 'bob'];
  for (let i = 0; i < count; i += SIGN_IN_BATCH) {
    const batch = Array.from({ length: Math.min(SIGN_IN_BATCH, count - i) }, (_, j) => system.signIn(users[(i + j) % users.length]!));
    browsers.push(...(await Promise.all(batch)));
  }
  return browsers;
}

/** One answer of a burst. `status` -1 is a transport error on the client side. */
export interface Answer {
  status: number;
  ms: number;
  code: string | undefined;
  retryAfter: string | null;
  ticket: string | undefined;
}

/** What the client process is told to do: `requests` POSTs to `url`, round-robin over `cookies`. */
export interface BurstOrder {
  url: string;
  cookies: string[];
  requests: number;
}

/** What the client process reports. */
export interface BurstReport {
  answers: Answer[];
  /** From the order's arrival to the last answer. */
  wallMs: number;
}

export interface Burst extends BurstReport {
  peakHeap: number;
  peakRss: number;
  /** CPU time this process (the gateway's) used during the burst, in ms. */
  gatewayCpuMs: number;
}

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/**
 * Fires `requests` ticket requests at once (round-robin over `browsers`) from a child process
 * and waits for all, sampling this process's memory meanwhile.
 */
export async function burst(system: System, browsers: CookieClient[], requests: number): Promise<Burst> {
  const url = `${system.url}/api/livechat/ticket`;
  const cookies = await Promise.all(browsers.map((b) => b.jar.getCookieString(url)));
  const result: Burst = { answers: [], wallMs: 0, peakHeap: 0, peakRss: 0, gatewayCpuMs: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    result.peakHeap = Math.max(result.peakHeap, m.heapUsed);
    result.peakRss = Math.max(result.peakRss, m.rss);
  }, 25);
  const child = fork(CLIENT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`load client exited (${code}) before answering`))));
  exited.catch(() => undefined); // once answered, the child's exit is expected
  const next = <T>() => Promise.race([new Promise<T>((resolve) => child.once('message', resolve)), exited]);
  try {
    await next<'ready'>();
    const cpu = process.cpuUsage();
    child.send({ url, cookies, requests } satisfies BurstOrder);
    Object.assign(result, await next<BurstReport>());
    const used = process.cpuUsage(cpu);
    result.gatewayCpuMs = (used.user + used.system) / 1000;
  } finally {
    clearInterval(sampler);
    child.kill();
  }
  return result;
}

const tally = <K>(keys: K[]): Map<K, number> => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<K, number>());

/** Answers with `status`. */
export const withStatus = (b: Burst, status: number): Answer[] => b.answers.filter((a) => a.status === status);

/** Prints status counts, then per status: latency p50/p99/max, problem codes and Retry-After values. */
export function printBurst(b: Burst): void {
  const statuses = [...tally(b.answers.map((a) => a.status))].sort(([x], [y]) => x - y);
  console.log(`  ${b.answers.length} requests in ${Math.round(b.wallMs)} ms; statuses ${statuses.map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  // The share of a core the gateway got: well below 1 means the machine, not the gateway, set the pace.
  console.log(`  gateway process: ${Math.round(b.gatewayCpuMs)} ms of CPU in those ${Math.round(b.wallMs)} ms (${Math.round((b.gatewayCpuMs * 1000) / b.answers.length)} µs per request)`);
  for (const [status, n] of statuses) {
    const answers = withStatus(b, status);
    const ms = answers.map((a) => a.ms);
    const { p50, p99 } = latencyOf(ms);
    const codes = [...tally(answers.map((a) => a.code).filter((c) => c !== undefined))].map(([c, k]) => `${c} ×${k}`).join(', ');
    const retryAfter = [...tally(answers.map((a) => a.retryAfter).filter((r) => r !== null))].map(([r, k]) => `${r} s ×${k}`).join(', ');
    console.log(
      `    ${status} ×${n}: p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms, max ${Math.round(Math.max(...ms))} ms` +
        `${codes ? `; ${codes}` : ''}${retryAfter ? `; Retry-After ${retryAfter}` : ''}`,
    );
  }
}

/** One outcome of the gateway's OneTalk calls: how many, their total duration, how many within 100 ms. */
export interface OutcomeFigures {
  count: number;
  sumMs: number;
  fast: number;
}

/**
 * The gateway's own view of its OneTalk calls, per outcome, from its metrics (queueing
 * included). Unlike the client's latencies, it leaves out the time a request waited for the
 * gateway's event loop before reaching the OneTalk client.
 */
export async function gatewayView(system: System): Promise<Map<string, OutcomeFigures>> {
  const metric = await system.gateway.metrics.registry.getSingleMetric('onetalk_upstream_request_duration_seconds')?.get();
  const outcomes = new Map<string, OutcomeFigures>();
  for (const v of metric?.values ?? []) {
    const outcome = String(v.labels.outcome);
    const o = outcomes.get(outcome) ?? { count: 0, sumMs: 0, fast: 0 };
    // Histogram values carry the series name (_bucket, _sum, _count); the typings omit it.
    const series = (v as { metricName?: string }).metricName;
    if (series?.endsWith('_count')) o.count += v.value;
    if (series?.endsWith('_sum')) o.sumMs += v.value * 1000;
    if (series?.endsWith('_bucket') && v.labels.le === 0.1) o.fast += v.value;
    outcomes.set(outcome, o);
  }
  return outcomes;
}

/** Prints {@link gatewayView}. */
export async function printGatewayView(system: System): Promise<void> {
  const parts = [...(await gatewayView(system))].map(([k, o]) => `${k} ×${o.count} (mean ${Math.round(o.sumMs / o.count)} ms, ${o.fast} within 100 ms)`);
  console.log(`  gateway's own OneTalk calls: ${parts.join(', ')}`);
}

/** Forgets the calls so far, so that the next burst's figures are its own. */
export function resetGatewayView(system: System): void {
  system.gateway.metrics.registry.getSingleMetric('onetalk_upstream_request_duration_seconds')?.reset();
}

/** A pass/fail line; returns `pass`. */
export function check(what: string, pass: boolean, detail = ''): boolean {
  console.log(`  ${pass ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  return pass;
}
