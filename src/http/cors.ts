import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS with credentials for ALLOWED_ORIGINS only. Any other origin gets no CORS headers, so its
 * preflight for `X-CSRF` fails in the browser and the real request is never sent.
 */
export function corsForAllowedOrigins(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Content-Type', 'X-CSRF', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
}
