import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger, type DestinationStream } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

/**
 * Everything secret that could reach a log line: the OneTalk key, cookies, bearer tokens, OIDC codes
 * and tokens, tickets. Paths cover both our own objects and pino-http's req/res serialisations.
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

/** Creates the process logger: JSON lines, secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'onetalk-gateway' } },
    destination,
  );
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a well-formed incoming `X-Request-Id`, else mints one; echoes it on the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** pino-http with request ids, redacted URLs and only the headers worth keeping. */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: requestId,
    customProps: (_req, res) => {
      const problem = (res as { locals?: { problem?: unknown } }).locals?.problem;
      return problem ? { problem } : {};
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        userAgent: req.headers['user-agent'],
        origin: req.headers.origin,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
