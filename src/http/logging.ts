import type { Writable } from 'node:stream';
import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Everything secret that could reach a log line: the OneTalk key, cookies, bearer tokens, OIDC codes
 * and tokens, tickets. Paths cover our own objects and request/response shapes a log call may carry.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers["api-key"]',
  'apiKey',
  '*.apiKey',
  'ticket',
  '*.ticket',
  'access_token',
  'id_token',
  'refresh_token',
  '*.access_token',
  '*.id_token',
  '*.refresh_token',
];

/** Query parameters whose values are secrets (authorization codes, state, tokens). */
const SECRET_QUERY = /^(code|state|session_state|id_token|access_token|refresh_token|token|ticket|logout_token)$/i;

/** The URL with secret query values replaced, so a callback's `?code=` never reaches the log. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...new Set(params.keys())]) {
    if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}

/** A log destination that never blocks the process and never retries a line. */
export interface LogSink extends DestinationStream {
  /** Lines dropped so far: the buffer for a slow reader was full, or the stream failed. */
  readonly dropped: number;
  /**
   * Waits until every buffered line is written (true), the stream failed or `timeoutMs` ran out
   * (false). For the last lines before an exit; never longer than asked.
   */
  flush(timeoutMs: number): Promise<boolean>;
}

/** Options of {@link createLogSink}. */
export interface LogSinkOptions {
  /** Where lines go; default `process.stdout`. */
  stream?: Writable;
  /** Bytes allowed to wait for a slow reader; past that, new lines are dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
}

/**
 * Best-effort logging. pino's default destination writes synchronously and retries a write the
 * pipe refuses: with a stalled reader it spins, and on exit it flushes forever, so a stuck log
 * collector would hang serving and shutdown. This sink hands lines to the stream's own buffer
 * (stdout on a pipe is non-blocking in Node), drops a line when that buffer is past its bound,
 * and drops everything once the stream failed (EPIPE: the reader went away for good). Every
 * dropped line is counted, and `log_lines_dropped_total` reports the count.
 */
export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const stream = options.stream ?? process.stdout;
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  let dropped = 0;
  let broken = false;
  // Without a listener, a write error on stdout would be thrown and end the process.
  stream.on('error', () => {
    broken = true;
  });
  const unusable = () => broken || stream.destroyed || !stream.writable;
  return {
    get dropped() {
      return dropped;
    },
    write(line: string) {
      if (unusable() || stream.writableLength + Buffer.byteLength(line) > maxBuffered) {
        dropped += 1;
        return;
      }
      stream.write(line, (err) => {
        if (err) dropped += 1;
      });
    },
    flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve) => {
        const check = () => {
          if (unusable()) return resolve(false);
          if (stream.writableLength === 0) return resolve(true);
          if (Date.now() >= deadline) return resolve(false);
          setTimeout(check, 10);
        };
        check();
      });
    },
  };
}

let stdout: LogSink | undefined;

/** The process's one sink on stdout (one error listener, one drop count, however many loggers). */
export function stdoutSink(): LogSink {
  stdout ??= createLogSink();
  return stdout;
}

/** Creates the process logger: JSON lines, secrets redacted, best-effort (default: {@link stdoutSink}). */
export function createLogger(level: string, destination: DestinationStream = stdoutSink()): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'onetalk-gateway' } },
    destination,
  );
}
