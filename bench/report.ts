/**
 * Turns raw figures into the markdown the README carries: the load table with ratios, the
 * memory table, and each target of issue 7 as met or missed.
 */
import type { BenchResults, TargetResult } from './bench.js';

/** One target of issue 7 and how this run did against it. */
export interface Verdict {
  target: string;
  figure: string;
  /** Undefined when a figure it needs was not measured (e.g. Redis not running). */
  met: boolean | undefined;
}

/** What each target's ratio column compares it with. */
const RATIO_BASE: Readonly<Record<string, string>> = {
  'session-memory': 'ceiling',
  'session-redis': 'ceiling',
  peer: 'ceiling',
  'ticket-gateway': 'ticket-direct',
  'ticket-direct': 'ticket-upstream',
};
const BASE_NAME: Readonly<Record<string, string>> = { ceiling: '(1)', 'ticket-direct': 'direct', 'ticket-upstream': 'upstream' };

const MAX_SESSION_BYTES = 2048;

const ms = (n: number): string => n.toFixed(2);
const signedMs = (n: number): string => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)} ms`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function byId(results: BenchResults): (id: string) => TargetResult | undefined {
  return (id) => results.targets.find((t) => t.id === id);
}

/**
 * Capacity of `a` relative to `b` judged by CPU time per request: what the req/s ratio would be
 * if both were CPU-bound on an otherwise idle core. Robust against neighbours stealing time.
 */
function cpuRatio(a: TargetResult, b: TargetResult): number {
  return a.figures.cpuUsPerRequest > 0 ? b.figures.cpuUsPerRequest / a.figures.cpuUsPerRequest : 0;
}

function ratioOf(results: BenchResults, target: TargetResult): string {
  const baseId = RATIO_BASE[target.id];
  const base = baseId ? byId(results)(baseId) : undefined;
  if (!baseId || !base || base.figures.rps === 0) return '';
  return `${(target.figures.rps / base.figures.rps).toFixed(2)} (${cpuRatio(target, base).toFixed(2)}) × ${BASE_NAME[baseId] ?? baseId}`;
}

function verdict(target: string, figure: string, met: boolean | undefined): Verdict {
  return { target, figure, met };
}

/** Issue 7's targets, judged on this run. */
export function verdicts(results: BenchResults): Verdict[] {
  const get = byId(results);
  const [ceiling, memory, redis, peer] = ['ceiling', 'session-memory', 'session-redis', 'peer'].map(get);
  const [gateway, direct] = ['ticket-gateway', 'ticket-direct'].map(get);
  const out: Verdict[] = [];

  if (ceiling && memory) {
    const share = memory.figures.rps / ceiling.figures.rps;
    const byCpu = `${(cpuRatio(memory, ceiling) * 100).toFixed(0)}% by CPU per request`;
    out.push(verdict('(2) memory store ≥ 60% of (1) req/s', `${(share * 100).toFixed(0)}% (${byCpu})`, share >= 0.6));
  }
  if (memory && peer) {
    const ratio = memory.figures.rps / peer.figures.rps;
    out.push(verdict('(2) memory store ≥ (3) req/s', `${ratio.toFixed(2)} × (3) (${cpuRatio(memory, peer).toFixed(2)} by CPU)`, ratio >= 1));
  }
  if (redis && peer) {
    const ratio = redis.figures.rps / peer.figures.rps;
    out.push(verdict('(2) Redis store ≥ (3) req/s', `${ratio.toFixed(2)} × (3) (${cpuRatio(redis, peer).toFixed(2)} by CPU)`, ratio >= 1));
  } else if (peer) {
    out.push(verdict('(2) Redis store ≥ (3) req/s', 'not measured (no Redis)', undefined));
  }
  if (gateway && direct) {
    const idle50 = gateway.figures.idle.p50 - direct.figures.idle.p50;
    const idle99 = gateway.figures.idle.p99 - direct.figures.idle.p99;
    const loaded50 = gateway.figures.loaded.p50 - direct.figures.loaded.p50;
    const loaded99 = gateway.figures.loaded.p99 - direct.figures.loaded.p99;
    const throughput = gateway.figures.rps / direct.figures.rps;
    const addedCpu = gateway.figures.cpuUsPerRequest - direct.figures.cpuUsPerRequest;
    out.push(
      verdict(
        '(4) gateway adds ≤ 1 ms at p50',
        `${signedMs(idle50)} p50, ${signedMs(idle99)} p99 (1 connection); ` +
          `${signedMs(loaded50)} p50, ${signedMs(loaded99)} p99 (${results.options.connections} connections); ` +
          `throughput ${throughput.toFixed(2)} × direct; +${int(addedCpu)} µs CPU per ticket`,
        idle50 <= 1,
      ),
    );
  }
  for (const m of results.memory) {
    out.push(verdict(`(5) ≤ 2 KB per session at ${int(m.sessions)} sessions`, `${int(m.bytesPerSession)} B`, m.bytesPerSession <= MAX_SESSION_BYTES));
  }
  return out;
}

function machineLine(results: BenchResults): string {
  const m = results.machine;
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ${m.date}` +
    `${m.commit ? `; commit ${m.commit}` : ''}; 1-min load average at start ${m.loadAverage}`
  );
}

/** The full markdown report. */
export function renderReport(results: BenchResults): string {
  const o = results.options;
  const lines: string[] = [];
  lines.push(`Machine: ${machineLine(results)}.`, '');
  lines.push(
    `Load: autocannon, ${o.connections} connections, ${o.rounds} × ${o.durationMs / o.rounds / 1000} s per target ` +
      `after a ${o.warmupMs / 1000} s warm-up; "idle" latency: 1 connection, ${o.rounds} × ${o.idleMs / o.rounds / 1000} s. ` +
      "Servers in a child process, autocannon in the parent. CPU µs/req: the server process's CPU time per " +
      'response under load (scenario 4 includes the emulator, which runs in the same process).',
    '',
  );
  lines.push('| # | target | req/s | p50 ms | p99 ms | idle p50 ms | idle p99 ms | CPU µs/req | errors | ratio: req/s (CPU) |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const t of results.targets) {
    const f = t.figures;
    lines.push(
      `| ${t.scenario} | ${t.label} | ${int(f.rps)} | ${ms(f.loaded.p50)} | ${ms(f.loaded.p99)} | ${ms(f.idle.p50)} | ${ms(f.idle.p99)} | ` +
        `${int(f.cpuUsPerRequest)} | ${f.errors} | ${ratioOf(results, t)} |`,
    );
  }
  lines.push('', '| 5 | sessions | heap | bytes per session | stored JSON chars |', '|---|---:|---:|---:|---:|');
  for (const m of results.memory) {
    lines.push(`| 5 | ${int(m.sessions)} | ${(m.heapBytes / 2 ** 20).toFixed(1)} MiB | ${int(m.bytesPerSession)} | ${int(m.jsonChars)} |`);
  }
  lines.push('', '| target | this run | |', '|---|---|---|');
  for (const v of verdicts(results)) lines.push(`| ${v.target} | ${v.figure} | ${v.met === undefined ? '—' : v.met ? 'met' : '**missed**'} |`);
  for (const note of results.notes) lines.push('', `Note: ${note}`);
  return lines.join('\n');
}
