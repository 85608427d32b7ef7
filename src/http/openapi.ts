/**
 * The gateway's HTTP contract (shared/DESIGN.md) as an OpenAPI 3.1 document, served at
 * `GET /openapi.json`. Written by hand beside the code it describes; the integration test
 * `test/integration/openapi-*.test.ts` checks real answers of the running gateway against it and
 * every `HttpProblem` code in `src/` against its `code` enums, so the two cannot drift silently.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { deepFreeze } from '../profile/index.js';
import { sessionCookieName } from '../session/index.js';
import { components } from './openapi-components.js';
import { paths } from './openapi-paths.js';
import type { OpenApiDocument } from './openapi-types.js';

export type {
  BearerSecurityScheme,
  CookieSecurityScheme,
  HeaderObject,
  HttpMethod,
  MediaTypeObject,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  PathItemObject,
  Reference,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from './openapi-types.js';

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
      version: '1.1.0',
      summary: 'Signs users in with OpenID Connect and mints OneTalk auth tickets server-side.',
      description: [
        'Errors are `application/problem+json` (RFC 9457) with a stable `code`; ' +
          'a client whose `Accept` prefers `text/html` gets the same facts as a page.',
        'Every answer carries `X-Request-Id`. Any other path answers 404 `not_found`; any route may answer 500 `internal_error`.',
        'With REDIS_URL set, every route that reads a session, a login transaction or a logout record answers 503 ' +
          '`session_store_unavailable` with `Retry-After` when Redis does not answer within a second.',
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(publicOrigin ? { servers: [{ url: publicOrigin, description: 'This gateway (PUBLIC_URL).' }] } : {}),
    tags: [
      { name: 'auth', description: 'Sign-in (OIDC code flow with PKCE), sign-out, the session and the IdP\'s back-channel logout.' },
      { name: 'livechat', description: 'The widget script and its tickets.' },
      { name: 'operations', description: 'Liveness and readiness probes, and metrics.' },
      { name: 'cors', description: 'Preflights for pages in ALLOWED_ORIGINS.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths: paths(),
    components: components(cookie),
  });
}

/** The document without a server URL or https cookie name, for tools and tests. */
export const openApiDocument: OpenApiDocument = buildOpenApiDocument();

/** `GET /openapi.json`: serialised once; cacheable for five minutes, with an ETag for revalidation. */
export function createOpenApiRouter(publicOrigin?: string): Router {
  const body = JSON.stringify(buildOpenApiDocument(publicOrigin));
  // Computed once: the app sends no automatic ETags (its dynamic answers are all no-store).
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const router = Router();
  router.get('/openapi.json', (req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('ETag', etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });
  return router;
}
