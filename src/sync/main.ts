/**
 * The sync CLI's body, separate from the entry file so tests can drive it in-process:
 * arguments → config → client → {@link syncFile} → a summary and an exit status.
 *
 * Output: progress on stderr, the summary on stdout, problems on stderr. No row data and never
 * the API key reach the terminal; per-row detail is in the report.
 */
import { ConfigError, loadSyncConfig } from '../config/sync.js';
import { createOneTalkClient } from '../onetalk/index.js';
import type { OneTalkClient } from '../onetalk/index.js';
import { parseCliArgs, USAGE } from './args.js';
import { createProgress } from './progress.js';
import { EXIT, syncFile, UsageError } from './run-file.js';
import type { SyncSummary } from './run-file.js';

/** Where the CLI writes, and whether it owns the process's signals. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: the process environment (read by src/config only). */
  env?: NodeJS.ProcessEnv;
  /** Install SIGINT/SIGTERM handlers (the real CLI does; in-process tests do not). */
  handleSignals?: boolean;
}

/** Runs the CLI; resolves with the exit status (see {@link EXIT}). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  let client: OneTalkClient | undefined;
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) {
      say(io.stderr, 'sync-contacts: stopping: no new rows; waiting for the calls in flight (signal again to abort them)');
      stop.abort();
    } else {
      abort.abort();
    }
  };
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      say(io.stdout, USAGE);
      return EXIT.OK;
    }
    const { onetalk } = loadSyncConfig(io.env, { dryRun: args.dryRun });
    if (!args.dryRun && onetalk.apiKey !== undefined) {
      client = createOneTalkClient({
        baseUrl: onetalk.baseUrl,
        apiKey: onetalk.apiKey,
        timeoutMs: onetalk.timeoutMs,
        paths: onetalk.paths,
        // The runner already bounds calls in flight to --concurrency: the client's own cap and
        // queue (sized for the gateway's traffic) must not second-guess it.
        policy: { ...onetalk.policy, maxConcurrent: args.concurrency, maxQueue: 0 },
      });
    }
    if (io.handleSignals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    const summary = await syncFile({
      ...args,
      client,
      progress: (input) => createProgress({ stream: io.stderr, ...input }),
      stop: stop.signal,
      abort: abort.signal,
    });
    report(summary, args.file, args.dryRun, say.bind(null, io.stdout), say.bind(null, io.stderr));
    return summary.exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      say(io.stderr, `sync-contacts: ${error.message}\nRun with --help for usage.`);
      return EXIT.USAGE;
    }
    if (error instanceof ConfigError) {
      say(io.stderr, `sync-contacts: ${error.message}`);
      return EXIT.USAGE;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    client?.close();
  }
}

function report(summary: SyncSummary, file: string, dryRun: boolean, out: (t: string) => void, err: (t: string) => void): void {
  const { stats, reportPath, stop } = summary;
  const seconds = summary.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(stats.rows / seconds) : stats.rows;
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const skipped = stats.skipped > 0 ? `, ${stats.skipped} skipped (synced by an earlier run)` : '';
  out(
    dryRun
      ? `Dry run: ${stats.ok} of ${stats.rows} rows valid, ${stats.invalid} invalid${skipped}. Nothing was sent.`
      : `Synced ${stats.ok} of ${stats.rows} rows: ${stats.invalid} invalid, ${stats.rejected} rejected${skipped}.`,
  );
  out(`${seconds.toFixed(1)} s, ${rate} rows/s, peak memory ${peakMb} MB. Report: ${reportPath}`);
  const resume = `npm run sync-contacts -- ${file} --resume ${reportPath}`;
  if (stop) {
    err(`sync-contacts: STOPPED: ${hint(stop.code, stop.upstreamCode)}`);
    err(`  ${stop.message}`);
    err(`  Rows not yet synced were not sent. Fix the cause, then resume: ${resume}`);
  } else if (summary.outcome === 'interrupted') {
    err(`sync-contacts: interrupted. Resume with: ${resume}`);
  } else if (summary.outcome === 'rejected') {
    const count = stats.invalid + stats.rejected;
    err(`sync-contacts: ${count} row(s) ${dryRun ? 'would not be' : 'were not'} synced: line numbers and reasons are in ${reportPath}`);
  }
}

function hint(code: string, upstreamCode: string | undefined): string {
  switch (code) {
    case 'ONETALK_TIER_NOT_SELECTED':
      return `OneTalk says the organization has not selected a tier (${upstreamCode ?? '49900'}): select one in OneTalk, then resume.`;
    case 'ONETALK_KEY_REFUSED':
    case 'ONETALK_HEADER_VALIDATION':
      return 'OneTalk refused the API key: check ONETALK_API_KEY.';
    case 'ONETALK_CIRCUIT_OPEN':
    case 'ONETALK_UNREACHABLE':
      return 'OneTalk is not answering: try again later.';
    case 'INPUT_MALFORMED':
      return 'the input file cannot be read past this point: fix it and run again (a changed file cannot be resumed; resending synced rows is harmless).';
    default:
      return `the run could not go on (${code}).`;
  }
}
