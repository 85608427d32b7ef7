import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/**
 * helmet's headers, worked out once. helmet computes the very same headers for every request
 * (no nonces here), so running it per request only spends time.
 */
export function securityHeaderList(options?: Readonly<HelmetOptions>): HeaderList {
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

/**
 * What an API answer (JSON, a redirect, a script) needs, stricter than helmet's page defaults
 * where it matters for data: it may load nothing and be framed by nothing, is never sniffed into
 * another type, sends no Referer, is not readable cross-origin by `no-cors` embedding, and keeps
 * browsers on https. The rest of helmet's set (COOP, Origin-Agent-Cluster, X-Frame-Options,
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection)
 * governs HTML documents: {@link setDocumentHeaders} adds it to every page the gateway renders.
 */
export const API_SECURITY_HEADERS: HeaderList = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
];

/** helmet's defaults: what every HTML page the gateway renders carries. */
export const DOCUMENT_SECURITY_HEADERS: HeaderList = securityHeaderList();

/** Sets the API answer headers (see `API_SECURITY_HEADERS`) on every response; pages add the rest. */
export const apiSecurityHeaders: RequestHandler = (_req, res, next) => {
  for (const [name, value] of API_SECURITY_HEADERS) res.setHeader(name, value);
  next();
};

/** helmet's whole set, for an HTML page (it replaces the API answer's stricter CSP). */
export function setDocumentHeaders(res: ServerResponse): void {
  for (const [name, value] of DOCUMENT_SECURITY_HEADERS) res.setHeader(name, value);
}

/** {@link setDocumentHeaders} as middleware, for routers that render pages (the demo). */
export const documentSecurityHeaders: RequestHandler = (_req, res, next) => {
  setDocumentHeaders(res);
  next();
};
