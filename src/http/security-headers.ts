import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once and then copied onto every answer. helmet computes the very
 * same headers for every request (no nonces here), so running it per request only spends time:
 * this keeps its whole set, and its defaults, at the cost of a loop of `setHeader`.
 * `securityHeaderList` is exported for tests that compare the two.
 */
export function securityHeaderList(options?: Readonly<HelmetOptions>): ReadonlyArray<readonly [string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, String(value)]);
    },
    removeHeader() {},
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    done = true;
  });
  if (!done) throw new Error('securityHeaderList: helmet did not finish synchronously');
  return headers;
}

/** Sets helmet's headers, precomputed (see {@link securityHeaderList}). */
export function securityHeaders(options?: Readonly<HelmetOptions>): RequestHandler {
  const headers = securityHeaderList(options);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
