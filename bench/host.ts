/**
 * The host: a child process holding the servers under test, so that autocannon (in the runner)
 * and the servers do not share one event loop and one core. Started by `host-client.ts`:
 *
 *   node --import tsx --expose-gc bench/host.ts load <scenario id>...
 *   node --import tsx --expose-gc bench/host.ts memory <count>...
 *
 * It reports over IPC (see `HostMessage`) and ends by itself: when told to stop, when the
 * runner goes away, or at the latest after `BENCH_HOST_MAX_MS`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DevClient } from '../src/demo/idp.js';
import { LOAD_SCENARIOS, measureSessionMemory } from './scenarios/index.js';
import { stopAll, type Started } from './scenarios/scenario.js';
import type { HostMessage, RunnerMessage } from './types.js';

const maxLifetimeMs = Number(process.env.BENCH_HOST_MAX_MS) || 15 * 60 * 1000;

function send(message: HostMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function fail(err: unknown, cleanup: () => Promise<void>): Promise<never> {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(message);
  await cleanup().catch((cleanupErr: unknown) => console.error('cleanup failed:', cleanupErr));
  await send({ type: 'failed', message: message.split('\n')[0] ?? message });
  process.exit(1);
}

/** The IdP the scenarios sign in through, running in its own process (see `idp-process.ts`). */
interface IdpProcess {
  readonly issuer: string;
  close(): Promise<void>;
}

async function startIdpProcess(clients: DevClient[]): Promise<IdpProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./idp-process.ts', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(clients));
  let output = '';
  for await (const chunk of child.stdout) {
    output += String(chunk);
    if (output.includes('\n')) break;
  }
  const { issuer } = JSON.parse(output) as { issuer?: string };
  if (!issuer) throw new Error(`the IdP process did not start: ${output}`);
  return {
    issuer,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function hostLoad(ids: string[]): Promise<void> {
  const scenarios = ids.map((id) => {
    const scenario = LOAD_SCENARIOS.find((s) => s.id === id);
    if (!scenario) throw new Error(`unknown scenario "${id}"`);
    return scenario;
  });
  let idp: IdpProcess | undefined;
  const started: Started[] = [];
  const stop = (): Promise<void> => stopAll([...(idp ? [idp.close] : []), ...started.map((s) => () => s.stop())]);
  // Stop once, however many reasons to stop arrive.
  let stopping: Promise<void> | undefined;
  const stopAndExit = async (): Promise<void> => {
    stopping ??= stop().then(
      () => send({ type: 'stopped' }).then(() => process.exit(0)),
      (err: unknown) => fail(err, async () => {}),
    );
    await stopping;
  };
  process.on('message', (message: RunnerMessage) => {
    if (message.type === 'stop') void stopAndExit();
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      void send({ type: 'cpu', micros: user + system });
    }
  });
  process.on('disconnect', () => void stopAndExit());

  try {
    const prepared = [];
    for (const scenario of scenarios) prepared.push(await scenario.prepare());
    idp = await startIdpProcess(prepared.flatMap((p) => p.clients));
    for (const p of prepared) started.push(await p.start({ idp }));
  } catch (err) {
    await fail(err, stop);
  }
  await send({ type: 'ready', targets: started.flatMap((s) => s.targets), notes: started.flatMap((s) => s.notes) });
}

async function hostMemory(counts: number[]): Promise<void> {
  try {
    const figures = await measureSessionMemory(counts);
    await send({ type: 'memory', figures });
    process.exit(0);
  } catch (err) {
    await fail(err, async () => {});
  }
}

// A last line of defence: a host the runner forgot about still goes away.
setTimeout(() => {
  console.error(`bench host: still running after ${maxLifetimeMs} ms, exiting`);
  process.exit(2);
}, maxLifetimeMs).unref();

const [mode, ...args] = process.argv.slice(2);
if (mode === 'load') await hostLoad(args);
else if (mode === 'memory') await hostMemory(args.map(Number));
else await fail(new Error(`usage: host.ts load <scenario>... | memory <count>...`), async () => {});
