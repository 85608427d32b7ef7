/**
 * The shapes of answer the routes share: a JSON body, a redirect, a public document, a CORS
 * preflight, the request headers of the CSRF guard, and the 404/500 every route may answer.
 */
import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { fixed, noStore, present, ref, traced, type AnswerKind, type Header, type Headers } from './headers.js';
import { problemOf } from './problems.js';

export const PUBLIC: RouteConfig['security'] = [];
export const COOKIE_OPTIONAL: RouteConfig['security'] = [{}, { sessionCookie: [] }];
export const REQUEST_ID = ref('parameters', 'RequestId');
export const INTERNAL = ref('responses', 'InternalError');
export const NOT_FOUND = ref('responses', 'NotFound');

/** A 200 JSON answer; never cached. */
export const ok = (description: string, schema: z.ZodType): ResponseConfig => ({
  description,
  headers: noStore(),
  content: { 'application/json': { schema } },
});

/** A redirect: `Location` and whatever else the route sets. */
export const redirect = (description: string, headers: Headers = {}): ResponseConfig => ({
  description,
  headers: { Location: { required: true, schema: { type: 'string', format: 'uri-reference' } }, ...headers, ...traced() },
});

export const setCookie = (description: string): Header => present(description, false);

const origin = z.string().optional().describe("Sent by browsers; when present it must be PUBLIC_URL's origin or one of ALLOWED_ORIGINS.");

/** The request headers of the CSRF guard (src/http/csrf.ts); `X-CSRF` required or not. */
export const csrfHeaders = (required: boolean) =>
  z.object({
    'X-CSRF': (required ? z.literal('1') : z.literal('1').optional()).describe('Must be `1`: a header no cross-site form can send.'),
    Origin: origin,
  });

/** CORS preflight of a POST route that needs `X-CSRF` (which makes cross-origin calls preflighted). */
export function preflight(path: string, operationId: string): RouteConfig {
  return {
    method: 'options',
    path,
    operationId,
    tags: ['cors'],
    summary: 'CORS preflight',
    security: PUBLIC,
    request: {
      headers: z.object({
        Origin: origin,
        'Access-Control-Request-Method': z.string().optional().describe('The method the page wants to use.'),
      }),
    },
    responses: {
      204: {
        description: 'The Origin is in ALLOWED_ORIGINS: credentials, `Content-Type`, `X-CSRF` and `X-Request-Id` allowed for 10 minutes.',
        headers: {
          'Access-Control-Allow-Origin': present(),
          'Access-Control-Allow-Credentials': fixed('true'),
          'Access-Control-Allow-Headers': present(),
          'Access-Control-Max-Age': fixed('600', false),
          ...traced(),
        },
      },
      200: {
        description:
          "Any other (or no) Origin: Express's plain OPTIONS answer with `Allow` and no CORS headers, so a browser never sends the real request.",
        headers: { Allow: present(), ...traced() },
      },
    },
  };
}

/** The answer of a public document: cacheable for five minutes, revalidated by its ETag. */
export function publicDocument(description: string, mediaType: string, kind: AnswerKind, headers: Headers = {}): RouteConfig['responses'] {
  return {
    200: {
      description,
      headers: { 'Cache-Control': fixed('public, max-age=300'), ...headers, ...traced(kind) },
      content: { [mediaType]: { schema: mediaType.endsWith('json') ? z.record(z.string(), z.unknown()) : z.string() } },
    },
    304: { description: 'Not modified (`If-None-Match` matched the ETag).', headers: traced(kind) },
  };
}

// Named (and so made once: an `id` may be registered only once).
const notFoundProblem = problemOf(404, ['not_found']).meta({ id: 'NotFoundProblem' });
const internalErrorProblem = problemOf(500, ['internal_error']).meta({ id: 'InternalErrorProblem' });

/** The schemas {@link responseComponents} refers to: the generator must be handed them itself. */
export const RESPONSE_SCHEMAS = [notFoundProblem, internalErrorProblem];

/** `#/components/responses`: the answers any route may give. */
export function responseComponents() {
  const answer = (description: string, schema: string) => ({
    description,
    headers: noStore({ page: true }),
    content: {
      'application/problem+json': { schema: ref('schemas', schema) },
      'text/html': { schema: { type: 'string' as const, description: 'The same facts as a page, for a browser that navigated here.' } },
    },
  });
  return {
    NotFound: answer('No such route. `code`: `not_found`.', 'NotFoundProblem'),
    InternalError: answer(
      'An unexpected failure; details go to the log line of the request id, never to the client. `code`: `internal_error`.',
      'InternalErrorProblem',
    ),
  };
}
