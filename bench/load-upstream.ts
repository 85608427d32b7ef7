/**
 * The load script's OneTalk: the emulator's own entry point (`npm run emulator`) in a process of
 * its own, as OneTalk is in production, so that its latency timers do not wait for the
 * gateway's event loop. Driven through its admin routes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/emulator/main.ts', import.meta.url));
const READY_WITHIN_MS = 30_000;

export interface Upstream {
  /** Where the gateway should send its OneTalk calls. */
  readonly url: string;
  /** Forgets contacts, calls and tickets, and sets the answer latency. */
  reset(latencyMs: number): Promise<void>;
  /** API calls answered since the last reset. */
  calls(): Promise<number>;
  /** Redeems each ticket once; resolves with how many were valid (a repeated one is not, twice). */
  redeemAll(tickets: string[]): Promise<number>;
  close(): Promise<void>;
}

async function admin(url: string, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${url}/__emulator${path}`, { ...init, headers: { 'content-type': 'application/json' } });
  if (res.status >= 500) throw new Error(`emulator admin ${path}: ${res.status}`);
  return res;
}

/** Starts the emulator with `apiKey` on an ephemeral loopback port. */
export async function startUpstream(apiKey: string): Promise<Upstream> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', ONETALK_API_KEY: apiKey, LATENCY_MS: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start')), READY_WITHIN_MS);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
    lines.on('line', (line) => {
      // Every later line (one per call) is read and dropped, so a full pipe never stalls it.
      const match = /OneTalk emulator on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return {
    url,
    async reset(latencyMs) {
      await admin(url, '/reset', { method: 'POST' });
      await admin(url, '/settings', { method: 'PUT', body: JSON.stringify({ latencyMs }) });
    },
    async calls() {
      return ((await (await admin(url, '/requests')).json()) as unknown[]).length;
    },
    async redeemAll(tickets) {
      const answers = await Promise.all(tickets.map((ticket) => admin(url, '/tickets/redeem', { method: 'POST', body: JSON.stringify({ ticket }) })));
      return answers.filter((res) => res.status === 200).length;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
