/**
 * The other routes of the document: the ticket (src/livechat/routes.ts), the probes and metrics
 * (src/ops), the public widget scripts and this document itself.
 */
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { TICKET_PATH } from '../livechat/routes.js';
import { ticketRequestSchema, ticketSchema } from '../livechat/schemas.js';
import { healthSchema, readySchema } from '../ops/schemas.js';
import { fixed, noStore, present, retryAfter } from './headers.js';
import { problem, rateLimited, STORE_UNAVAILABLE } from './problems.js';
import { csrfHeaders, INTERNAL, NOT_FOUND, ok, preflight, PUBLIC, publicDocument, REQUEST_ID } from './responses.js';

const ticket: RouteConfig = {
  method: 'post',
  path: TICKET_PATH,
  operationId: 'requestTicket',
  tags: ['livechat'],
  summary: 'Mint a OneTalk auth ticket for the signed-in user',
  description:
    'In this order: Origin and `X-CSRF`, body media type, body, a signed session cookie, the rate limit, then the session itself, ' +
    'profile, and one `request_auth_ticket` call upstream (behind a concurrency cap and a circuit breaker).',
  security: [{ sessionCookie: [] }],
  parameters: [REQUEST_ID],
  request: {
    headers: csrfHeaders(true),
    body: {
      required: false,
      description: 'None, or a JSON object or array of at most 1 KiB (ignored). Any other media type is refused.',
      content: { 'application/json': { schema: ticketRequestSchema } },
    },
  },
  responses: {
    200: ok('The ticket and when it expires (one hour).', ticketSchema),
    400: problem(400, { codes: ['body_malformed', 'request_aborted'], description: 'The body is not JSON, or did not arrive whole.' }),
    401: problem(401, {
      codes: ['not_signed_in'],
      description: 'No session, or it expired.',
      extensions: { loginUrl: z.url().describe('PUBLIC_URL/auth/login.') },
    }),
    403: problem(403, {
      codes: ['csrf_header_missing', 'origin_forbidden', 'profile_refused'],
      description: 'No `X-CSRF: 1`, an untrusted `Origin`, or a profile that cannot be mapped to OneTalk.',
    }),
    413: problem(413, { codes: ['body_too_large'], description: 'The body is over 1 KiB.' }),
    415: problem(415, {
      codes: ['unsupported_media_type', 'unsupported_encoding'],
      description: 'A body that is not JSON, or not UTF-8, or in an unknown content encoding.',
    }),
    429: rateLimited('Too many tickets for this session (or, without a session, this client IP) in a minute; OneTalk is not called.'),
    502: problem(502, {
      codes: ['upstream_rejected', 'upstream_credentials_refused', 'upstream_bad_response'],
      description: 'OneTalk refused the profile or the API key, or answered in an unexpected way. The upstream message is logged, never forwarded.',
    }),
    503: problem(503, {
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
      headers: { 'Retry-After': retryAfter() },
    }),
    504: problem(504, { codes: ['upstream_timeout'], description: 'OneTalk did not answer within ONETALK_TIMEOUT_MS.' }),
    500: INTERNAL,
  },
};

const healthz: RouteConfig = {
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  tags: ['operations'],
  summary: 'Liveness: 200 while the process lives',
  security: PUBLIC,
  responses: { 200: ok('Alive.', healthSchema) },
};

const readyz: RouteConfig = {
  method: 'get',
  path: '/readyz',
  operationId: 'ready',
  tags: ['operations'],
  summary: 'Readiness: OIDC discovery is done and the session store answers',
  security: PUBLIC,
  responses: {
    200: ok('Ready.', readySchema),
    503: problem(503, {
      codes: ['not_ready'],
      description: 'A check fails, or the gateway is shutting down (`draining`); `failing` names the failing checks.',
      // A generic pattern: new checks may be added without breaking clients that split on commas.
      extensions: {
        failing: z
          .string()
          .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/)
          .describe('Comma-separated check names, e.g. `oidcDiscovery,sessionStore`, or `draining`.'),
      },
    }),
    500: INTERNAL,
  },
};

const metrics: RouteConfig = {
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (requests, OneTalk calls and breaker, sign-ins, sessions, process)',
  description:
    'On this port only when METRICS_PORT is unset (with it, `/metrics` is served on that port alone). ' +
    'Metrics reveal traffic and failure patterns, so they are never public: without METRICS_TOKEN this route answers ' +
    'exactly like a path nobody serves.',
  security: [{ metricsToken: [] }],
  responses: {
    200: {
      description: 'Prometheus text exposition format 0.0.4.',
      headers: noStore(),
      content: { 'text/plain': { schema: z.string() } },
    },
    401: problem(401, {
      codes: ['metrics_unauthorized'],
      description: 'METRICS_TOKEN is set, and the request has no `Authorization: Bearer` with it.',
      headers: { 'WWW-Authenticate': fixed('Bearer realm="metrics"') },
    }),
    404: NOT_FOUND,
    500: INTERNAL,
  },
};

/** The widget modules of src/livechat/widget.ts: public, loadable from any embedding page. */
const widgetScript = (path: string, operationId: string, summary: string): RouteConfig => ({
  method: 'get',
  path,
  operationId,
  tags: ['livechat'],
  summary,
  security: PUBLIC,
  responses: publicDocument(
    'Loadable from any embedding page (CORS `*`, cross-origin resource policy).',
    'text/javascript',
    { crossOrigin: true },
    { ETag: present(), 'Access-Control-Allow-Origin': fixed('*') },
  ),
});

const document: RouteConfig = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'openApiDocument',
  tags: ['meta'],
  summary: 'This document',
  security: PUBLIC,
  responses: publicDocument('OpenAPI 3.1.', 'application/json', {}, { ETag: present(undefined, false) }),
};

/** The ticket route and its preflight, the probes, the public documents and metrics. */
export const otherRoutes = (): RouteConfig[] => [
  ticket,
  preflight(TICKET_PATH, 'requestTicketPreflight'),
  healthz,
  readyz,
  widgetScript('/livechat.js', 'widgetScript', 'The widget client script (public, no session, no secret)'),
  widgetScript(
    '/livechat-onetalk.js',
    'widgetAdapterScript',
    'The OneTalk widget adapter (an ES module importing /livechat.js; public, no session, no secret)',
  ),
  document,
  metrics,
];
