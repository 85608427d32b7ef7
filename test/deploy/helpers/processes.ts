/**
 * Helper processes of the deployment tests (HAProxy, redis-server, `redis-server --sentinel`):
 * started with a readiness check, always stopped at the end, by their own pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface HelperProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Spawns `file args` and resolves once `ready()` resolves true (polled every 100 ms), or rejects
 * (stopping the process) when it exits first or `withinMs` runs out.
 */
export async function startProcess(
  file: string,
  args: string[],
  options: { ready: (child: ChildProcess) => Promise<boolean>; withinMs?: number; env?: NodeJS.ProcessEnv },
): Promise<HelperProcess> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const helper: HelperProcess = {
    child,
    output: () => output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.withinMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${file} exited early: ${output}`);
    if (await options.ready(child).catch(() => false)) return helper;
    if (Date.now() > deadline) {
      await helper.stop();
      throw new Error(`${file} not ready within ${options.withinMs ?? 10_000} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
