/**
 * The measurement plan of `npm run bench`. Servers run in a host process (see `host.ts`),
 * autocannon here, so the load generator never steals the servers' event loop; on a 2-core
 * machine that is one core each.
 *
 * The machine is shared and noisy, so every target is measured in the same run, in rounds that
 * alternate the order (A B C, then C B A), and the report leans on ratios between targets
 * rather than on absolute figures. Each target is warmed up before its first round. Besides
 * req/s and latency, the host's CPU time per request is recorded: neighbours on a shared machine
 * steal wall time from the servers, much less their CPU time per request.
 */
import { measureMemoryInHost, startLoadHost, type LoadHost } from './host-client.js';
import { machineFacts, type MachineFacts } from './machine.js';
import { loadOnce, type Phase, type RunTally } from './measure.js';
import { latencyOf } from './stats.js';
import type { Latency, LoadFigures, MemoryFigures, RoundFigures, Target } from './types.js';

export interface BenchOptions {
  /** Concurrent connections of the throughput phase (the targets are judged at this load). */
  connections: number;
  /** Further connection counts measured for comparison (req/s and CPU only, not judged). */
  alsoConnections: number[];
  warmupMs: number;
  /** Measured time per target in the throughput phase, split over `rounds`. */
  durationMs: number;
  /** Alternating rounds (A B C, then C B A, ...); ratios are medians of the rounds' ratios. */
  rounds: number;
  /** Measured time per target with one connection (latency without queueing), split over `rounds`. */
  idleMs: number;
  /** Session counts of scenario 5. */
  memoryCounts: number[];
  /** Load scenarios to run (ids in `scenarios/index.ts`). */
  scenarios: string[];
  /** Smoke runs only: each run sends this many requests instead of loading for a duration. */
  requestsPerRun?: number;
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  connections: 20,
  alsoConnections: [50],
  warmupMs: 3_000,
  durationMs: 12_000,
  rounds: 4,
  idleMs: 4_000,
  memoryCounts: [10_000, 100_000],
  scenarios: ['ceiling', 'floor', 'session', 'peer', 'ticket'],
});

export interface TargetResult extends Target {
  figures: LoadFigures;
}

export interface BenchResults {
  machine: MachineFacts;
  options: BenchOptions;
  targets: TargetResult[];
  memory: MemoryFigures[];
  notes: string[];
}

interface Accumulated {
  ok: number;
  errors: number;
  elapsedMs: number;
  cpuMicros: number;
  latencies: number[];
  /** One entry per round, in order: req/s and CPU µs per response of that round alone. */
  rounds: RoundFigures[];
}

const empty = (): Accumulated => ({ ok: 0, errors: 0, elapsedMs: 0, cpuMicros: 0, latencies: [], rounds: [] });

function add(into: Accumulated, run: RunTally, cpuMicros: number): void {
  into.ok += run.ok;
  into.errors += run.errors;
  into.elapsedMs += run.elapsedMs;
  into.cpuMicros += cpuMicros;
  for (const ms of run.latencies) into.latencies.push(ms);
  const answered = run.ok + run.errors;
  into.rounds.push({
    rps: run.elapsedMs > 0 ? Math.round(run.ok / (run.elapsedMs / 1000)) : 0,
    cpuUsPerRequest: answered > 0 ? Math.round(cpuMicros / answered) : 0,
  });
}

/** Loads every target `rounds` times, reversing the order every other round. */
async function measureAll(
  host: LoadHost,
  phase: Phase,
  rounds: number,
  log: (line: string) => void,
  what: string,
  amount?: number,
): Promise<Map<string, Accumulated>> {
  const { targets } = host;
  const tallies = new Map(targets.map((t) => [t.id, empty()]));
  const slice = { ...phase, durationMs: phase.durationMs / rounds, ...(amount === undefined ? {} : { amount }) };
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      // Only one target is loaded at a time, so the host's CPU time in between is this target's.
      const cpuBefore = await host.cpuMicros();
      const run = await loadOnce(target, slice);
      add(tallies.get(target.id) ?? empty(), run, (await host.cpuMicros()) - cpuBefore);
      const rps = Math.round(run.ok / (run.elapsedMs / 1000));
      log(`  ${what} ${round + 1}/${rounds} ${target.id}: ${rps} req/s${run.errors ? `, ${run.errors} errors` : ''}`);
    }
  }
  return tallies;
}

function latency(acc: Accumulated | undefined): Latency {
  return latencyOf(acc?.latencies ?? []);
}

/** The median of a list (the mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs every scenario and returns raw figures; `report.ts` turns them into verdicts. */
export async function runBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchResults> {
  const machine = machineFacts();
  log(`starting the servers under test (${options.scenarios.join(', ')})`);
  const host = await startLoadHost(options.scenarios);
  let targets: TargetResult[];
  try {
    const { connections } = options;
    const amount = options.requestsPerRun;
    const warm = await measureAll(host, { connections, durationMs: options.warmupMs }, 1, log, 'warm-up', amount);
    const loaded = await measureAll(host, { connections, durationMs: options.durationMs }, options.rounds, log, `load ×${connections}`, amount);
    const also = new Map<number, Map<string, Accumulated>>();
    for (const n of options.alsoConnections) {
      const rounds = Math.max(2, options.rounds / 2);
      also.set(n, await measureAll(host, { connections: n, durationMs: options.durationMs / 2 }, rounds, log, `load ×${n}`, amount));
    }
    const idle = await measureAll(host, { connections: 1, durationMs: options.idleMs }, options.rounds, log, 'idle', amount);
    targets = host.targets.map((target) => {
      const l = loaded.get(target.id) ?? empty();
      const phases = [warm, loaded, idle, ...also.values()];
      const errors = phases.reduce((sum, phase) => sum + (phase.get(target.id)?.errors ?? 0), 0);
      return {
        ...target,
        figures: {
          rps: Math.round(median(l.rounds.map((r) => r.rps))),
          loaded: latency(l),
          idle: latency(idle.get(target.id)),
          cpuUsPerRequest: Math.round(median(l.rounds.map((r) => r.cpuUsPerRequest))),
          rounds: l.rounds,
          alsoAt: [...also].map(([n, phase]) => {
            const acc = phase.get(target.id) ?? empty();
            return {
              connections: n,
              rps: Math.round(median(acc.rounds.map((r) => r.rps))),
              cpuUsPerRequest: Math.round(median(acc.rounds.map((r) => r.cpuUsPerRequest))),
              rounds: acc.rounds,
            };
          }),
          errors,
          requests: l.ok,
        },
      };
    });
  } finally {
    await host.stop();
  }
  log(`measuring heap per session at ${options.memoryCounts.join(', ')} sessions`);
  const memory = await measureMemoryInHost(options.memoryCounts);
  return { machine, options, targets, memory, notes: host.notes };
}
