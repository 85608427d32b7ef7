/**
 * Shapes shared by the benchmark's two processes: the host (servers under test) and the runner
 * (autocannon). Everything here crosses the IPC channel, so it is plain data.
 */

/** One HTTP endpoint to load, with everything autocannon needs to hit it. */
export interface Target {
  /** Stable id, used in results.json and to pair targets in ratios. */
  id: string;
  /** Scenario it belongs to (1 to 4; the floor is 1 too). */
  scenario: number;
  label: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Any other status counts as an error: a benchmark of the wrong code path is worthless. */
  expectStatus: number;
}

/** Latency percentiles in ms, from every response's own timing (sub-ms resolution). */
export interface Latency {
  p50: number;
  p99: number;
}

/** One measured round of one target. */
export interface RoundFigures {
  rps: number;
  cpuUsPerRequest: number;
}

/** What one target did under load. */
export interface LoadFigures {
  /** Responses with the expected status per second: the median of the measured rounds. */
  rps: number;
  /** Under `connections` concurrent connections: mostly queueing once the server saturates. */
  loaded: Latency;
  /** With one connection: the cost of one request, what a single user feels. */
  idle: Latency;
  /**
   * CPU time (user + system) the host process spent per response in the throughput phase.
   * Steadier than req/s on a shared machine: other processes steal wall time, not our CPU time.
   */
  cpuUsPerRequest: number;
  /** Each round of the throughput phase, in order (rounds alternate the order of the targets). */
  rounds: RoundFigures[];
  /** The same target under other connection counts (`alsoConnections`), for comparison. */
  alsoAt: Array<{ connections: number; rps: number; cpuUsPerRequest: number; rounds: RoundFigures[] }>;
  /** Unexpected statuses, socket errors and timeouts, over all phases including warm-up. */
  errors: number;
  requests: number;
}

/** Heap cost of signed-in sessions in the MemorySessionStore at one fill level. */
export interface MemoryFigures {
  sessions: number;
  heapBytes: number;
  bytesPerSession: number;
  /** Average stored JSON length: the part of the cost that is the session itself. */
  jsonChars: number;
}

/** Messages from the host to the runner. */
export type HostMessage =
  | { type: 'ready'; targets: Target[]; notes: string[] }
  | { type: 'cpu'; micros: number }
  | { type: 'memory'; figures: MemoryFigures[] }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

/** Messages from the runner to the host. */
export type RunnerMessage = { type: 'stop' } | { type: 'cpu' };
