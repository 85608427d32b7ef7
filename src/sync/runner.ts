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
  const { sink, send } = options;
  const stats: RunStats = { rows: 0, skipped: 0, ok: 0, invalid: 0, rejected: 0, inFlight: 0, bytes: 0 };
  const inFlight = new Set<Promise<void>>();
  const busyKeys = new Map<string, Promise<void>>();
  // Without a breaker in the client, a dead upstream would turn every row into a rejection.
  const unreachableAfter = Math.max(25, 3 * options.concurrency);
  let transportFailures = 0;
  let fatal: StopReason | undefined;
  const halt = new AbortController(); // wakes waits when the run must end
  const hard = new AbortController(); // aborts calls in flight
  const onStop = () => halt.abort();
  const onAbort = () => (halt.abort(), hard.abort());
  options.stop?.addEventListener('abort', onStop, { once: true });
  options.abort?.addEventListener('abort', onAbort, { once: true });
  if (options.stop?.aborted) onStop();
  if (options.abort?.aborted) onAbort();
  const stopWith = (reason: StopReason) => {
    fatal ??= reason;
    halt.abort();
  };
  const progress = () => options.onProgress?.(stats);
  const pace = pacer(options.ratePerSecond, halt.signal);

  const settle = (line: number, customerUserID: string, error: unknown): void => {
    if (!isOneTalkError(error)) {
      stats.rejected++;
      sink.rejected({ line, customerUserID, code: 'UNEXPECTED', error: 'UNEXPECTED', message: String(error) });
      return;
    }
    if (error.code === OneTalkErrorCode.ABORTED && hard.signal.aborted) return; // not sent: resume resends it
    if (FATAL.has(error.code)) {
      stopWith({ code: error.code, upstreamCode: error.upstreamCode, message: error.message });
      return;
    }
    transportFailures = TRANSPORT.has(error.code) ? transportFailures + 1 : 0;
    stats.rejected++;
    const { upstreamCode, upstreamStatus, code, message } = error;
    sink.rejected({ line, customerUserID, code: upstreamCode ?? code, httpStatus: upstreamStatus, error: code, message });
    if (transportFailures >= unreachableAfter) {
      stopWith({ code: 'ONETALK_UNREACHABLE', message: `${transportFailures} calls in a row failed to reach OneTalk (last: ${message})` });
    }
  };

  const launch = (line: number, contact: SyncContact, keys: string[], call: SendContact): void => {
    let release = () => {};
    const slot = new Promise<void>((resolve) => (release = resolve));
    inFlight.add(slot);
    for (const key of keys) busyKeys.set(key, slot);
    stats.inFlight = inFlight.size;
    Promise.resolve()
      .then(() => call(contact, hard.signal))
      .then(
        () => {
          transportFailures = 0;
          stats.ok++;
          sink.ok(line);
        },
        (error: unknown) => settle(line, contact.customerUserID, error),
      )
      .finally(() => {
        inFlight.delete(slot);
        for (const key of keys) if (busyKeys.get(key) === slot) busyKeys.delete(key);
        stats.inFlight = inFlight.size;
        progress();
        release();
      });
  };

  try {
    for await (const row of options.rows) {
      if (halt.signal.aborted) break;
      stats.rows++;
      stats.bytes = row.bytes;
      if (options.skip?.(row.line)) {
        stats.skipped++;
      } else {
        const checked = checkRow(row);
        if (!checked.ok) {
          stats.invalid++;
          sink.invalid({ line: row.line, customerUserID: checked.customerUserID, field: checked.field, message: checked.message });
        } else if (!send) {
          stats.ok++;
        } else {
          const keys = keysOf(checked.contact);
          while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
          for (let held = heldBy(busyKeys, keys); held; held = heldBy(busyKeys, keys)) await held;
          await pace();
          if (halt.signal.aborted) break;
          launch(row.line, checked.contact, keys, send);
        }
      }
      progress();
      await sink.settle();
    }
  } catch (error) {
    if (error instanceof InputError) stopWith({ code: 'INPUT_MALFORMED', message: error.message });
    else stopWith({ code: 'REPORT_WRITE_FAILED', message: `cannot write the report: ${error instanceof Error ? error.message : String(error)}` });
  } finally {
    await Promise.all(inFlight);
    options.stop?.removeEventListener('abort', onStop);
    options.abort?.removeEventListener('abort', onAbort);
    progress();
  }
  const outcome = fatal ? 'stopped' : halt.signal.aborted ? 'interrupted' : 'completed';
  return { stats, outcome, ...(fatal ? { stop: fatal } : {}) };
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
