/**
 * One bounded autocannon run against one target. Latency comes from autocannon's per-response
 * timing (hrtime, sub-millisecond) rather than its histogram, which rounds to whole ms: too
 * coarse for "adds at most 1 ms".
 */
import autocannon from 'autocannon';
import type { Target } from './types.js';

/** Hard cap on responses per run, so a run is bounded in count as well as in time. */
const MAX_RESPONSES = 2_000_000;

/** How hard and how long to load. */
export interface Phase {
  connections: number;
  durationMs: number;
}

/** What one run saw. */
export interface RunTally {
  ok: number;
  /** Unexpected statuses plus socket errors and timeouts. */
  errors: number;
  elapsedMs: number;
  /** Latency in ms of each expected response. */
  latencies: number[];
}

export function loadOnce(target: Target, phase: Phase): Promise<RunTally> {
  const latencies: number[] = [];
  let ok = 0;
  let unexpected = 0;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: target.method,
        headers: target.headers,
        ...(target.body === undefined ? {} : { body: target.body }),
        connections: phase.connections,
        duration: phase.durationMs / 1000,
        // autocannon checks for the end of a run only when it takes a sample (every second by
        // default), so a shorter phase (the smoke test's) would otherwise last a whole second.
        sampleInt: Math.min(1000, phase.durationMs),
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({ ok, errors: unexpected + result.errors, elapsedMs: performance.now() - startedAt, latencies });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === target.expectStatus) {
        ok += 1;
        latencies.push(responseTime);
      } else {
        unexpected += 1;
      }
      if (ok + unexpected >= MAX_RESPONSES) instance.stop();
    });
  });
}
