/**
 * Runs the gateway as operators do, in its own process (`src/server.ts` compiled, see
 * `built-src.ts`, or any other command line), and reads its JSON log lines from stdout. For tests of what only a real process
 * shows: signals, exit codes, listeners, a log pipe that stalls or goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { builtEntry } from './built-src.js';
import { gatewayEnv } from './test-env.js';

/** A log line as the gateway writes it (JSON; only the fields tests read are typed). */
export interface LogLine {
  msg?: string;
  level?: number;
  port?: number;
  metricsPort?: number;
  [key: string]: unknown;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the "gateway listening" line. */
  readonly url: string;
  readonly port: number;
  /** Every JSON log line read so far (none once the test stops reading stdout). */
  readonly lines: LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited (not waiting for its stdout to be drained). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves like `exited`, but only once stdout is drained: every last line is in `lines`. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (read so far or later) for which `match` is true. */
  waitForLine(match: (line: LogLine) => boolean, withinMs: number): Promise<LogLine>;
  /** SIGKILL when still running; for `afterEach`. */
  kill(): void;
}

export interface SpawnGatewayOptions {
  /** The whole environment (PATH is added): nothing leaks in from the test runner's own. */
  env: Record<string, string>;
  /** Default: the repository root the test runs in. */
  cwd?: string;
  /** Default `node <compiled src/server.ts>`. */
  command?: { file: string; args: string[] };
  /** How long to wait for "gateway listening"; default 20 s. */
  startWithinMs?: number;
  /** Its own process group, so a test can signal the wrapper and the gateway together (`kill(-pid)`). */
  detached?: boolean;
}

/** Starts the gateway and waits for its "gateway listening" line. Rejects if it exits before that. */
export async function spawnGateway(options: SpawnGatewayOptions): Promise<GatewayProcess> {
  const command = options.command ?? { file: process.execPath, args: [builtEntry('src/server.ts')] };
  const child = spawn(command.file, command.args, {
    cwd: options.cwd,
    detached: options.detached ?? false,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    // Only the gateway's JSON lines: a wrapper (npm start) may print its own first.
    for (const part of parts.filter((text) => text.startsWith('{'))) {
      const line = JSON.parse(part) as LogLine;
      lines.push(line);
      for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  type Exit = { code: number | null; signal: NodeJS.Signals | null };
  const exited = once(child, 'exit').then(([code, signal]): Exit => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const closed = once(child, 'close').then(([code, signal]): Exit => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));

  const waitForLine = (match: (line: LogLine) => boolean, withinMs: number): Promise<LogLine> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no such log line within ${withinMs} ms; stderr: ${stderr.slice(-500)}`));
      }, withinMs);
      waiters.add(waiter);
    });
  };

  // Needs LOG_LEVEL info or lower: the "listening" line is how the port becomes known.
  const listening = await Promise.race([
    waitForLine((line) => line.msg === 'gateway listening', options.startWithinMs ?? 20_000),
    exited.then(({ code }) => {
      throw new Error(`gateway exited (${code}) before listening: ${stderr}`);
    }),
  ]).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const port = Number(listening.port);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    port,
    lines,
    stderr: () => stderr,
    exited,
    closed,
    waitForLine,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The variables every gateway needs, pointing at nothing in particular (discovery just retries). */
export function minimalEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    // Nothing listens on port 9: an IdP and a OneTalk that never answer.
    ...gatewayEnv(`http://127.0.0.1:${port}`, 'http://127.0.0.1:9/', 'http://127.0.0.1:9'),
    LOG_LEVEL: 'info',
    ...extra,
  };
}
