import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

export interface OriginPolicy {
  /** PUBLIC_URL's origin plus ALLOWED_ORIGINS. */
  readonly trustedOrigins: ReadonlySet<string>;
}

/** True when the request has no Origin header, or one from a trusted origin. */
export function originAllowed(origin: string | undefined, policy: OriginPolicy): boolean {
  return origin === undefined || policy.trustedOrigins.has(origin);
}

const foreignOrigin = () =>
  new HttpProblem({ status: 403, code: 'origin_forbidden', title: 'Origin not allowed', detail: 'This page is not allowed to call the gateway.' });

/**
 * CSRF guard for JSON routes: the custom `X-CSRF: 1` header cannot be sent cross-site without a
 * CORS preflight that only ALLOWED_ORIGINS pass, and a present Origin must be trusted. Runs before
 * the session is looked at, so a forged request learns nothing.
 */
export function requireCsrfHeader(policy: OriginPolicy): RequestHandler {
  return (req, _res, next) => {
    if (!originAllowed(req.headers.origin, policy)) return next(foreignOrigin());
    if (req.headers['x-csrf'] !== '1') {
      return next(new HttpProblem({ status: 403, code: 'csrf_header_missing', title: 'CSRF header missing', detail: 'Send the header X-CSRF: 1 with this request.' }));
    }
    next();
  };
}

/**
 * CSRF guard for routes a plain HTML form may call (sign-out): either the `X-CSRF: 1` header, or an
 * Origin header naming a trusted origin (browsers send Origin on every form POST).
 */
export function requireCsrfHeaderOrOrigin(policy: OriginPolicy): RequestHandler {
  return (req, _res, next) => {
    const origin = req.headers.origin;
    if (!originAllowed(origin, policy)) return next(foreignOrigin());
    if (req.headers['x-csrf'] === '1' || origin !== undefined) return next();
    next(new HttpProblem({ status: 403, code: 'csrf_header_missing', title: 'CSRF check failed', detail: 'Send X-CSRF: 1, or post the form from a trusted page.' }));
  };
}
