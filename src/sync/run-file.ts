/**
 * One bulk sync of a file, end to end: check the input, load the resume checkpoint, open the
 * report, run, record the outcome. The CLI is a thin shell around {@link syncFile}; tests call it
 * in-process too.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OneTalkClient } from '../onetalk/index.js';
import { silentProgress } from './progress.js';
import type { Progress } from './progress.js';
import { fingerprint, formatOf, InputError, readRows } from './reader.js';
import type { LineSet } from './lines.js';
import { readResume, ReportWriter, ResumeError } from './report.js';
import { runSync } from './runner.js';
import type { RunStats, SendContact, StopReason } from './runner.js';

/** Exit statuses of the CLI; the README lists them. */
export const EXIT = {
  /** Every row synced (dry run: every row valid). */
  OK: 0,
  /** The file was read to the end, but some rows were invalid or rejected: see the report. */
  REJECTED: 1,
  /** Refused to start: bad arguments or environment, unusable report or resume file. Nothing sent. */
  USAGE: 2,
  /** Stopped partway for a reason no row can fix (tier, key, OneTalk unreachable, broken file). */
  STOPPED: 3,
  /** Interrupted (SIGINT/SIGTERM): the report is consistent; resume from it. */
  INTERRUPTED: 130,
} as const;

/** Refused before anything was sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_CONCURRENCY = 8;

export interface SyncFileOptions {
  file: string;
  /** `csv` or `jsonl`; default from the extension. */
  format?: string | undefined;
  /** Validate and report only; send nothing. */
  dryRun?: boolean | undefined;
  /** Calls in flight at most (default 8). */
  concurrency?: number | undefined;
  /** Calls started per second at most (default: no cap). */
  ratePerSecond?: number | undefined;
  /** Default: the resume report (appended to), else `FILE.report-<time>.jsonl`. Never overwritten. */
  reportPath?: string | undefined;
  /** A report of an earlier run over the same file: its synced lines are skipped. */
  resumePath?: string | undefined;
  /** Required unless `dryRun`. */
  client?: Pick<OneTalkClient, 'syncContact'> | undefined;
  progress?: ((input: { totalBytes: number; dryRun: boolean }) => Progress) | undefined;
  /** Graceful stop: no new rows, calls in flight finish. */
  stop?: AbortSignal | undefined;
  /** Hard stop: calls in flight are aborted too. */
  abort?: AbortSignal | undefined;
}

export interface SyncSummary {
  outcome: 'completed' | 'rejected' | 'interrupted' | 'stopped';
  exitCode: (typeof EXIT)[keyof typeof EXIT];
  stats: RunStats;
  reportPath: string;
  stop?: StopReason;
  durationMs: number;
}

/**
 * Syncs (or, dry, validates) every row of `options.file`.
 * @throws UsageError when the run cannot start; row and upstream problems never throw.
 */
export async function syncFile(options: SyncFileOptions): Promise<SyncSummary> {
  const started = performance.now();
  const dryRun = options.dryRun === true;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!dryRun && !options.client) throw new UsageError('a OneTalk client is required unless dryRun');
  let format;
  let print;
  try {
    format = formatOf(options.file, options.format);
    print = await fingerprint(options.file);
  } catch (error) {
    throw new UsageError(error instanceof InputError ? error.message : `cannot read ${options.file}: ${reason(error)}`);
  }
  let done: LineSet | undefined;
  if (options.resumePath !== undefined) {
    try {
      done = await readResume(options.resumePath, print);
    } catch (error) {
      throw new UsageError(error instanceof ResumeError ? error.message : reason(error));
    }
  }
  // A real resumed run continues its report, so one file holds the whole history of the sync.
  const append = options.resumePath !== undefined && !dryRun && (options.reportPath === undefined || same(options.reportPath, options.resumePath));
  const reportPath = append ? (options.resumePath as string) : (options.reportPath ?? defaultReportPath(options.file));
  if (!append && (await exists(reportPath))) {
    throw new UsageError(`${reportPath} exists: it may be the checkpoint of an unfinished run. Resume with --resume ${reportPath}, or choose another --report`);
  }
  let report: ReportWriter;
  try {
    report = await ReportWriter.open(reportPath, append);
  } catch (error) {
    throw new UsageError(`cannot write the report ${reportPath}: ${reason(error)}`);
  }

  const client = options.client;
  const send: SendContact | undefined = dryRun || !client ? undefined : (contact, signal) => client.syncContact(contact, { signal });
  const progress = options.progress?.({ totalBytes: print.size, dryRun }) ?? silentProgress;
  report.run({ input: resolve(options.file), format, fingerprint: print, dryRun, resumedFrom: options.resumePath });
  // Resuming into a new report: carry the earlier successes over, so this report alone is a
  // complete checkpoint for the next resume.
  if (done && !append && !dryRun && done.size > 0) report.carry(done.toRanges());
  const result = await runSync({
    rows: readRows(options.file, format),
    send,
    sink: report,
    concurrency,
    ratePerSecond: options.ratePerSecond,
    skip: done && ((line) => done.has(line)),
    stop: options.stop,
    abort: options.abort,
    onProgress: (stats) => progress.update(stats),
  });
  if (result.outcome === 'completed') result.stats.bytes = print.size; // the whole file was read
  progress.done(result.stats);

  const { stats } = result;
  const outcome =
    result.outcome === 'completed' ? (stats.invalid + stats.rejected > 0 ? 'rejected' : 'completed') : result.outcome;
  const exitCode = { completed: EXIT.OK, rejected: EXIT.REJECTED, interrupted: EXIT.INTERRUPTED, stopped: EXIT.STOPPED }[outcome];
  if (result.stop) report.stop(result.stop);
  const { inFlight: _inFlight, bytes: _bytes, ...counts } = stats;
  report.end({ outcome, dryRun, ...counts });
  try {
    await report.close();
  } catch (error) {
    // The rows are done but their record is not: say so rather than claim a clean run.
    const stop = { code: 'REPORT_WRITE_FAILED', message: `cannot write the report ${reportPath}: ${reason(error)}` };
    return { outcome: 'stopped', exitCode: EXIT.STOPPED, stats, reportPath, stop, durationMs: performance.now() - started };
  }
  return { outcome, exitCode, stats, reportPath, ...(result.stop ? { stop: result.stop } : {}), durationMs: performance.now() - started };
}

/** `contacts.csv` → `contacts.csv.report-2025-01-31T09-30-00.123Z.jsonl`: never an earlier run's. */
function defaultReportPath(file: string): string {
  const stamp = new Date().toISOString().replace(/:/g, '-');
  return `${file}.report-${stamp}.jsonl`;
}

function same(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
