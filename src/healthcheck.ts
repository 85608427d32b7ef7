/**
 * The container's HEALTHCHECK (see Dockerfile): healthy when `/healthz` and `/readyz` both answer
 * 200 on PORT. Node itself, because the runtime image carries no curl or wget. Exit 0: healthy;
 * 1: not (the reason goes to stderr, which Docker keeps in the health log).
 */
import { portFromEnv } from './config/port.js';

/** Docker's own timeout for the check is longer (see Dockerfile): this one answers first. */
const TIMEOUT_MS = 2000;

async function check(): Promise<string | undefined> {
  const port = portFromEnv();
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  for (const path of ['/healthz', '/readyz']) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal });
    const body = await res.text();
    if (res.status !== 200) return `${path} answered ${res.status}: ${body.slice(0, 200)}`;
  }
  return undefined;
}

check().then(
  (problem) => {
    if (problem) process.stderr.write(`unhealthy: ${problem}\n`);
    process.exit(problem ? 1 : 0);
  },
  (err: unknown) => {
    process.stderr.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
