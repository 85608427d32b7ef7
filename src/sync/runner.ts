/**
 * The sync engine: rows in, one sync_contact call per valid row, outcomes out to a sink.
 *
 * Flat memory by construction: the next row is pulled from the reader only when a call slot is
 * free, so at most `concurrency` rows are in flight and the reader never runs ahead. Rows that
 * share a customerUserID or phone never fly together, so OneTalk is never asked to decide two
 * syncs of one contact at once (its match-then-write could otherwise create duplicates).
 *
 * Retries are the client's business (its retry policy and breaker); the runner decides only what
 * a final failure means for the run: a row problem is reported and the run goes on; a problem no
 * row can fix (tier, key, OneTalk gone) stops the run at once: sending the rest would only fail.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isOneTalkError, OneTalkErrorCode } from '../onetalk/index.js';
import type { SyncContact } from '../onetalk/index.js';
import type { SourceRow } from './reader.js';
import { InputError } from './reader.js';
import type { RowSink } from './report.js';
import { checkRow } from './validate.js';

/** Sends one contact; rejects with a OneTalkError. Absent in a dry run. */
export type SendContact = (contact: SyncContact, signal: AbortSignal) => Promise<unknown>;

/** Counts, updated as the run goes. */
export interface RunStats {
  /** Rows pulled from the file. */
  rows: number;
  /** Rows a previous run already synced (resume). */
  skipped: number;
  /** Synced (in a dry run: valid). */
  ok: number;
  invalid: number;
  rejected: number;
  inFlight: number;
  /** Bytes of the file read so far. */
  bytes: number;
}

/** Why a run stopped before the end of the file. */
export interface StopReason {
  /** Our error code: a {@link OneTalkErrorCode} value, `ONETALK_UNREACHABLE`, `INPUT_MALFORMED` or `REPORT_WRITE_FAILED`. */
  code: string;
  upstreamCode?: string | undefined;
  message: string;
}

export interface RunOptions {
  rows: AsyncIterable<SourceRow>;
  /** Absent: a dry run, which validates only. */
  send?: SendContact | undefined;
  sink: RowSink;
  /** Calls in flight at most. */
  concurrency: number;
  /** Calls started per second at most. */
  ratePerSecond?: number | undefined;
  /** Lines to pass over (already synced by an earlier run). */
  skip?: ((line: number) => boolean) | undefined;
  /** Graceful stop: read no more rows, let calls in flight finish. */
  stop?: AbortSignal | undefined;
  /** Hard stop: abort calls in flight too (their rows stay unsynced, to resend on resume). */
  abort?: AbortSignal | undefined;
  onProgress?: ((stats: Readonly<RunStats>) => void) | undefined;
}

export interface RunResult {
  stats: RunStats;
  /** `stopped`: a fatal problem; `interrupted`: stop/abort was signalled. */
  outcome: 'completed' | 'interrupted' | 'stopped';
  stop?: StopReason;
}

/** Failures that no row can fix: every later call would fail the same way. */
const FATAL: ReadonlySet<string> = new Set<string>([
  OneTalkErrorCode.TIER_NOT_SELECTED,
  OneTalkErrorCode.KEY_REFUSED,
  OneTalkErrorCode.HEADER_VALIDATION,
  OneTalkErrorCode.CIRCUIT_OPEN,
]);
/** Failures of the way to OneTalk rather than of a row; many in a row mean it is gone. */
const TRANSPORT: ReadonlySet<string> = new Set<string>([OneTalkErrorCode.UNAVAILABLE, OneTalkErrorCode.TIMEOUT]);

/** Runs the rows through validation and `send`. Never throws for a row; see {@link RunResult}. */
export async function runSync(options: RunOptions): Promise<RunResult> {
  const run = new SyncRun(options);
  try {
    for await (const row of options.rows) {
      if (run.halted || !(await run.take(row))) break;
    }
  } catch (error) {
    if (error instanceof InputError) run.stopWith({ code: 'INPUT_MALFORMED', message: error.message });
    else run.stopWith({ code: 'REPORT_WRITE_FAILED', message: `cannot write the report: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    await run.finish();
  }
  return run.result();
}

/** One run's state: counts, calls in flight, the contacts they hold, and why it stopped. */
class SyncRun {
  readonly stats: RunStats = { rows: 0, skipped: 0, ok: 0, invalid: 0, rejected: 0, inFlight: 0, bytes: 0 };
  readonly #options: RunOptions;
  readonly #inFlight = new Set<Promise<void>>();
  /** Matching keys (customerUserID, phone) → the call that holds them. */
  readonly #busyKeys = new Map<string, Promise<void>>();
  /** Without a breaker in the client, a dead upstream would turn every row into a rejection. */
  readonly #unreachableAfter: number;
  #transportFailures = 0;
  #fatal: StopReason | undefined;
  /** Wakes waits when the run must end. */
  readonly #halt = new AbortController();
  /** Aborts calls in flight. */
  readonly #hard = new AbortController();
  readonly #onStop = () => this.#halt.abort();
  readonly #onAbort = () => (this.#halt.abort(), this.#hard.abort());
  readonly #pace: () => Promise<void>;

  constructor(options: RunOptions) {
    this.#options = options;
    this.#unreachableAfter = Math.max(25, 3 * options.concurrency);
    options.stop?.addEventListener('abort', this.#onStop, { once: true });
    options.abort?.addEventListener('abort', this.#onAbort, { once: true });
    if (options.stop?.aborted) this.#onStop();
    if (options.abort?.aborted) this.#onAbort();
    this.#pace = pacer(options.ratePerSecond, this.#halt.signal);
  }

  get halted(): boolean {
    return this.#halt.signal.aborted;
  }

  stopWith(reason: StopReason): void {
    this.#fatal ??= reason;
    this.#halt.abort();
  }

  /**
   * One row: skipped, invalid, valid (dry run), or sent once a slot and its keys are free. False
   * when the run halted while the row waited: read no further.
   */
  async take(row: SourceRow): Promise<boolean> {
    const { stats } = this;
    stats.rows++;
    stats.bytes = row.bytes;
    if (this.#options.skip?.(row.line)) {
      stats.skipped++;
    } else {
      const checked = checkRow(row);
      if (!checked.ok) {
        stats.invalid++;
        this.#options.sink.invalid({ line: row.line, customerUserID: checked.customerUserID, field: checked.field, message: checked.message });
      } else if (!this.#options.send) {
        stats.ok++;
      } else if (!(await this.#send(row.line, checked.contact, this.#options.send))) {
        return false;
      }
    }
    this.#progress();
    await this.#options.sink.settle();
    return true;
  }

  /** Waits for a free slot, for the contact's keys and for the pace; false when the run halted meanwhile. */
  async #send(line: number, contact: SyncContact, send: SendContact): Promise<boolean> {
    const keys = keysOf(contact);
    while (this.#inFlight.size >= this.#options.concurrency) await Promise.race(this.#inFlight);
    for (let held = heldBy(this.#busyKeys, keys); held; held = heldBy(this.#busyKeys, keys)) await held;
    await this.#pace();
    if (this.halted) return false;
    this.#launch(line, contact, keys, send);
    return true;
  }

  #launch(line: number, contact: SyncContact, keys: string[], send: SendContact): void {
    let release = () => {};
    const slot = new Promise<void>((resolve) => (release = resolve));
    this.#inFlight.add(slot);
    for (const key of keys) this.#busyKeys.set(key, slot);
    this.stats.inFlight = this.#inFlight.size;
    Promise.resolve()
      .then(() => send(contact, this.#hard.signal))
      .then(
        () => {
          this.#transportFailures = 0;
          this.stats.ok++;
          this.#options.sink.ok(line);
        },
        (error: unknown) => this.#settle(line, contact.customerUserID, error),
      )
      .finally(() => {
        this.#inFlight.delete(slot);
        for (const key of keys) if (this.#busyKeys.get(key) === slot) this.#busyKeys.delete(key);
        this.stats.inFlight = this.#inFlight.size;
        this.#progress();
        release();
      });
  }

  /** A failed call: a row problem is reported and the run goes on; a problem no row can fix stops it. */
  #settle(line: number, customerUserID: string, error: unknown): void {
    const { sink } = this.#options;
    if (!isOneTalkError(error)) {
      this.stats.rejected++;
      sink.rejected({ line, customerUserID, code: 'UNEXPECTED', error: 'UNEXPECTED', message: String(error) });
      return;
    }
    if (error.code === OneTalkErrorCode.ABORTED && this.#hard.signal.aborted) return; // not sent: resume resends it
    if (FATAL.has(error.code)) {
      this.stopWith({ code: error.code, upstreamCode: error.upstreamCode, message: error.message });
      return;
    }
    this.#transportFailures = TRANSPORT.has(error.code) ? this.#transportFailures + 1 : 0;
    this.stats.rejected++;
    const { upstreamCode, upstreamStatus, code, message } = error;
    sink.rejected({ line, customerUserID, code: upstreamCode ?? code, httpStatus: upstreamStatus, error: code, message });
    if (this.#transportFailures >= this.#unreachableAfter) {
      this.stopWith({ code: 'ONETALK_UNREACHABLE', message: `${this.#transportFailures} calls in a row failed to reach OneTalk (last: ${message})` });
    }
  }

  #progress(): void {
    this.#options.onProgress?.(this.stats);
  }

  /** Lets the calls in flight finish and lets go of the caller's signals. */
  async finish(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#options.stop?.removeEventListener('abort', this.#onStop);
    this.#options.abort?.removeEventListener('abort', this.#onAbort);
    this.#progress();
  }

  result(): RunResult {
    const fatal = this.#fatal;
    const outcome = fatal ? 'stopped' : this.halted ? 'interrupted' : 'completed';
    return { stats: this.stats, outcome, ...(fatal ? { stop: fatal } : {}) };
  }
}

/** The keys OneTalk matches a contact on (the document: customerUserID, and phone when given). */
function keysOf(contact: SyncContact): string[] {
  return contact.phone === undefined ? [`id:${contact.customerUserID}`] : [`id:${contact.customerUserID}`, `phone:${contact.phone}`];
}

function heldBy(busy: ReadonlyMap<string, Promise<void>>, keys: readonly string[]): Promise<void> | undefined {
  for (const key of keys) {
    const held = busy.get(key);
    if (held) return held;
  }
  return undefined;
}

/**
 * Spaces call starts `1/rate` seconds apart; after a late timer the next start catches up, so the
 * rate holds on average. A no-op without a rate.
 */
function pacer(ratePerSecond: number | undefined, signal: AbortSignal): () => Promise<void> {
  if (ratePerSecond === undefined) return async () => {};
  const intervalMs = 1000 / ratePerSecond;
  let next = performance.now();
  return async () => {
    const now = performance.now();
    const wait = next - now;
    next = Math.max(next, now) + intervalMs;
    if (wait <= 0) return;
    try {
      await sleep(wait, undefined, { signal });
    } catch {
      // halted: the caller checks the signal
    }
  };
}
