/**
 * Shared by the contact-sync tests: temporary files, the CLI as a child process, the report as
 * records, and what the emulator received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import { main } from '../../src/sync/main.js';
import { builtEntry } from './built-src.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SYNC_KEY = 'sk-sync-test-NEVER-LEAK-0123456789';

/** A temporary directory, removed by `cleanup()`. */
export async function tempDir(): Promise<{ dir: string; path: (name: string) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'onetalk-sync-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** CSV text from a header and rows; cells are quoted when they need it. */
export function csv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

export async function writeText(path: string, text: string): Promise<string> {
  await writeFile(path, text);
  return path;
}

/** A report record (see src/sync/report.ts). */
export type ReportRecord = { kind: string; line?: number; lines?: string; code?: string; [key: string]: unknown };

/** The report's records; a torn last line (a process killed mid-write) is left out, as a resume does. */
export async function readReport(path: string): Promise<ReportRecord[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines.flatMap((l, i) => {
    try {
      return [JSON.parse(l) as ReportRecord];
    } catch (error) {
      if (i === lines.length - 1) return [];
      throw error;
    }
  });
}

/** The records of one kind, e.g. every `rejected` row. */
export const ofKind = (records: ReportRecord[], kind: string) => records.filter((r) => r.kind === kind);

/** Bodies of the sync_contact calls the emulator answered, oldest first. */
export function syncBodies(emulator: RunningEmulator): Array<Record<string, string>> {
  return emulator.requests.filter((r) => r.path === DEFAULT_PATHS.syncContact).map((r) => r.body as Record<string, string>);
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `node <compiled src/sync/cli.ts> ...args` with only the given environment (plus PATH). */
export function startCli(args: readonly string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [builtEntry('src/sync/cli.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Runs the CLI to the end, as a process. */
export function runCli(args: readonly string[], env: Record<string, string>) {
  return startCli(args, env).done;
}

/**
 * Runs the CLI's body in this process with only `env`, its output captured as the CLI's streams
 * (not terminals, so progress comes as plain lines). Starting a process costs a second or more of
 * CPU; keep that for what needs one: exit statuses and signals.
 */
export async function runMain(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const capture = (into: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        out[into] += chunk.toString();
        done();
      },
    });
  const code = await main(args, { stdout: capture('stdout'), stderr: capture('stderr'), env });
  return { code, ...out };
}

/** The environment that points the CLI at `emulator`. */
export function cliEnv(emulator: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return { ONETALK_API_KEY: SYNC_KEY, ONETALK_BASE_URL: emulator.url, ...extra };
}

/**
 * Makes the emulator fit for a hundred thousand calls and more: it keeps every request it
 * receives, so the log is trimmed as the run goes (the contact store itself is indexed and kept
 * whole, so every answer is the real one). Counts each customerUserID it is asked to sync.
 */
export function boundEmulatorMemory(emulator: RunningEmulator, keep = 100): Map<string, number> {
  const seen = new Map<string, number>();
  const original = emulator.store.sync.bind(emulator.store);
  emulator.store.sync = (input) => {
    seen.set(input.customerUserID, (seen.get(input.customerUserID) ?? 0) + 1);
    if (emulator.requests.length >= keep) emulator.requests.length = 0;
    return original(input);
  };
  return seen;
}
