/**
 * Response headers of the document, as plain OpenAPI header objects (a header is one string, so
 * its schema is one line): the request id and `no-store` every dynamic answer carries, and the
 * security headers of src/http/security-headers.ts, taken from the very lists the gateway sends.
 */
import { API_SECURITY_HEADERS, DOCUMENT_SECURITY_HEADERS } from '../http/index.js';

/** An OpenAPI header object, narrowed to what these headers need (a type, not an interface: it must fit an index signature). */
export type HeaderObject = {
  description?: string;
  required?: boolean;
  schema: { type: 'string' | 'integer'; const?: string; enum?: string[]; minimum?: number; format?: string };
};
/** One header object, or a reference to one in `#/components/headers`. */
export type Header = HeaderObject | { $ref: string };
/** The header map of a response. */
export type Headers = Record<string, Header>;

export const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** `Content-Security-Policy` → `ContentSecurityPolicy`: the header's component name. */
const componentName = (header: string) => header.replace(/-/g, '');

const API_NAMES = new Set(API_SECURITY_HEADERS.map(([name]) => name));
const apiCsp = API_SECURITY_HEADERS.find(([name]) => name === 'Content-Security-Policy')?.[1] ?? '';
const pageCsp = DOCUMENT_SECURITY_HEADERS.find(([name]) => name === 'Content-Security-Policy')?.[1] ?? '';

/** Everything `#/components/headers` holds. */
export function headerComponents(): Record<string, Header> {
  const security = Object.fromEntries(
    API_SECURITY_HEADERS.map(([name, value]): [string, Header] => [
      componentName(name),
      {
        required: true,
        description: name === 'Content-Security-Policy' ? "On every answer that is not an HTML page (a page carries helmet's policy)." : 'On every answer.',
        schema: { type: 'string', const: value },
      },
    ]),
  );
  // helmet's other headers come only with HTML pages (problem pages of routes a browser navigates to).
  const pageOnly = Object.fromEntries(
    DOCUMENT_SECURITY_HEADERS.filter(([name]) => !API_NAMES.has(name)).map(([name, value]): [string, Header] => [
      componentName(name),
      { description: 'Only on an HTML page (helmet\'s defaults).', schema: { type: 'string', const: value } },
    ]),
  );
  return {
    RequestId: { required: true, description: 'The request id, also in the log line and in problem bodies.', schema: { type: 'string' } },
    NoStore: { required: true, schema: { type: 'string', const: 'no-store' } },
    ...security,
    ...pageOnly,
    ContentSecurityPolicyOrPage: {
      required: true,
      description: "`default-src 'none'` on data; helmet's page policy when the answer is an HTML page.",
      schema: { type: 'string', enum: [apiCsp, pageCsp] },
    },
  };
}

/** How an answer is served, which decides its security headers. */
export interface AnswerKind {
  /** May be an HTML page (a browser navigated here): helmet's whole set comes with it. */
  page?: boolean;
  /** A public script any embedding page loads: `Cross-Origin-Resource-Policy: cross-origin`. */
  crossOrigin?: boolean;
}

/** The security headers of an answer of that kind (src/http/security-headers.ts). */
export function securityHeaders(kind: AnswerKind = {}): Headers {
  const headers: Headers = {};
  for (const [name] of API_SECURITY_HEADERS) headers[name] = ref('headers', componentName(name));
  if (kind.page) {
    headers['Content-Security-Policy'] = ref('headers', 'ContentSecurityPolicyOrPage');
    for (const [name] of DOCUMENT_SECURITY_HEADERS) if (!API_NAMES.has(name)) headers[name] = ref('headers', componentName(name));
  }
  if (kind.crossOrigin) headers['Cross-Origin-Resource-Policy'] = { required: true, schema: { type: 'string', const: 'cross-origin' } };
  return headers;
}

/** Every answer carries the request id (src/http/request-log.ts) and its security headers. */
export const traced = (kind?: AnswerKind): Headers => ({ 'X-Request-Id': ref('headers', 'RequestId'), ...securityHeaders(kind) });

/** Errors and personal data are never cached. */
export const noStore = (kind?: AnswerKind): Headers => ({ 'Cache-Control': ref('headers', 'NoStore'), ...traced(kind) });

/** `Retry-After` as the gateway sends it: whole seconds, at least one. */
export const retryAfter = (required = false): Header => ({
  description: 'Seconds to wait before trying again.',
  required,
  schema: { type: 'integer', minimum: 1 },
});

/** A header the document says nothing more of than that it is there. */
export const present = (description?: string, required = true): Header => ({
  ...(description ? { description } : {}),
  required,
  schema: { type: 'string' },
});

/** A header of one fixed value. */
export const fixed = (value: string, required = true): Header => ({ required, schema: { type: 'string', const: value } });
