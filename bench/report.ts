/**
 * Turns raw figures into the markdown the README carries: the load table with ratios, the
 * memory table, and each target as met or missed. Ratios between two targets are the median of
 * their per-round ratios: both were loaded in the same round, one after the other, so a
 * neighbour's burst on this shared machine hits both sides of a ratio alike.
 */
import { median, type BenchResults, type TargetResult } from './bench.js';

/** One performance target (README's Benchmarks) and how this run did against it. */
export interface Verdict {
  target: string;
  figure: string;
  /** Undefined when a figure it needs was not measured (e.g. Redis not running). */
  met: boolean | undefined;
}

/** What each target's ratio column compares it with. */
const RATIO_BASE: Readonly<Record<string, string>> = {
  floor: 'ceiling',
  'session-memory': 'floor',
  'session-redis': 'floor',
  peer: 'ceiling',
  'peer-userinfo': 'ceiling',
  'ticket-gateway': 'ticket-proxy',
  'ticket-proxy': 'ticket-upstream',
};
const BASE_NAME: Readonly<Record<string, string>> = { ceiling: 'bare', floor: 'floor', 'ticket-proxy': 'proxy', 'ticket-upstream': 'upstream' };

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

/** The median of the per-round req/s ratios of `a` to `b` (rounds are paired by index). */
export function pairedRatio(a: TargetResult, b: TargetResult): number {
  const ratios = a.figures.rounds
    .map((round, i) => {
      const base = b.figures.rounds[i]?.rps ?? 0;
      return base > 0 ? round.rps / base : undefined;
    })
    .filter((r): r is number => r !== undefined);
  if (ratios.length === 0) return b.figures.rps > 0 ? a.figures.rps / b.figures.rps : 0;
  return median(ratios);
}

function ratioOf(results: BenchResults, target: TargetResult): string {
  const baseId = RATIO_BASE[target.id];
  const base = baseId ? byId(results)(baseId) : undefined;
  if (!baseId || !base || base.figures.rps === 0) return '';
  return `${pairedRatio(target, base).toFixed(2)} (${cpuRatio(target, base).toFixed(2)}) × ${BASE_NAME[baseId] ?? baseId}`;
}

function verdict(target: string, figure: string, met: boolean | undefined): Verdict {
  return { target, figure, met };
}

/** `a` against `b`: the paired req/s ratio, with the CPU ratio beside it. */
function versus(a: TargetResult, b: TargetResult): string {
  return `${pairedRatio(a, b).toFixed(2)} × (${cpuRatio(a, b).toFixed(2)} by CPU per request)`;
}

/** The performance targets, judged on this run at the judged connection count. */
export function verdicts(results: BenchResults): Verdict[] {
  const get = byId(results);
  const [floor, memory, redis, peer, peerUserinfo] = ['floor', 'session-memory', 'session-redis', 'peer', 'peer-userinfo'].map(get);
  const [gateway, proxy] = ['ticket-gateway', 'ticket-proxy'].map(get);
  const out: Verdict[] = [];

  if (floor && memory) out.push(verdict('session read (memory store) ≥ 0.9 × the floor', versus(memory, floor), pairedRatio(memory, floor) >= 0.9));
  if (peer && memory) out.push(verdict('session read (memory store) ≥ 1.3 × express-openid-connect (README setup)', versus(memory, peer), pairedRatio(memory, peer) >= 1.3));
  if (peerUserinfo && memory) {
    out.push(verdict('session read (memory store) ≥ 1.3 × express-openid-connect (userinfo in the cookie)', versus(memory, peerUserinfo), pairedRatio(memory, peerUserinfo) >= 1.3));
  }
  if (floor && redis) out.push(verdict('session read (Redis store) ≥ 0.9 × the floor (not a target: Redis is a network hop the floor does not make)', versus(redis, floor), undefined));
  if (gateway && proxy) {
    out.push(verdict('ticket ≥ 0.9 × the bare keep-alive proxy', versus(gateway, proxy), pairedRatio(gateway, proxy) >= 0.9));
    const idle50 = gateway.figures.idle.p50 - proxy.figures.idle.p50;
    const idle99 = gateway.figures.idle.p99 - proxy.figures.idle.p99;
    const addedCpu = gateway.figures.cpuUsPerRequest - proxy.figures.cpuUsPerRequest;
    out.push(
      verdict(
        'ticket adds ≤ 1 ms at p50 with one connection',
        `${signedMs(idle50)} p50, ${signedMs(idle99)} p99 (1 connection); ${addedCpu >= 0 ? '+' : '−'}${int(Math.abs(addedCpu))} µs CPU per ticket`,
        idle50 <= 1,
      ),
    );
  }
  for (const m of results.memory) {
    out.push(verdict(`≤ 2 KB per session at ${int(m.sessions)} sessions`, `${int(m.bytesPerSession)} B`, m.bytesPerSession <= MAX_SESSION_BYTES));
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
  const also = o.alsoConnections;
  lines.push(
    `| # | target | req/s | p50 ms | p99 ms | idle p50 ms | idle p99 ms | CPU µs/req | errors | ratio: req/s (CPU) |${also.map((n) => ` req/s ×${n} | ratio ×${n} |`).join('')}`,
  );
  lines.push(`|---|---|---:|---:|---:|---:|---:|---:|---:|---|${also.map(() => '---:|---|').join('')}`);
  for (const t of results.targets) {
    const f = t.figures;
    const extra = also.map((n) => {
      const at = f.alsoAt.find((a) => a.connections === n);
      const baseId = RATIO_BASE[t.id];
      const base = baseId ? byId(results)(baseId)?.figures.alsoAt.find((a) => a.connections === n) : undefined;
      const ratio = at && base && base.rps > 0 ? `${(at.rps / base.rps).toFixed(2)} × ${BASE_NAME[baseId ?? ''] ?? baseId}` : '';
      return ` ${at ? int(at.rps) : ''} | ${ratio} |`;
    });
    lines.push(
      `| ${t.scenario} | ${t.label} | ${int(f.rps)} | ${ms(f.loaded.p50)} | ${ms(f.loaded.p99)} | ${ms(f.idle.p50)} | ${ms(f.idle.p99)} | ` +
        `${int(f.cpuUsPerRequest)} | ${f.errors} | ${ratioOf(results, t)} |${extra.join('')}`,
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
