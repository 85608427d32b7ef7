/** Bulk contact sync: the engine behind `npm run sync-contacts`, usable in-process. */
export { EXIT, syncFile, UsageError, DEFAULT_CONCURRENCY } from './run-file.js';
export type { SyncFileOptions, SyncSummary } from './run-file.js';
export { runSync } from './runner.js';
export type { RunOptions, RunResult, RunStats, SendContact, StopReason } from './runner.js';
export { checkRow } from './validate.js';
export type { CheckedRow } from './validate.js';
export { fingerprint, formatOf, InputError, readRows, FIELD_NAMES } from './reader.js';
export type { Fingerprint, InputFormat, SourceRow } from './reader.js';
export { readResume, ReportWriter, ResumeError, REPORT_VERSION } from './report.js';
export type { InvalidRow, RejectedRow, RowSink } from './report.js';
export { createProgress, silentProgress } from './progress.js';
export type { Progress, ProgressOptions } from './progress.js';
export { main } from './main.js';
export type { CliIo } from './main.js';
