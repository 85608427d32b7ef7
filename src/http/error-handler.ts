import type { ErrorRequestHandler, RequestHandler } from 'express';
import { StoreUnavailableError } from '../redis/errors.js';
import { HttpProblem, sendNegotiatedProblem } from './problem.js';
import { upstreamProblem } from './upstream.js';

/**
 * body-parser marks its errors with `type`; map the ones a client can cause to clear problems.
 * Any other error it marks as exposable 4xx (a body that does not decompress, say) is still the
 * client's: 400, never a 500.
 */
function bodyParserProblem(err: unknown): HttpProblem | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { type, status, expose } = err as { type?: unknown; status?: unknown; expose?: unknown };
  switch (type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new HttpProblem({ status: 413, code: 'body_too_large', title: 'Request body too large', detail: 'The request body is larger than this route accepts.' });
    case 'entity.parse.failed':
      return new HttpProblem({ status: 400, code: 'body_malformed', title: 'Malformed JSON body', detail: 'The request body is not valid JSON.' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem({ status: 415, code: 'unsupported_encoding', title: 'Unsupported body encoding', detail: 'Send UTF-8 JSON without content encoding.' });
    case 'request.aborted':
      return new HttpProblem({ status: 400, code: 'request_aborted', title: 'Request aborted' });
    default:
      if (expose === true && typeof status === 'number' && status >= 400 && status < 500) {
        return new HttpProblem({ status: 400, code: 'body_malformed', title: 'Malformed request body', detail: 'The request body could not be read.' });
      }
      return undefined;
  }
}

/** Redis could not be used in time: the client may retry shortly; nobody is signed out by it. */
function storeProblem(err: unknown): HttpProblem | undefined {
  if (!(err instanceof StoreUnavailableError)) return undefined;
  const retry = { 'Retry-After': '2' };
  if (err.code === 'rate_limit_unavailable') {
    return new HttpProblem({
      status: 503,
      code: 'rate_limit_unavailable',
      title: 'Temporarily unavailable',
      detail: 'The gateway cannot reach its shared store; try again shortly.',
      headers: retry,
      cause: err,
    });
  }
  return new HttpProblem({
    status: 503,
    code: 'session_store_unavailable',
    title: 'Sessions are temporarily unavailable',
    detail: 'The gateway cannot reach its session store; try again shortly.',
    headers: retry,
    cause: err,
  });
}

/** Turns anything thrown into a problem; unknown errors become a bare 500 with no detail. */
export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  return (
    storeProblem(err) ??
    upstreamProblem(err) ??
    bodyParserProblem(err) ??
    new HttpProblem({ status: 500, code: 'internal_error', title: 'Internal server error', detail: 'Something went wrong; the request id helps support find it.' })
  );
}

/**
 * The one error middleware. Details (the upstream's message, stacks) go to the log line, never to
 * the client; the client gets problem+json with the request id.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const problem = toProblem(err);
  // The request log writes one line per request; hand it the problem code, and the original error when
  // there is something to investigate (a 5xx, or an upstream failure behind a mapped problem).
  // OneTalkError serialises only safe fields, so the upstream's message is logged, never the key.
  res.locals.problem = problem.code;
  if (problem.status >= 500 || problem !== err) (res as { err?: unknown }).err = err;
  sendNegotiatedProblem(req, res, problem, String(req.id ?? ''));
};

/** The answer for a path nobody serves (also `/metrics` where it is not exposed: it hides as one). */
export const notFoundProblem = (): HttpProblem =>
  new HttpProblem({ status: 404, code: 'not_found', title: 'Not found', detail: 'No such route.' });

/** 404 for every route nobody serves, in the same problem+json shape. */
export const notFound: RequestHandler = (_req, _res, next) => {
  next(notFoundProblem());
};
