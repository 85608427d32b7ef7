/**
 * Every path of the OpenAPI document: the `/auth` ones (openapi-paths-auth.ts), the ticket
 * route, operations (probes, metrics) and the public widget script and document.
 */
import {
  csrf,
  INTERNAL,
  NO_STORE,
  ok,
  ORIGIN,
  preflight,
  problem,
  PUBLIC,
  rateLimited,
  ref,
  RETRY_AFTER,
  STORE_UNAVAILABLE,
  TRACED,
} from './openapi-components.js';
import { authPaths } from './openapi-paths-auth.js';
import type { HeaderObject, PathItemObject, ResponseObject, SchemaObject } from './openapi-types.js';

const ticket: PathItemObject = {
  post: {
    operationId: 'requestTicket',
    tags: ['livechat'],
    summary: 'Mint a OneTalk auth ticket for the signed-in user',
    description:
      'In this order: the session a cookie names is loaded, the rate limit, Origin and `X-CSRF`, body media type, body, ' +
      'sign-in, profile, then one `request_auth_ticket` call upstream (behind a concurrency cap and a circuit breaker).',
    security: [{ sessionCookie: [] }],
    parameters: [csrf(true), ORIGIN, ref('parameters', 'RequestId')],
    requestBody: {
      required: false,
      description: 'None, or a JSON object or array of at most 1 KiB (ignored). Any other media type is refused.',
      content: { 'application/json': { schema: { type: ['object', 'array'] } } },
    },
    responses: {
      '200': ok('The ticket and when it expires (one hour).', 'Ticket'),
      '400': problem(400, { codes: ['body_malformed', 'request_aborted'], description: 'The body is not JSON, or did not arrive whole.' }),
      '401': problem(401, {
        codes: ['not_signed_in'],
        description: 'No session, or it expired.',
        extensions: { loginUrl: { type: 'string', format: 'uri', description: 'PUBLIC_URL/auth/login.' } },
        required: ['loginUrl'],
      }),
      '403': problem(403, {
        codes: ['csrf_header_missing', 'origin_forbidden', 'profile_refused'],
        description: 'No `X-CSRF: 1`, an untrusted `Origin`, or a profile that cannot be mapped to OneTalk.',
      }),
      '413': problem(413, { codes: ['body_too_large'], description: 'The body is over 1 KiB.' }),
      '415': problem(415, {
        codes: ['unsupported_media_type', 'unsupported_encoding'],
        description: 'A body that is not JSON, or not UTF-8, or in an unknown content encoding.',
      }),
      '429': rateLimited('Too many tickets for this session (or, without a session, this client IP) in a minute; OneTalk is not called.'),
      '502': problem(502, {
        codes: ['upstream_rejected', 'upstream_credentials_refused', 'upstream_bad_response'],
        description:
          'OneTalk refused the profile or the API key, or answered in an unexpected way. The upstream message is logged, never forwarded.',
      }),
      '503': problem(503, {
        codes: [
          'upstream_unavailable',
          'upstream_not_configured',
          'upstream_rate_limited',
          'upstream_circuit_open',
          'upstream_overloaded',
          'rate_limit_unavailable',
          STORE_UNAVAILABLE,
        ],
        description:
          'OneTalk could not be reached or has no tier selected; or, with `Retry-After`: OneTalk is rate limiting, ' +
          'failed repeatedly just now (the circuit breaker refuses without calling it until a probe may go through), ' +
          'too many calls to it are in flight and queued (ONETALK_MAX_CONCURRENT, ONETALK_MAX_QUEUE), ' +
          'or the shared rate-limit store or the session store (Redis) did not answer.',
        headers: { 'Retry-After': RETRY_AFTER },
      }),
      '504': problem(504, { codes: ['upstream_timeout'], description: 'OneTalk did not answer within ONETALK_TIMEOUT_MS.' }),
      '500': INTERNAL,
    },
  },
  options: preflight('requestTicketPreflight'),
};

const healthz: PathItemObject = {
  get: {
    operationId: 'health',
    tags: ['operations'],
    summary: 'Liveness: 200 while the process lives',
    security: PUBLIC,
    responses: { '200': ok('Alive.', 'Health') },
  },
};

const readyz: PathItemObject = {
  get: {
    operationId: 'ready',
    tags: ['operations'],
    summary: 'Readiness: OIDC discovery is done and the session store answers',
    security: PUBLIC,
    responses: {
      '200': ok('Ready.', 'Ready'),
      '503': problem(503, {
        codes: ['not_ready'],
        description: 'A check fails, or the gateway is shutting down (`draining`); `failing` names the failing checks.',
        // A generic pattern: new checks may be added without breaking clients that split on commas.
        extensions: {
          failing: {
            type: 'string',
            pattern: '^[A-Za-z]+(,[A-Za-z]+)*$',
            description: 'Comma-separated check names, e.g. `oidcDiscovery,sessionStore`, or `draining`.',
          },
        },
        required: ['failing'],
      }),
      '500': INTERNAL,
    },
  },
};

const metrics: PathItemObject = {
  get: {
    operationId: 'metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (requests, OneTalk calls and breaker, sign-ins, sessions, process)',
    description:
      'On this port only when METRICS_PORT is unset (with it, `/metrics` is served on that port alone). ' +
      'Metrics reveal traffic and failure patterns, so they are never public: without METRICS_TOKEN this route answers ' +
      'exactly like a path nobody serves.',
    security: [{ metricsToken: [] }],
    responses: {
      '200': {
        description: 'Prometheus text exposition format 0.0.4.',
        headers: NO_STORE,
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      '401': problem(401, {
        codes: ['metrics_unauthorized'],
        description: 'METRICS_TOKEN is set, and the request has no `Authorization: Bearer` with it.',
        headers: { 'WWW-Authenticate': { required: true, schema: { const: 'Bearer realm="metrics"' } } },
      }),
      '404': ref('responses', 'NotFound'),
      '500': INTERNAL,
    },
  },
};

/** The answer of a public document: cacheable for five minutes, revalidated by its ETag. */
function publicDocument(description: string, mediaType: string, schema: SchemaObject, headers: Record<string, HeaderObject> = {}) {
  const answers: Record<string, ResponseObject> = {
    '200': {
      description,
      headers: { 'Cache-Control': { required: true, schema: { const: 'public, max-age=300' } }, ...headers, ...TRACED },
      content: { [mediaType]: { schema } },
    },
    '304': { description: 'Not modified (`If-None-Match` matched the ETag).', headers: TRACED },
  };
  return answers;
}

/** A browser module any embedding page may load (CORS `*`, cross-origin resource policy). */
function publicScript(operationId: string, summary: string): PathItemObject {
  return {
    get: {
      operationId,
      tags: ['livechat'],
      summary,
      security: PUBLIC,
      responses: publicDocument('Loadable from any embedding page (CORS `*`, cross-origin resource policy).', 'text/javascript', { type: 'string' }, {
        ETag: { required: true, schema: { type: 'string' } },
        'Access-Control-Allow-Origin': { required: true, schema: { const: '*' } },
      }),
    },
  };
}

const widget = publicScript('widgetScript', 'The widget client script (public, no session, no secret)');

const widgetAdapter = publicScript(
  'widgetAdapterScript',
  'The OneTalk widget adapter (an ES module importing /livechat.js; public, no session, no secret)',
);

const document: PathItemObject = {
  get: {
    operationId: 'openApiDocument',
    tags: ['meta'],
    summary: 'This document',
    security: PUBLIC,
    responses: publicDocument('OpenAPI 3.1.', 'application/json', { type: 'object' }, { ETag: { schema: { type: 'string' } } }),
  },
};

/** Every documented path, in the order of shared/DESIGN.md. */
export function paths(): Record<string, PathItemObject> {
  return {
    ...authPaths,
    '/api/livechat/ticket': ticket,
    '/healthz': healthz,
    '/readyz': readyz,
    '/livechat.js': widget,
    '/livechat-onetalk.js': widgetAdapter,
    '/openapi.json': document,
    '/metrics': metrics,
  };
}
