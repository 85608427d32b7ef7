/**
 * Progress on stderr: a cli-progress bar on a terminal, plain lines at a steady pace otherwise
 * (CI logs and `> file` redirections have no use for carriage-return animations).
 * Progress is measured in bytes of the file, the only total known before the end of a stream.
 */
import cliProgress from 'cli-progress';
import type { RunStats } from './runner.js';

/** Receives the run's counts as they change; `done` once at the end. */
export interface Progress {
  update(stats: Readonly<RunStats>): void;
  done(stats: Readonly<RunStats>): void;
}

export interface ProgressOptions {
  /** Where to draw: stderr in the CLI. */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Size of the input in bytes. */
  totalBytes: number;
  dryRun: boolean;
  /** Plain mode: a line at most this often (default 2000 ms). */
  intervalMs?: number;
}

/** Draws nothing: for library callers and tests. */
export const silentProgress: Progress = { update() {}, done() {} };

export function createProgress(options: ProgressOptions): Progress {
  return options.stream.isTTY ? barProgress(options) : plainProgress(options);
}

function barProgress({ stream, totalBytes, dryRun }: ProgressOptions): Progress {
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `sync |{bar}| {percentage}% | {rows} rows: {ok} ${dryRun ? 'valid' : 'synced'}, {invalid} invalid, {rejected} rejected, {skipped} skipped | {speed} rows/s`,
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (stats: Readonly<RunStats>) => ({ ...stats, speed: rowsPerSecond(stats, started) });
  let running = false;
  return {
    update(stats) {
      if (!running) {
        bar.start(Math.max(totalBytes, 1), 0, payload(stats));
        running = true;
      }
      bar.update(stats.bytes, payload(stats));
    },
    done(stats) {
      if (!running) return;
      bar.update(stats.bytes, payload(stats));
      bar.stop();
    },
  };
}

function plainProgress({ stream, totalBytes, dryRun, intervalMs = 2000 }: ProgressOptions): Progress {
  const started = performance.now();
  let latest: Readonly<RunStats> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const line = (stats: Readonly<RunStats>) => {
    const percent = totalBytes > 0 ? Math.floor((100 * stats.bytes) / totalBytes) : 100;
    stream.write(
      `sync: ${percent}% | ${stats.rows} rows: ${stats.ok} ${dryRun ? 'valid' : 'synced'}, ${stats.invalid} invalid, ` +
        `${stats.rejected} rejected, ${stats.skipped} skipped | ${rowsPerSecond(stats, started)} rows/s\n`,
    );
  };
  return {
    // Called on every row: it only keeps the latest counts; a timer prints them, so a stalled
    // upstream still shows a line every interval.
    update(stats) {
      latest = stats;
      timer ??= setInterval(() => latest && line(latest), intervalMs).unref();
    },
    done(stats) {
      clearInterval(timer);
      line(stats);
    },
  };
}

function rowsPerSecond(stats: Readonly<RunStats>, started: number): number {
  const seconds = (performance.now() - started) / 1000;
  return seconds > 0 ? Math.round(stats.rows / seconds) : 0;
}
