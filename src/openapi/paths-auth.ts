/**
 * The `/auth` routes of the document: sign-in (src/auth/routes.ts) and the IdP's back-channel
 * logout (src/auth/backchannel-router.ts).
 */
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BACKCHANNEL_LOGOUT_PATH } from '../auth/backchannel-router.js';
import { backchannelLogoutFormSchema, logoutErrorSchema, logoutRedirectSchema, sessionStateSchema } from '../auth/schemas.js';
import { noStore, retryAfter } from './headers.js';
import { problem, problemOf, rateLimited, STORE_UNAVAILABLE, storeUnavailable } from './problems.js';
import { COOKIE_OPTIONAL, csrfHeaders, INTERNAL, ok, preflight, PUBLIC, redirect, REQUEST_ID, setCookie } from './responses.js';

const loginUrl = z.string().meta({ format: 'uri-reference' }).describe('Where to start signing in again.');

const login: RouteConfig = {
  method: 'get',
  path: '/auth/login',
  operationId: 'startLogin',
  tags: ['auth'],
  summary: 'Start signing in at the OpenID Provider',
  description:
    'Authorization code flow with PKCE S256, `state` and `nonce`; the redirect URI is PUBLIC_URL/auth/callback. ' +
    'In this order: the rate limit (per client IP, or per user for a browser that signed in here before), the connection must be TLS ' +
    'when PUBLIC_URL is https, OIDC discovery must be done, then the login transaction is stored.',
  security: PUBLIC,
  parameters: [REQUEST_ID],
  request: {
    query: z.object({
      returnTo: z
        .string()
        .max(2048)
        .optional()
        .describe(
          'Where to land after sign-in: a same-origin relative path, checked after dot segments (also `%2e`) are resolved. ' +
            'Anything else (`//…`, `/..//…`, `/\\…`, control characters, absolute URLs) becomes `/`.',
        ),
    }),
  },
  responses: {
    303: redirect("To the IdP's authorization endpoint (with PAR: carrying only `client_id` and `request_uri`).", {
      'Set-Cookie': setCookie(
        'The login cookie (`onetalk.login`, `__Host-onetalk.login` over https), signed by the gateway: it ties the callback to this ' +
          'browser and, once a sign-in finished here, charges later starts to that user instead of the client IP.',
      ),
      'Cache-Control': { $ref: '#/components/headers/NoStore' },
    }),
    429: rateLimited(
      'Too many sign-in starts in a minute: from this client IP by browsers without a login cookie of an earlier sign-in, ' +
        'or by this user from browsers that signed in before.',
    ),
    502: problem(502, {
      codes: ['idp_unreachable', 'idp_refused'],
      description: "With PAR, the IdP's pushed-authorization endpoint could not be reached (`idp_unreachable`) or refused the gateway (`idp_refused`).",
      html: true,
    }),
    503: problem(503, {
      codes: ['idp_unavailable', 'rate_limit_unavailable', STORE_UNAVAILABLE, 'login_capacity_reached'],
      description:
        'OIDC discovery has not succeeded yet (it retries in the background), the shared rate-limit store is unreachable, ' +
        'Redis (which holds the login transactions) did not answer, or the in-memory store holds as many pending sign-ins as it may ' +
        '(`login_capacity_reached`; a pending sign-in is never pushed out). `Retry-After` comes with all but the first.',
      html: true,
      headers: { 'Retry-After': retryAfter() },
    }),
    500: problem(500, {
      codes: ['gateway_misconfigured', 'internal_error'],
      description:
        'PUBLIC_URL is https but the request did not arrive over TLS as Express sees it (behind a TLS proxy, set TRUST_PROXY), ' +
        'so the Secure session cookie could not be set (`gateway_misconfigured`, logged as an error); or an unexpected failure.',
      html: true,
    }),
  },
};

const authorizationResponse = (name: string) => z.string().optional().describe(`OAuth 2.0 authorization response member \`${name}\`.`);

const callback: RouteConfig = {
  method: 'get',
  path: '/auth/callback',
  operationId: 'completeLogin',
  tags: ['auth'],
  summary: "The IdP's redirect back: finish signing in",
  description:
    'Single-use: checks state and the binding cookie in one step (a callback from another browser leaves the pending sign-in in place), ' +
    'then PKCE, nonce and issuer; exchanges the code, reads userinfo and starts a session under a new id.',
  security: PUBLIC,
  parameters: [REQUEST_ID],
  request: {
    query: z.object(Object.fromEntries(['code', 'state', 'iss', 'error', 'error_description'].map((name) => [name, authorizationResponse(name)]))),
  },
  responses: {
    303: redirect('Signed in: to the `returnTo` path given to /auth/login.', {
      'Set-Cookie': setCookie('The session cookie (see the `sessionCookie` security scheme), and the login cookie, now naming the user.'),
    }),
    400: problem(400, {
      codes: ['login_expired', 'login_denied', 'login_failed', 'profile_refused'],
      description:
        'Unknown, used or foreign `state` (`login_expired`); the IdP answered an error, named in `idpError` (`login_denied`); ' +
        'the answer could not be verified, or the IdP no longer accepts the code (`login_failed`); the profile cannot be mapped to OneTalk (`profile_refused`).',
      extensions: { loginUrl: loginUrl.optional(), idpError: z.string().regex(/^[a-z_]{1,64}$/).optional() },
      html: true,
    }),
    502: problem(502, {
      codes: ['idp_unreachable', 'idp_refused'],
      description:
        'The token or userinfo endpoint could not be reached (`idp_unreachable`), or the token endpoint refused the gateway itself, ' +
        "e.g. `invalid_client` (`idp_refused`; the IdP's error, description and HTTP status are logged).",
      html: true,
    }),
    503: problem(503, {
      codes: ['idp_unavailable', STORE_UNAVAILABLE],
      description:
        'OIDC discovery has not succeeded yet (it retries in the background), or the session store (Redis) did not answer; ' +
        '`Retry-After` comes with the latter.',
      html: true,
      headers: { 'Retry-After': retryAfter() },
    }),
    500: INTERNAL,
  },
};

const logout: RouteConfig = {
  method: 'post',
  path: '/auth/logout',
  operationId: 'logout',
  tags: ['auth'],
  summary: 'Sign out',
  description:
    'Destroys the server-side session and clears its cookie. CSRF-guarded: send `X-CSRF: 1`, or post a form from a trusted page (browsers send `Origin`).',
  security: COOKIE_OPTIONAL,
  parameters: [REQUEST_ID],
  request: {
    headers: csrfHeaders(false),
    body: { required: false, description: 'Ignored.', content: { 'application/x-www-form-urlencoded': { schema: z.object({}) } } },
  },
  responses: {
    200: ok('To a script that sent `X-CSRF: 1` and `Accept: application/json`: where to navigate to finish signing out.', logoutRedirectSchema),
    303: redirect("To the IdP's end-session endpoint when it has one (with the session's ID token as `id_token_hint`), else `/`.", {
      'Set-Cookie': setCookie('Clears the session cookie.'),
      'Cache-Control': { $ref: '#/components/headers/NoStore' },
    }),
    403: problem(403, {
      codes: ['origin_forbidden', 'csrf_header_missing'],
      description: 'An untrusted `Origin`, or neither `X-CSRF: 1` nor an `Origin`.',
      html: true,
    }),
    503: storeUnavailable(true),
    500: INTERNAL,
  },
};

const session: RouteConfig = {
  method: 'get',
  path: '/auth/session',
  operationId: 'getSession',
  tags: ['auth'],
  summary: 'Who is signed in',
  security: COOKIE_OPTIONAL,
  parameters: [REQUEST_ID],
  responses: {
    200: ok('Never sets a cookie for an anonymous visitor.', sessionStateSchema),
    503: storeUnavailable(),
    500: INTERNAL,
  },
};

const backchannelLogout: RouteConfig = {
  method: 'post',
  path: BACKCHANNEL_LOGOUT_PATH,
  operationId: 'backchannelLogout',
  tags: ['auth'],
  summary: 'The IdP ends sessions, server to server (OIDC Back-Channel Logout 1.0)',
  description:
    'No session, CORS or CSRF layer: the signed logout token is the only credential. It is verified against the discovered issuer ' +
    'and `jwks_uri` (asymmetric algorithms only), must name this client in `aud`, carry the back-channel logout event, `jti`, `iat`, ' +
    'and `sid` or `sub`, and is accepted once. Ends the sessions of that IdP session (`sid`) or of that user (`sub`).',
  security: PUBLIC,
  parameters: [REQUEST_ID],
  request: {
    body: {
      required: true,
      description: 'A form of at most 16 KiB and 10 parameters; any other media type is not read (and so lacks `logout_token`).',
      content: { 'application/x-www-form-urlencoded': { schema: backchannelLogoutFormSchema } },
    },
  },
  responses: {
    200: { description: 'The matching sessions are gone (also when none matched). Empty body.', headers: noStore() },
    400: {
      description:
        'The token is missing, invalid or already used: `{error: "invalid_request", error_description}` as the spec asks. ' +
        'A body that could not be read is the usual problem+json, `code`: `body_malformed`, `request_aborted`.',
      headers: noStore(),
      content: {
        'application/json': { schema: logoutErrorSchema },
        'application/problem+json': { schema: problemOf(400, ['body_malformed', 'request_aborted']) },
      },
    },
    413: problem(413, { codes: ['body_too_large'], description: 'The form is over 16 KiB or has more than 10 parameters.' }),
    415: problem(415, { codes: ['unsupported_encoding'], description: 'A charset or content encoding the form parser does not know.' }),
    503: problem(503, {
      codes: ['idp_unavailable', STORE_UNAVAILABLE],
      description:
        "OIDC discovery has not succeeded yet or the IdP's key set could not be read, or the session store (Redis) did not answer; " +
        'the IdP may retry the same token. `Retry-After` comes with the latter.',
      headers: { 'Retry-After': retryAfter() },
    }),
    500: INTERNAL,
  },
};

/** The `/auth` routes, preflight included. */
export const authRoutes = (): RouteConfig[] => [login, callback, logout, preflight('/auth/logout', 'logoutPreflight'), session, backchannelLogout];
