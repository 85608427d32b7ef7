import { randomUUID } from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { redactUrl } from './logging.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** This request's id: a well-formed incoming `X-Request-Id`, else a fresh UUID. */
    id: string;
    /**
     * A child logger carrying `reqId`, made on first use: most requests never log anything but
     * their one access line, so they never pay for a child logger.
     */
    readonly log: Logger;
  }
}

/** Where each finished request is counted (the latency histogram), by its route pattern. */
export type RequestObserver = (method: string, route: string | undefined, status: number, seconds: number) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's bookkeeping, in one middleware and one listener: its id (echoed as
 * `X-Request-Id`), one access-log line when it ends, and one latency observation.
 *
 * - The access line for an answer below 400 goes through a child without redaction: every field
 *   in it is chosen here (method, the URL with secret query values replaced, user agent, origin,
 *   remote address, status, time), none can carry a secret, and redaction is a real share of a
 *   cheap request's cost. Errors (≥ 400) are logged through the redacting logger, with the
 *   problem code and, for a 5xx or a mapped upstream failure, the error the handler kept.
 * - The route label is the matched pattern (`req.route.path`): every router mounts its routes
 *   with their full paths at the app's root, so the pattern is whole however the request ended.
 *   Never the raw URL, which would let anyone create label values (and memory) at will.
 * - A request the client abandoned before the answer was written is logged as aborted.
 */
export function installRequestLog(app: Express, logger: Logger, observe?: RequestObserver): RequestHandler {
  const access = logger.child({}, { redact: { paths: [] } });
  // `req.log` on this app's own request prototype (not on Node's): lazy, per request, no global.
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Express['request']): Logger {
      const log = logger.child({ reqId: this.id });
      Object.defineProperty(this, 'log', { value: log, configurable: true });
      return log;
    },
  });

  return (req, res, next) => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    // Read now: a socket that closed may no longer know its peer.
    const remoteAddress = req.socket.remoteAddress;
    res.once('close', () => {
      const ms = performance.now() - started;
      const finished = res.writableFinished;
      const status = res.statusCode;
      observe?.(req.method, (req.route as { path?: unknown } | undefined)?.path as string | undefined, status, ms / 1000);
      const err = (res as { err?: unknown }).err;
      const level = !finished ? 'warn' : err !== undefined || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const log = level === 'info' ? access : logger;
      if (!log.isLevelEnabled(level)) return;
      const problem = (res.locals as { problem?: unknown }).problem;
      log[level](
        {
          reqId: id,
          req: {
            method: req.method,
            url: redactUrl(req.originalUrl),
            userAgent: req.headers['user-agent'],
            origin: req.headers.origin,
            remoteAddress,
          },
          res: { statusCode: status },
          responseTime: Math.round(ms * 10) / 10,
          ...(problem === undefined ? {} : { problem }),
          ...(err === undefined ? {} : { err }),
        },
        finished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
