/**
 * The runner's side of the host process (see `host.ts`): forks it, waits for its report, and
 * makes sure it is gone afterwards, whatever happened.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostMessage, MemoryFigures, RunnerMessage, Target } from './types.js';

const HOST = fileURLToPath(new URL('./host.ts', import.meta.url));
const READY_WITHIN_MS = 90_000;
const STOP_WITHIN_MS = 15_000;
const STDERR_TAIL = 16 * 1024;

/** A host serving load targets until `stop()`. */
export interface LoadHost {
  readonly targets: Target[];
  readonly notes: string[];
  /** CPU time the host has used so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

interface Child {
  process: ChildProcess;
  /** The next message of one of `types`; rejects if the host fails, exits or is too slow. */
  next<T extends HostMessage['type']>(types: T[], withinMs: number): Promise<Extract<HostMessage, { type: T }>>;
  /** Resolves once the process has exited, killing it if it takes longer than `withinMs`. */
  exited(withinMs: number): Promise<void>;
}

function start(args: string[]): Child {
  // BENCH_PROFILE_DIR: the host writes a V8 CPU profile there when it exits (see README).
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const child = fork(HOST, args, {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    // stdout carries the gateway's request log: production-like cost, nobody needs to read it.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const describe = (what: string) => new Error(`bench host ${what}${stderr ? `\n--- host stderr ---\n${stderr.trim()}` : ''}`);

  return {
    process: child,
    next(types, withinMs) {
      return new Promise((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (message: HostMessage) => {
          if (message.type === 'failed') {
            cleanup();
            reject(describe(`failed: ${message.message}`));
          } else if ((types as string[]).includes(message.type)) {
            cleanup();
            resolve(message as Extract<HostMessage, { type: (typeof types)[number] }>);
          }
        };
        const onExit = (code: number | null) => {
          cleanup();
          // Give the stderr pipe a moment: the reason is usually its last lines.
          setTimeout(() => reject(describe(`exited (${code}) before answering`)), 50);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(describe(`did not answer within ${withinMs} ms`));
        }, withinMs);
        child.on('message', onMessage).on('exit', onExit);
      });
    },
    async exited(withinMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Starts a host serving the given load scenarios; resolves once every target answered its check. */
export async function startLoadHost(scenarioIds: readonly string[]): Promise<LoadHost> {
  const child = start(['load', ...scenarioIds]);
  try {
    const ready = await child.next(['ready'], READY_WITHIN_MS);
    return {
      targets: ready.targets,
      notes: ready.notes,
      async cpuMicros() {
        const answer = child.next(['cpu'], STOP_WITHIN_MS);
        child.process.send({ type: 'cpu' } satisfies RunnerMessage);
        return (await answer).micros;
      },
      async stop() {
        if (child.process.connected) child.process.send({ type: 'stop' } satisfies RunnerMessage);
        const stopped = child.next(['stopped'], STOP_WITHIN_MS).catch((err: unknown) => err as Error);
        await child.exited(STOP_WITHIN_MS);
        const outcome = await stopped;
        if (outcome instanceof Error) throw outcome;
      },
    };
  } catch (err) {
    await child.exited(0);
    throw err;
  }
}

/** Runs scenario 5 in a fresh host (a clean heap) and returns its figures. */
export async function measureMemoryInHost(counts: readonly number[]): Promise<MemoryFigures[]> {
  const child = start(['memory', ...counts.map(String)]);
  try {
    const { figures } = await child.next(['memory'], READY_WITHIN_MS);
    return figures;
  } finally {
    await child.exited(STOP_WITHIN_MS);
  }
}
