import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS with credentials for ALLOWED_ORIGINS only. Any other origin gets no CORS headers, so its
 * preflight for `X-CSRF` fails in the browser and the real request is never sent.
 *
 * A request without an `Origin` header is not a CORS request (browsers send it on every
 * cross-origin one, preflights included): it only gets `Vary: Origin`, so a cache never serves
 * it to a cross-origin caller, and skips the library's per-request work.
 */
export function corsForAllowedOrigins(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  const handler = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Content-Type', 'X-CSRF', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  return (req, res, next) => {
    if (req.headers.origin !== undefined) return handler(req, res, next);
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Origin');
    else res.vary('Origin');
    next();
  };
}
