/**
 * The gateway's HTTP contract (shared/DESIGN.md) as an OpenAPI 3.1 document, served at
 * `GET /openapi.json`. Written by hand beside the code it describes; the integration test
 * `test/integration/openapi.test.ts` checks real answers of the running gateway against it and
 * every `HttpProblem` code in `src/` against its `code` enums, so the two cannot drift silently.
 */
import { Router } from 'express';
import { sessionCookieName } from '../session/index.js';

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
type JsonValue = string | number | boolean | null;

/** The part of JSON Schema 2020-12 this document uses (OpenAPI 3.1 schemas are JSON Schema). */
export interface SchemaObject {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  items?: SchemaObject;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  const?: JsonValue;
  enum?: JsonValue[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}
export interface Reference {
  $ref: string;
}
export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema: SchemaObject;
}
export interface MediaTypeObject {
  schema: SchemaObject;
}
export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaTypeObject>;
}
export interface ParameterObject {
  name: string;
  in: 'query' | 'header' | 'cookie' | 'path';
  description?: string;
  required?: boolean;
  schema: SchemaObject;
}
export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `[]`: public. `[{}, {sessionCookie: []}]`: the cookie is optional. */
  security: Array<Record<string, string[]>>;
  parameters?: Array<ParameterObject | Reference>;
  requestBody?: { description?: string; required: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject | Reference>;
}
export type HttpMethod = 'get' | 'post' | 'options';
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; summary: string; description: string; license: { name: string; identifier: string } };
  servers?: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    securitySchemes: Record<string, { type: 'apiKey'; in: 'cookie'; name: string; description: string }>;
  };
}

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });
const codeList = (codes: readonly string[]) => codes.map((code) => `\`${code}\``).join(', ');

/** Every answer carries the request id (pino-http); errors and personal data are never cached. */
const TRACED = { 'X-Request-Id': ref('headers', 'RequestId') };
const NO_STORE = { 'Cache-Control': ref('headers', 'NoStore'), ...TRACED };
const INTERNAL = ref('responses', 'InternalError');
const PUBLIC: OperationObject['security'] = [];
const COOKIE_OPTIONAL: OperationObject['security'] = [{}, { sessionCookie: [] }];
const HTML_PAGE: MediaTypeObject = { schema: { type: 'string', description: 'The same facts as a page, for a browser that navigated here.' } };
const LOGIN_URL: SchemaObject = { type: 'string', format: 'uri-reference', description: 'Where to start signing in again.' };

interface ProblemSpec {
  codes: readonly string[];
  description: string;
  /** Extension members some of the codes carry. */
  extensions?: Record<string, SchemaObject>;
  required?: string[];
  /** Routes a browser navigates to also answer a page when `Accept` prefers `text/html`. */
  html?: boolean;
  headers?: Record<string, HeaderObject>;
}

/** A problem+json response whose `code` is one of `codes`, listed in the description as well. */
function problem(status: number, spec: ProblemSpec): ResponseObject {
  const schema: SchemaObject = {
    allOf: [
      ref('schemas', 'Problem'),
      {
        properties: { status: { const: status }, code: { enum: [...spec.codes] }, ...spec.extensions },
        ...(spec.required ? { required: spec.required } : {}),
      },
    ],
  };
  return {
    description: `${spec.description} \`code\`: ${codeList(spec.codes)}.`,
    headers: { ...NO_STORE, ...spec.headers },
    content: { 'application/problem+json': { schema }, ...(spec.html ? { 'text/html': HTML_PAGE } : {}) },
  };
}

/** A 200 JSON answer of a component schema; never cached. */
const ok = (description: string, schema: string): ResponseObject => ({
  description,
  headers: NO_STORE,
  content: { 'application/json': { schema: ref('schemas', schema) } },
});

function redirect(description: string, headers: Record<string, HeaderObject | Reference> = {}): ResponseObject {
  const location: HeaderObject = { required: true, schema: { type: 'string', format: 'uri-reference' } };
  return { description, headers: { Location: location, ...headers, ...TRACED } };
}

const header = (name: string, description: string, schema: SchemaObject, required = false): ParameterObject => ({
  name,
  in: 'header',
  description,
  required,
  schema,
});
const ORIGIN = header('Origin', 'Sent by browsers; when present it must be PUBLIC_URL\'s origin or one of ALLOWED_ORIGINS.', { type: 'string' });
const setCookie = (description: string): HeaderObject => ({ description, schema: { type: 'string' } });

/** CORS preflight of a POST route that needs `X-CSRF` (which makes cross-origin calls preflighted). */
function preflight(operationId: string): OperationObject {
  return {
    operationId,
    tags: ['cors'],
    summary: 'CORS preflight',
    security: PUBLIC,
    parameters: [ORIGIN, header('Access-Control-Request-Method', 'The method the page wants to use.', { type: 'string' })],
    responses: {
      '204': {
        description: 'The Origin is in ALLOWED_ORIGINS: credentials, `Content-Type`, `X-CSRF` and `X-Request-Id` allowed for 10 minutes.',
        headers: {
          'Access-Control-Allow-Origin': { required: true, schema: { type: 'string' } },
          'Access-Control-Allow-Credentials': { required: true, schema: { const: 'true' } },
          'Access-Control-Allow-Headers': { required: true, schema: { type: 'string' } },
          'Access-Control-Max-Age': { schema: { const: '600' } },
          ...TRACED,
        },
      },
      '200': {
        description:
          'Any other (or no) Origin: Express\'s plain OPTIONS answer with `Allow` and no CORS headers, so a browser never sends the real request.',
        headers: { Allow: { required: true, schema: { type: 'string' } }, ...TRACED },
      },
    },
  };
}

const SCHEMAS: Record<string, SchemaObject> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details. Clients branch on `code`; `detail` is for people and never carries upstream text.',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string', format: 'uri', description: '`urn:onetalk-gateway:problem:<code>`.' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      code: { type: 'string', pattern: '^[a-z][a-z_]*$', description: 'Stable machine-readable error code.' },
      detail: { type: 'string' },
      instance: { type: 'string', format: 'uri-reference' },
      requestId: { type: 'string', description: 'The `X-Request-Id` of this answer; support finds the log line by it.' },
    },
    // Extension members (`loginUrl`, `idpError`, `failing`) are described per response.
    additionalProperties: true,
  },
  SessionUser: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      email: { type: 'string', format: 'email' },
      picture: { type: 'string', format: 'uri', description: 'An http(s) URL.' },
    },
  },
  SessionState: {
    oneOf: [
      { type: 'object', required: ['authenticated'], additionalProperties: false, properties: { authenticated: { const: false } } },
      {
        type: 'object',
        required: ['authenticated', 'user'],
        additionalProperties: false,
        properties: { authenticated: { const: true }, user: ref('schemas', 'SessionUser') },
      },
    ],
  },
  Ticket: {
    type: 'object',
    description: 'A single-use OneTalk auth ticket, minted for this request and never cached. Nothing else is returned.',
    required: ['ticket', 'expiresAt'],
    additionalProperties: false,
    properties: { ticket: { type: 'string', minLength: 1 }, expiresAt: { type: 'string', format: 'date-time' } },
  },
  Health: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { const: 'ok' } } },
  Ready: {
    type: 'object',
    required: ['status', 'checks'],
    additionalProperties: false,
    properties: {
      status: { const: 'ready' },
      checks: {
        type: 'object',
        required: ['oidcDiscovery', 'sessionStore'],
        additionalProperties: false,
        properties: { oidcDiscovery: { const: 'ok' }, sessionStore: { const: 'ok' } },
      },
    },
  },
};

const RETRY_AFTER: HeaderObject = { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } };

/** The limiters of src/http/rate-limit.ts: a one-minute fixed window, IETF draft-8 headers. */
const RATE_LIMITED = (description: string): ResponseObject =>
  problem(429, {
    codes: ['rate_limited'],
    description,
    headers: {
      'Retry-After': { ...RETRY_AFTER, required: true },
      RateLimit: { description: 'Remaining quota (draft-ietf-httpapi-ratelimit-headers-08).', schema: { type: 'string' } },
      'RateLimit-Policy': { description: 'The quota policy (same draft).', schema: { type: 'string' } },
    },
  });

function paths(): Record<string, PathItemObject> {
  const csrf = (required: boolean) => header('X-CSRF', 'Must be `1`: a header no cross-site form can send.', { const: '1' }, required);
  return {
    '/auth/login': {
      get: {
        operationId: 'startLogin',
        tags: ['auth'],
        summary: 'Start signing in at the OpenID Provider',
        description: 'Authorization code flow with PKCE S256, `state` and `nonce`; the redirect URI is PUBLIC_URL/auth/callback.',
        security: PUBLIC,
        parameters: [
          {
            name: 'returnTo',
            in: 'query',
            description: 'Where to land after sign-in: a same-origin relative path. Anything else (`//…`, `/\\…`, absolute URLs) becomes `/`.',
            schema: { type: 'string', maxLength: 2048 },
          },
          ref('parameters', 'RequestId'),
        ],
        responses: {
          '303': redirect('To the IdP\'s authorization endpoint.', {
            'Set-Cookie': setCookie(
              'The login-binding cookie (`onetalk.login`, `__Host-onetalk.login` over https) tying the callback to this browser.',
            ),
            'Cache-Control': ref('headers', 'NoStore'),
          }),
          '429': RATE_LIMITED('Too many sign-in starts from this client IP in a minute.'),
          '503': problem(503, {
            codes: ['idp_unavailable', 'rate_limit_unavailable'],
            description: 'OIDC discovery has not succeeded yet (it retries in the background), or the shared rate-limit store is unreachable.',
            html: true,
            headers: { 'Retry-After': RETRY_AFTER },
          }),
          '500': INTERNAL,
        },
      },
    },
    '/auth/callback': {
      get: {
        operationId: 'completeLogin',
        tags: ['auth'],
        summary: 'The IdP\'s redirect back: finish signing in',
        description:
          'Single-use: checks state (and the binding cookie), PKCE, nonce and issuer, exchanges the code, reads userinfo and starts a session under a new id.',
        security: PUBLIC,
        parameters: [
          ...['code', 'state', 'iss', 'error', 'error_description'].map(
            (name): ParameterObject => ({ name, in: 'query', description: 'OAuth 2.0 authorization response member.', schema: { type: 'string' } }),
          ),
          ref('parameters', 'RequestId'),
        ],
        responses: {
          '303': redirect('Signed in: to the `returnTo` path given to /auth/login.', {
            'Set-Cookie': setCookie('The session cookie (see the `sessionCookie` security scheme).'),
          }),
          '400': problem(400, {
            codes: ['login_expired', 'login_denied', 'login_failed', 'profile_refused'],
            description:
              'Unknown, used or foreign `state` (`login_expired`); the IdP answered an error, named in `idpError` (`login_denied`); ' +
              'the answer could not be verified (`login_failed`); the profile cannot be mapped to OneTalk (`profile_refused`).',
            extensions: { loginUrl: LOGIN_URL, idpError: { type: 'string', pattern: '^[a-z_]{1,64}$' } },
            html: true,
          }),
          '502': problem(502, { codes: ['idp_unreachable'], description: 'The token or userinfo endpoint could not be reached.', html: true }),
          '503': problem(503, {
            codes: ['idp_unavailable'],
            description: 'OIDC discovery has not succeeded yet (it retries in the background).',
            html: true,
          }),
          '500': INTERNAL,
        },
      },
    },
    '/auth/logout': {
      post: {
        operationId: 'logout',
        tags: ['auth'],
        summary: 'Sign out',
        description:
          'Destroys the server-side session and clears its cookie. CSRF-guarded: send `X-CSRF: 1`, or post a form from a trusted page (browsers send `Origin`).',
        security: COOKIE_OPTIONAL,
        parameters: [csrf(false), ORIGIN, ref('parameters', 'RequestId')],
        requestBody: {
          required: false,
          description: 'Ignored.',
          content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
        },
        responses: {
          '303': redirect('To the IdP\'s end-session endpoint when it has one, else `/`.', {
            'Set-Cookie': setCookie('Clears the session cookie.'),
            'Cache-Control': ref('headers', 'NoStore'),
          }),
          '403': problem(403, {
            codes: ['origin_forbidden', 'csrf_header_missing'],
            description: 'An untrusted `Origin`, or neither `X-CSRF: 1` nor an `Origin`.',
            html: true,
          }),
          '500': INTERNAL,
        },
      },
      options: preflight('logoutPreflight'),
    },
    '/auth/session': {
      get: {
        operationId: 'getSession',
        tags: ['auth'],
        summary: 'Who is signed in',
        security: COOKIE_OPTIONAL,
        parameters: [ref('parameters', 'RequestId')],
        responses: {
          '200': ok('Never sets a cookie for an anonymous visitor.', 'SessionState'),
          '500': INTERNAL,
        },
      },
    },
    '/api/livechat/ticket': {
      post: {
        operationId: 'requestTicket',
        tags: ['livechat'],
        summary: 'Mint a OneTalk auth ticket for the signed-in user',
        description:
          'Checks run in this order: Origin and `X-CSRF`, body media type, body, session, profile, then one `request_auth_ticket` call upstream.',
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
          '502': problem(502, {
            codes: ['upstream_rejected', 'upstream_credentials_refused', 'upstream_bad_response'],
            description:
              'OneTalk refused the profile or the API key, or answered in an unexpected way. The upstream message is logged, never forwarded.',
          }),
          '429': RATE_LIMITED('Too many tickets for this session (or, without a session, this client IP) in a minute; OneTalk is not called.'),
          '503': problem(503, {
            codes: ['upstream_unavailable', 'upstream_not_configured', 'upstream_rate_limited', 'rate_limit_unavailable'],
            description:
              'OneTalk could not be reached, has no tier selected, or is rate limiting; or the shared rate-limit store is unreachable. ' +
              '`Retry-After` comes with the last two.',
            headers: { 'Retry-After': RETRY_AFTER },
          }),
          '504': problem(504, { codes: ['upstream_timeout'], description: 'OneTalk did not answer within ONETALK_TIMEOUT_MS.' }),
          '500': INTERNAL,
        },
      },
      options: preflight('requestTicketPreflight'),
    },
    '/healthz': {
      get: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Liveness: 200 while the process lives',
        security: PUBLIC,
        responses: { '200': ok('Alive.', 'Health') },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'Readiness: OIDC discovery is done and the session store answers',
        security: PUBLIC,
        responses: {
          '200': ok('Ready.', 'Ready'),
          '503': problem(503, {
            codes: ['not_ready'],
            description: 'A check fails; `failing` names the failing checks.',
            // A generic pattern: new checks may be added without breaking clients that split on commas.
            extensions: {
              failing: { type: 'string', pattern: '^[A-Za-z]+(,[A-Za-z]+)*$', description: 'Comma-separated check names, e.g. `oidcDiscovery,sessionStore`.' },
            },
            required: ['failing'],
          }),
          '500': INTERNAL,
        },
      },
    },
    '/livechat.js': {
      get: {
        operationId: 'widgetScript',
        tags: ['livechat'],
        summary: 'The widget client script (public, no session, no secret)',
        security: PUBLIC,
        responses: {
          '200': {
            description: 'Loadable from any embedding page (CORS `*`, cross-origin resource policy).',
            headers: {
              'Cache-Control': { required: true, schema: { const: 'public, max-age=300' } },
              ETag: { required: true, schema: { type: 'string' } },
              'Access-Control-Allow-Origin': { required: true, schema: { const: '*' } },
              ...TRACED,
            },
            content: { 'text/javascript': { schema: { type: 'string' } } },
          },
          '304': { description: 'Not modified (`If-None-Match` matched the ETag).', headers: TRACED },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        tags: ['meta'],
        summary: 'This document',
        security: PUBLIC,
        responses: {
          '200': {
            description: 'OpenAPI 3.1.',
            headers: {
              'Cache-Control': { required: true, schema: { const: 'public, max-age=300' } },
              ETag: { schema: { type: 'string' } },
              ...TRACED,
            },
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '304': { description: 'Not modified (`If-None-Match` matched the ETag).', headers: TRACED },
        },
      },
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Builds the document. `publicOrigin` (PUBLIC_URL's origin) names the server and decides the
 * session cookie's name, exactly as the session middleware does (`__Host-` prefix over https).
 */
export function buildOpenApiDocument(publicOrigin?: string): OpenApiDocument {
  const cookie = sessionCookieName(publicOrigin?.startsWith('https:') ?? false);
  return deepFreeze<OpenApiDocument>({
    openapi: '3.1.0',
    info: {
      title: 'OneTalk live-chat auth-ticket gateway',
      // The contract's version, not the package's: bump it when a route, schema or code changes.
      version: '1.0.0',
      summary: 'Signs users in with OpenID Connect and mints OneTalk auth tickets server-side.',
      description: [
        'Errors are `application/problem+json` (RFC 9457) with a stable `code`; ' +
          'a client whose `Accept` prefers `text/html` gets the same facts as a page.',
        'Every answer carries `X-Request-Id`. Any other path answers 404 `not_found`; any route may answer 500 `internal_error`.',
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(publicOrigin ? { servers: [{ url: publicOrigin, description: 'This gateway (PUBLIC_URL).' }] } : {}),
    tags: [
      { name: 'auth', description: 'Sign-in (OIDC code flow with PKCE), sign-out and the session.' },
      { name: 'livechat', description: 'The widget script and its tickets.' },
      { name: 'operations', description: 'Liveness and readiness probes.' },
      { name: 'cors', description: 'Preflights for pages in ALLOWED_ORIGINS.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths: paths(),
    components: {
      schemas: SCHEMAS,
      responses: {
        NotFound: problem(404, { codes: ['not_found'], description: 'No such route.', html: true }),
        InternalError: problem(500, {
          codes: ['internal_error'],
          description: 'An unexpected failure; details go to the log line of the request id, never to the client.',
          html: true,
        }),
      },
      parameters: {
        RequestId: header('X-Request-Id', 'Reused when it matches `^[A-Za-z0-9._:-]{1,128}$`, else a new one is minted.', {
          type: 'string',
          pattern: '^[A-Za-z0-9._:-]{1,128}$',
        }),
      },
      headers: {
        RequestId: { required: true, description: 'The request id, also in the log line and in problem bodies.', schema: { type: 'string' } },
        NoStore: { required: true, schema: { const: 'no-store' } },
      },
      securitySchemes: {
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: cookie,
          description:
            'The signed server-side session id (`onetalk.sid`; `__Host-onetalk.sid` when PUBLIC_URL is https), set by /auth/callback.',
        },
      },
    },
  });
}

/** The document without a server URL or https cookie name, for tools and tests. */
export const openApiDocument: OpenApiDocument = buildOpenApiDocument();

/** `GET /openapi.json`: serialised once; cacheable for five minutes, with an ETag for revalidation. */
export function createOpenApiRouter(publicOrigin?: string): Router {
  const body = JSON.stringify(buildOpenApiDocument(publicOrigin));
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    // res.send adds a weak ETag and answers 304 when If-None-Match matches.
    res.type('application/json').send(body);
  });
  return router;
}
