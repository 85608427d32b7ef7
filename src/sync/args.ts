/**
 * The CLI's arguments: `FILE [--dry-run] [--concurrency N] [--rate N/s] [--report PATH]
 * [--resume PATH] [--format csv|jsonl]`, and `--help`.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, UsageError } from './run-file.js';

export const USAGE = `Usage: npm run sync-contacts -- FILE [options]
       onetalk-sync-contacts FILE [options]

Syncs every row of FILE (CSV with a header row of field names, or JSON Lines) to OneTalk's
contacts with sync_contact. Fields: customerUserID, fullName (required), alias, email, phone,
photoURL. Reads ONETALK_API_KEY, ONETALK_BASE_URL, ONETALK_TIMEOUT_MS, ONETALK_SYNC_PATH.

Options:
  --dry-run          validate every row and write the report; send nothing
  --concurrency N    calls in flight at most (default ${DEFAULT_CONCURRENCY}, 1..256)
  --rate N/s         calls started per second at most (also N/min; default no cap)
  --report PATH      where to write the report (default FILE.report-<time>.jsonl; never overwritten)
  --resume PATH      skip the rows an earlier run's report lists as synced, and append to it
  --format csv|jsonl the file's format (default from the extension: .csv, .jsonl, .ndjson)
  -h, --help         this text

Exit status: 0 all synced; 1 some rows invalid or rejected (see the report); 2 refused to start
(nothing sent); 3 stopped partway (tier not selected, key refused, OneTalk unreachable, broken
file): fix the cause and resume; 130 interrupted: resume.`;

/** What the command line asked for. */
export interface CliArgs {
  help: boolean;
  file: string;
  format?: string | undefined;
  dryRun: boolean;
  concurrency: number;
  ratePerSecond?: number | undefined;
  reportPath?: string | undefined;
  resumePath?: string | undefined;
}

/** Parses `argv` (without node and the script). @throws UsageError naming what is wrong. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        report: { type: 'string' },
        resume: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true, file: '', dryRun: false, concurrency: DEFAULT_CONCURRENCY };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'give the FILE to sync' : `give one FILE, not ${positionals.length}`);
  }
  return {
    help: false,
    file: positionals[0]!,
    format: values.format,
    dryRun: values['dry-run'] === true,
    concurrency: values.concurrency === undefined ? DEFAULT_CONCURRENCY : parseConcurrency(values.concurrency),
    ratePerSecond: values.rate === undefined ? undefined : parseRate(values.rate),
    reportPath: values.report,
    resumePath: values.resume,
  };
}

function parseConcurrency(text: string): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= 256)) throw new UsageError(`--concurrency must be a whole number from 1 to 256 (got ${JSON.stringify(text)})`);
  return n;
}

/** `50`, `50/s`, `3000/min`, `0.5/s` → calls per second. */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(s|sec|second|m|min|minute))?$/.exec(text.trim());
  const n = Number(match?.[1]);
  const perSecond = match?.[2]?.startsWith('m') ? n / 60 : n;
  if (!match || !(perSecond > 0) || perSecond > 100_000) {
    throw new UsageError(`--rate must be a positive number of calls per second, e.g. 50/s or 3000/min (got ${JSON.stringify(text)})`);
  }
  return perSecond;
}
