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
import type { Latency, LoadFigures, MemoryFigures, Target } from './types.js';

export interface BenchOptions {
  /** Concurrent connections of the throughput phase. */
  connections: number;
  warmupMs: number;
  /** Measured time per target in the throughput phase, split over `rounds`. */
  durationMs: number;
  rounds: number;
  /** Measured time per target with one connection (latency without queueing), split over `rounds`. */
  idleMs: number;
  /** Session counts of scenario 5. */
  memoryCounts: number[];
  /** Load scenarios to run (ids in `scenarios/index.ts`). */
  scenarios: string[];
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  connections: 50,
  warmupMs: 3_000,
  durationMs: 10_000,
  rounds: 2,
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
}

const empty = (): Accumulated => ({ ok: 0, errors: 0, elapsedMs: 0, cpuMicros: 0, latencies: [] });

function add(into: Accumulated, run: RunTally, cpuMicros: number): void {
  into.ok += run.ok;
  into.errors += run.errors;
  into.elapsedMs += run.elapsedMs;
  into.cpuMicros += cpuMicros;
  for (const ms of run.latencies) into.latencies.push(ms);
}

/** Loads every target `rounds` times, reversing the order every other round. */
async function measureAll(host: LoadHost, phase: Phase, rounds: number, log: (line: string) => void, what: string): Promise<Map<string, Accumulated>> {
  const { targets } = host;
  const tallies = new Map(targets.map((t) => [t.id, empty()]));
  const slice = { ...phase, durationMs: phase.durationMs / rounds };
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

/** Runs scenarios 1 to 5 and returns raw figures; `report.ts` turns them into verdicts. */
export async function runBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchResults> {
  const machine = machineFacts();
  log(`starting the servers under test (${options.scenarios.join(', ')})`);
  const host = await startLoadHost(options.scenarios);
  let targets: TargetResult[];
  try {
    const { connections } = options;
    const warm = await measureAll(host, { connections, durationMs: options.warmupMs }, 1, log, 'warm-up');
    const loaded = await measureAll(host, { connections, durationMs: options.durationMs }, options.rounds, log, 'load');
    const idle = await measureAll(host, { connections: 1, durationMs: options.idleMs }, options.rounds, log, 'idle');
    targets = host.targets.map((target) => {
      const l = loaded.get(target.id) ?? empty();
      const errors = [warm, loaded, idle].reduce((sum, phase) => sum + (phase.get(target.id)?.errors ?? 0), 0);
      return {
        ...target,
        figures: {
          rps: l.elapsedMs > 0 ? Math.round(l.ok / (l.elapsedMs / 1000)) : 0,
          loaded: latency(l),
          idle: latency(idle.get(target.id)),
          cpuUsPerRequest: l.ok + l.errors > 0 ? Math.round(l.cpuMicros / (l.ok + l.errors)) : 0,
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
