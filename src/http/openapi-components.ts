/**
 * The shared parts of the OpenAPI document (src/http/openapi.ts): schemas, the problem+json
 * response builder, common headers and parameters. Paths live in openapi-paths*.ts.
 */
import type {
  HeaderObject,
  MediaTypeObject,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  Reference,
  ResponseObject,
  SchemaObject,
} from './openapi-types.js';

type ComponentKind = 'schemas' | 'responses' | 'parameters' | 'headers';

export const ref = (kind: ComponentKind, name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });
const codeList = (codes: readonly string[]) => codes.map((code) => `\`${code}\``).join(', ');

/** Every answer carries the request id (src/http/request-log.ts); errors and personal data are never cached. */
export const TRACED = { 'X-Request-Id': ref('headers', 'RequestId') };
export const NO_STORE = { 'Cache-Control': ref('headers', 'NoStore'), ...TRACED };
export const INTERNAL = ref('responses', 'InternalError');
export const PUBLIC: OperationObject['security'] = [];
export const COOKIE_OPTIONAL: OperationObject['security'] = [{}, { sessionCookie: [] }];
export const LOGIN_URL: SchemaObject = { type: 'string', format: 'uri-reference', description: 'Where to start signing in again.' };
const HTML_PAGE: MediaTypeObject = { schema: { type: 'string', description: 'The same facts as a page, for a browser that navigated here.' } };

/** `Retry-After` as the gateway sends it: whole seconds, at least one. */
export const RETRY_AFTER: HeaderObject = { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } };

/**
 * `session_store_unavailable` (src/redis/errors.ts): with REDIS_URL set, Redis did not
 * answer within a second. Possible on every route behind the session middleware (loading a
 * session named by a cookie), and wherever login transactions or logout records are kept.
 * Always with `Retry-After: 2`.
 */
export const STORE_UNAVAILABLE = 'session_store_unavailable';

export interface ProblemSpec {
  codes: readonly string[];
  description: string;
  /** Extension members some of the codes carry. */
  extensions?: Record<string, SchemaObject>;
  required?: string[];
  /** Routes a browser navigates to also answer a page when `Accept` prefers `text/html`. */
  html?: boolean;
  headers?: Record<string, HeaderObject>;
}

/** The problem+json schema of `status` with a `code` among `codes`. */
export function problemSchema(status: number, spec: Pick<ProblemSpec, 'codes' | 'extensions' | 'required'>): SchemaObject {
  return {
    allOf: [
      ref('schemas', 'Problem'),
      {
        properties: { status: { const: status }, code: { enum: [...spec.codes] }, ...spec.extensions },
        ...(spec.required ? { required: spec.required } : {}),
      },
    ],
  };
}

/** A problem+json response whose `code` is one of `codes`, listed in the description as well. */
export function problem(status: number, spec: ProblemSpec): ResponseObject {
  return {
    description: `${spec.description} \`code\`: ${codeList(spec.codes)}.`,
    headers: { ...NO_STORE, ...spec.headers },
    content: {
      'application/problem+json': { schema: problemSchema(status, spec) },
      ...(spec.html ? { 'text/html': HTML_PAGE } : {}),
    },
  };
}

/** A 503 that is only `session_store_unavailable`. */
export const storeUnavailable = (html = false): ResponseObject =>
  problem(503, {
    codes: [STORE_UNAVAILABLE],
    description: 'With REDIS_URL set: Redis did not answer within a second.',
    html,
    headers: { 'Retry-After': { ...RETRY_AFTER, required: true } },
  });

/** A 200 JSON answer of a component schema; never cached. */
export const ok = (description: string, schema: string): ResponseObject => ({
  description,
  headers: NO_STORE,
  content: { 'application/json': { schema: ref('schemas', schema) } },
});

export function redirect(description: string, headers: Record<string, HeaderObject | Reference> = {}): ResponseObject {
  const location: HeaderObject = { required: true, schema: { type: 'string', format: 'uri-reference' } };
  return { description, headers: { Location: location, ...headers, ...TRACED } };
}

export const header = (name: string, description: string, schema: SchemaObject, required = false): ParameterObject => ({
  name,
  in: 'header',
  description,
  required,
  schema,
});
export const ORIGIN = header('Origin', 'Sent by browsers; when present it must be PUBLIC_URL\'s origin or one of ALLOWED_ORIGINS.', { type: 'string' });
export const csrf = (required: boolean) => header('X-CSRF', 'Must be `1`: a header no cross-site form can send.', { const: '1' }, required);
export const setCookie = (description: string): HeaderObject => ({ description, schema: { type: 'string' } });

/** The limiters of src/http/rate-limit.ts: a one-minute fixed window, IETF draft-8 headers. */
export const rateLimited = (description: string): ResponseObject =>
  problem(429, {
    codes: ['rate_limited'],
    description,
    headers: {
      'Retry-After': { ...RETRY_AFTER, required: true },
      RateLimit: { description: 'Remaining quota (draft-ietf-httpapi-ratelimit-headers-08).', schema: { type: 'string' } },
      'RateLimit-Policy': { description: 'The quota policy (same draft).', schema: { type: 'string' } },
    },
  });

/** CORS preflight of a POST route that needs `X-CSRF` (which makes cross-origin calls preflighted). */
export function preflight(operationId: string): OperationObject {
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
  LogoutError: {
    type: 'object',
    description:
      'OIDC Back-Channel Logout 1.0 §2.8: an OAuth-style error for the IdP, not problem+json. ' +
      '`error_description` is a short reason, also logged.',
    required: ['error', 'error_description'],
    additionalProperties: false,
    properties: { error: { const: 'invalid_request' }, error_description: { type: 'string', minLength: 1 } },
  },
  SessionUser: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      email: { type: 'string', format: 'email' },
      picture: { type: 'string', format: 'uri', description: 'An http(s) URL.' },
      id: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{43}$',
        description:
          'Opaque, stable per user: base64url of HMAC-SHA256 of the OneTalk `customerUserID` under `USER_ID_SECRET` ' +
          '(else a key derived from `ONETALK_API_KEY`). `/livechat.js` compares it with the owner it recorded for the ' +
          'widget\'s tokens. Reveals nothing without the key, and `SESSION_SECRET` rotations do not change it. ' +
          'Absent only when the session cannot make a OneTalk user (then no ticket can be minted either).',
      },
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
  LogoutRedirect: {
    type: 'object',
    description: 'Where a script should navigate to finish signing out: the IdP\'s end-session URL, or `/`.',
    required: ['redirectTo'],
    additionalProperties: false,
    properties: { redirectTo: { type: 'string', format: 'uri-reference' } },
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

/** The `components` object; `sessionCookieName` follows PUBLIC_URL's scheme. */
export function components(sessionCookieName: string): OpenApiDocument['components'] {
  return {
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
        name: sessionCookieName,
        description:
          'The signed server-side session id (`onetalk.sid`; `__Host-onetalk.sid` when PUBLIC_URL is https), set by /auth/callback.',
      },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'METRICS_TOKEN (at least 32 visible ASCII characters), compared in constant time.',
      },
    },
  };
}
