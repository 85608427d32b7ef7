/**
 * The run report: one JSON Lines file that is both the list of rejected rows a person reads and
 * the checkpoint a resumed run reads.
 *
 * Records (one JSON object a line, `kind` first):
 * - `run`      a run began: input path, its fingerprint, options. A resumed run appends another.
 * - `invalid`  a row failed our own validation: `line`, `customerUserID`, `field`, `message`.
 * - `rejected` OneTalk refused a row: `line`, `customerUserID`, `code` (upstream code, else ours),
 *              `httpStatus`, `error` (our error code), `message`.
 * - `ok`       rows OneTalk accepted, as line ranges: `{"kind":"ok","lines":"2-900,902-1001"}`.
 * - `stop`     the run stopped for a reason no row could fix (tier, key refused, unreachable).
 * - `end`      the run's outcome and counts.
 *
 * Crash consistency: records are appended in batches, each batch written then fsync'ed before the
 * next. A line is in an `ok` range only once OneTalk answered success for it, so whatever kills
 * the process, every line a report lists as ok was synced. A kill can at worst tear the last
 * record (ignored on resume) and lose the last batch's successes, which a resumed run then sends
 * again: sync_contact is an upsert, so a resend changes nothing.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { addRanges, encodeRanges, LineSet } from './lines.js';
import { readLines } from './reader.js';
import type { Fingerprint } from './reader.js';

/** Report format version, in every `run` record. */
export const REPORT_VERSION = 1;

/** A row our own validation refused. */
export interface InvalidRow {
  line: number;
  customerUserID?: string | undefined;
  field?: string | undefined;
  message: string;
}

/** A row OneTalk (or the way to it) refused. */
export interface RejectedRow {
  line: number;
  customerUserID?: string | undefined;
  /** The upstream envelope code (e.g. "40901") when there is one, else our error code. */
  code: string;
  httpStatus?: number | undefined;
  /** Our {@link OneTalkErrorCode} value. */
  error: string;
  message: string;
}

/** Where the runner puts each row's outcome. */
export interface RowSink {
  ok(line: number): void;
  invalid(row: InvalidRow): void;
  rejected(row: RejectedRow): void;
  /** Resolves once buffered records are written when too many wait: keeps memory flat. */
  settle(): Promise<void>;
}

/** Records buffered before the runner waits for a write. */
const BATCH_RECORDS = 1000;
/** Longest a success waits before it reaches the disk (and so survives a kill). */
const FLUSH_INTERVAL_MS = 1000;
/** Report cells are for people: a runaway id is cut rather than copied whole. */
const MAX_ID_CHARS = 200;

/** Appends records to a report file in fsync'ed batches. */
export class ReportWriter implements RowSink {
  readonly #handle: FileHandle;
  readonly #timer: NodeJS.Timeout;
  #records: string[] = [];
  #okLines: number[] = [];
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
    // A slow upstream can leave the runner waiting with successes in hand: write them anyway.
    this.#timer = setInterval(() => void this.flush().catch(() => {}), FLUSH_INTERVAL_MS).unref();
  }

  /**
   * Opens `path`: appending when `append` (continuing a resumed report), else creating it and
   * refusing to overwrite an existing file (it may be the checkpoint of an unfinished run).
   */
  static async open(path: string, append: boolean): Promise<ReportWriter> {
    // Owner-only: the report names customers (customerUserID) and carries OneTalk's messages.
    const handle = await open(path, append ? 'a+' : 'wx', 0o600);
    if (append) {
      // A kill mid-write leaves a torn last record: end it, so our first record starts a line.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0 && (await handle.read(last, 0, 1, size - 1)).bytesRead === 1 && last[0] !== 0x0a) await handle.write('\n');
    }
    return new ReportWriter(handle);
  }

  /** Records of the run's start. */
  run(header: { input: string; format: string; fingerprint: Fingerprint; dryRun: boolean; resumedFrom?: string | undefined }): void {
    this.#push({ kind: 'run', version: REPORT_VERSION, startedAt: new Date().toISOString(), ...header });
  }

  ok(line: number): void {
    this.#okLines.push(line);
  }

  /** Lines an earlier report listed as synced (a resume written to a new report). */
  carry(ranges: string): void {
    this.#push({ kind: 'ok', lines: ranges, carried: true });
  }

  invalid(row: InvalidRow): void {
    this.#push({ kind: 'invalid', ...row, customerUserID: cut(row.customerUserID) });
  }

  rejected(row: RejectedRow): void {
    this.#push({ kind: 'rejected', ...row, customerUserID: cut(row.customerUserID) });
  }

  stop(reason: { code: string; upstreamCode?: string | undefined; message: string }): void {
    this.#takeOk();
    this.#push({ kind: 'stop', ...reason });
  }

  end(summary: Record<string, unknown>): void {
    this.#takeOk();
    this.#push({ kind: 'end', endedAt: new Date().toISOString(), ...summary });
  }

  async settle(): Promise<void> {
    if (this.#records.length + this.#okLines.length >= BATCH_RECORDS) await this.flush();
  }

  /** Writes and fsyncs what is buffered. Batches go to disk in order, one at a time. */
  flush(): Promise<void> {
    this.#takeOk();
    const text = this.#records.length > 0 ? `${this.#records.join('\n')}\n` : '';
    this.#records = [];
    this.#writing = this.#writing.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      if (text === '') return;
      try {
        await this.#handle.write(text);
        await this.#handle.datasync();
      } catch (error) {
        this.#failure = error;
        throw error;
      }
    });
    return this.#writing;
  }

  /** Flushes and closes. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      await this.#handle.close();
    }
  }

  /** Turns the successes buffered so far into one `ok` record. */
  #takeOk(): void {
    if (this.#okLines.length === 0) return;
    this.#push({ kind: 'ok', lines: encodeRanges(this.#okLines) });
    this.#okLines = [];
  }

  #push(record: Record<string, unknown>): void {
    this.#records.push(JSON.stringify(record));
  }
}

function cut(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const points = [...id];
  return points.length > MAX_ID_CHARS ? `${points.slice(0, MAX_ID_CHARS).join('')}…` : id;
}

/** A report cannot be resumed from (not ours, or for another input). */
export class ResumeError extends Error {
  override readonly name = 'ResumeError';
}

/**
 * Reads a report's `ok` ranges, checking that it was written for this very input file.
 * @throws ResumeError when the report is unreadable, not a report, or for a different file.
 */
export async function readResume(path: string, input: Fingerprint): Promise<LineSet> {
  const succeeded = new LineSet();
  let runs = 0;
  // A line that is not JSON, awaiting judgement: fine at the end or before a `run` record.
  let torn: number | undefined;
  let broken = false;
  try {
    for await (const { line, text } of readLines(path)) {
      if (text.trim() === '') continue;
      let record: { kind?: unknown; lines?: unknown; fingerprint?: Partial<Fingerprint>; version?: unknown };
      try {
        record = JSON.parse(text) as typeof record;
      } catch {
        // A write cut short by a kill: tolerated as the last line, or just before a resumed run.
        if (torn !== undefined) {
          broken = true;
          break;
        }
        torn = line;
        continue;
      }
      if (torn !== undefined && record.kind !== 'run') {
        broken = true;
        break;
      }
      torn = undefined;
      if (record.kind === 'run') {
        runs++;
        if (record.version !== REPORT_VERSION) throw new ResumeError(`${path}: report version ${String(record.version)} is not ${REPORT_VERSION}`);
        const fp = record.fingerprint;
        if (fp?.size !== input.size || fp.head !== input.head) {
          throw new ResumeError(`${path} was written for a different input file (or the file has changed since): line numbers would not match`);
        }
      } else if (record.kind === 'ok' && typeof record.lines === 'string') {
        addRanges(record.lines, succeeded);
      }
    }
  } catch (error) {
    if (error instanceof ResumeError) throw error;
    throw new ResumeError(`cannot resume from ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (broken) throw new ResumeError(`${path}: line ${torn} is not a report record`);
  if (runs === 0) throw new ResumeError(`${path} is not a sync report (it has no "run" record)`);
  return succeeded;
}
