import { Router, type Request, type RequestHandler, type Response } from 'express';
import * as client from 'openid-client';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeaderOrOrigin, type OriginPolicy } from '../http/index.js';
import { displayUser, mapClaims, ownerIdOfSession, pickSessionClaims } from '../profile/index.js';
import type { LoginTransactionStore, Sessions } from '../session/index.js';
import { loginBindingFor, type LoginBinding } from './binding.js';
import type { LoginSync } from './contact-on-sign-in.js';
import { LoginError, type LoginResult, type OidcClient } from './oidc.js';
import type { Revalidator } from './revalidate.js';
import { safeReturnTo } from './return-to.js';
import type { LogoutRedirect, SessionState } from './schemas.js';
import { signInProblem } from './sign-in-problem.js';

export interface AuthRouterDeps {
  config: Config;
  oidc: OidcClient;
  transactions: LoginTransactionStore;
  sessions: Sessions;
  originPolicy: OriginPolicy;
  /** CORS for ALLOWED_ORIGINS, on every /auth route (its preflight too). */
  cors: RequestHandler;
  /** Sign-in starts per client IP or per user (see src/http/rate-limit.ts), before any work. */
  loginLimiter: RequestHandler;
  now: () => number;
  /** Counts finished sign-ins (`auth_logins_total`); see src/ops/metrics.ts. */
  metrics?: { login(result: 'succeeded' | 'failed'): void };
  /** Set when SYNC_CONTACT_ON_LOGIN is on: starts the contact sync in the background. */
  loginSync?: LoginSync | undefined;
  /** Re-validates sessions at the IdP; `GET /auth/session` starts a due refresh in the background. */
  revalidator?: Revalidator;
}

const idpNotReady = () =>
  new HttpProblem({
    status: 503,
    code: 'idp_unavailable',
    title: 'Sign-in is unavailable',
    detail: 'The identity provider is not reachable yet; try again shortly.',
  });

const staleLogin = () =>
  new HttpProblem({
    status: 400,
    code: 'login_expired',
    title: 'This sign-in attempt is no longer valid',
    detail: 'The sign-in link expired, was already used, or was not started in this browser. Start again.',
    extra: { loginUrl: '/auth/login' },
  });

/** OAuth error codes are ASCII words; anything else is not echoed back. */
const safeErrorCode = (value: string | null) => (value && /^[a-z_]{1,64}$/.test(value) ? value : 'unknown_error');

/**
 * The `/auth` surface: the sign-in flow and the session read, each route with its full path and
 * its own guards, so the router is mounted at the app's root and reading this file tells
 * everything a request to `/auth` passes through. Handlers stay thin: OIDC work lives in
 * OidcClient. (Back-channel logout is server to server and has a router of its own.)
 */
export function createAuthRouter(deps: AuthRouterDeps): Router {
  const binding = loginBindingFor(deps.config, deps.now);
  const router = Router();
  router.use('/auth', deps.cors);
  // The most frequent request first: every page load of an embedding site asks it.
  router.get('/auth/session', readSession(deps));
  router.get('/auth/login', deps.loginLimiter, startLogin(deps, binding));
  router.get('/auth/callback', completeLogin(deps, binding));
  router.post('/auth/logout', requireCsrfHeaderOrOrigin(deps.originPolicy), logout(deps));
  return router;
}

/** `GET /auth/session`: who is signed in, from what the session holds. */
function readSession({ config, sessions, revalidator }: AuthRouterDeps): RequestHandler {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const session = await sessions.read(req, res);
    // Answers with what it read; a due refresh runs on for the next request (fast page loads).
    if (session && revalidator?.due(session)) revalidator.inBackground(session, req.log);
    const user = session?.record.user;
    if (!user) {
      res.json({ authenticated: false } satisfies SessionState);
      return;
    }
    const id = ownerIdOfSession(user.claims, config.profile.customerUserIdPrefix, config.userIdKey);
    const display = displayUser(user.claims, config.profile.mapping);
    res.json({ authenticated: true, user: { ...display, ...(id === undefined ? {} : { id }) } } satisfies SessionState);
  };
}

/**
 * With an https PUBLIC_URL the session cookie is Secure, and a browser drops a Secure cookie
 * sent over a connection that is not TLS: sign-in would "succeed" and loop back signed out.
 * Say so instead of failing silently (behind a TLS proxy, TRUST_PROXY fixes it).
 */
function requireTls(config: Config, req: Request): void {
  if (!config.secureCookies || req.secure) return;
  req.log?.error('PUBLIC_URL is https but this request did not arrive over TLS; behind a TLS-terminating proxy set TRUST_PROXY');
  throw new HttpProblem({
    status: 500,
    code: 'gateway_misconfigured',
    title: 'Sign-in is misconfigured',
    detail: 'The gateway cannot set its secure session cookie on this connection. Its operators will find the reason in the logs.',
  });
}

/** An IdP exchange that failed is the browser's problem page; anything else is the error handler's. */
const asSignInProblem = (err: unknown, req: Request): unknown => (err instanceof LoginError ? signInProblem(err, req.log) : err);

/** `GET /auth/login`: stores a login transaction bound to this browser, then off to the IdP. */
function startLogin({ config, oidc, transactions, now }: AuthRouterDeps, binding: LoginBinding): RequestHandler {
  return async (req, res) => {
    requireTls(config, req);
    if (!oidc.ready) throw idpNotReady();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const bound = binding.ensure(req, res);
    await transactions.put(state, { codeVerifier, nonce, returnTo: safeReturnTo(req.query.returnTo), binding: bound, createdAt: now() });
    const url = await oidc.authorizationUrl({ state, nonce, codeVerifier }).catch((err: unknown) => {
      throw asSignInProblem(err, req);
    });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  };
}

/**
 * Only the browser that started this sign-in may use it, and so end it: the binding is checked
 * in the same step that takes (burns) the transaction. A callback is single-use.
 */
async function takeTransaction(deps: AuthRouterDeps, binding: LoginBinding, req: Request, state: string | null) {
  const bound = state ? binding.bindingOf(req) : undefined;
  const tx = state && bound ? await deps.transactions.takeBound(state, bound) : undefined;
  if (!tx || !state) throw staleLogin();
  return { ...tx, state };
}

/** The IdP said no (`?error=`): named in the answer, as an ASCII word at most. */
function refuseIdpError(req: Request, params: URLSearchParams): void {
  if (!params.has('error')) return;
  const error = safeErrorCode(params.get('error'));
  req.log?.warn({ idpError: error }, 'IdP refused the sign-in');
  throw new HttpProblem({
    status: 400,
    code: 'login_denied',
    title: 'Sign-in was not completed',
    detail: `The identity provider answered "${error}".`,
    extra: { loginUrl: '/auth/login', idpError: error },
  });
}

/** `GET /auth/callback`: checks, exchanges the code, starts the session, back to `returnTo`. */
function completeLogin(deps: AuthRouterDeps, binding: LoginBinding): RequestHandler {
  const { config, oidc } = deps;
  return async (req, res) => {
    // Every way out of the callback (redirect, 400 page, 502) is one finished sign-in attempt.
    res.once('finish', () => deps.metrics?.login(res.statusCode < 400 ? 'succeeded' : 'failed'));
    const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const params = new URLSearchParams(search);
    const tx = await takeTransaction(deps, binding, req, params.get('state'));
    refuseIdpError(req, params);
    if (!oidc.ready) throw idpNotReady();
    const result = await oidc.completeLogin(search, tx, req.log).catch((err: unknown) => {
      throw asSignInProblem(err, req);
    });
    const mapped = mapClaims(result.claims, config.profile);
    if (!mapped.ok) {
      req.log?.warn({ reason: mapped.code }, 'profile refused');
      throw new HttpProblem({ status: 400, code: 'profile_refused', title: 'This account cannot use live chat', detail: mapped.message });
    }
    requireTls(config, req);
    await startSession(deps, binding, req, res, result);
    // Checked again where it is used: a transaction stored by an earlier version may hold a path
    // that older rules let through.
    res.redirect(303, safeReturnTo(tx.returnTo));
  };
}

/** The sign-in's session, under a new id; from now on this browser's sign-ins count for this user. */
async function startSession(deps: AuthRouterDeps, binding: LoginBinding, req: Request, res: Response, result: LoginResult): Promise<void> {
  const { config, sessions } = deps;
  const refused = await sessions.signIn(
    req,
    res,
    { claims: pickSessionClaims(result.claims, config.profile.mapping), ...(result.sid ? { sid: result.sid } : {}) },
    // Sealed under the new session id by the session layer; the fields are read one by one
    // because the wrapper serializes as [redacted].
    { issuedAt: result.issuedAt, tokens: { idToken: result.tokens.idToken, refreshToken: result.tokens.refreshToken } },
  );
  if (refused) {
    // A back-channel logout for this user or IdP session arrived while this sign-in was in flight.
    req.log?.warn('sign-in ended by a logout at the IdP while it was in progress');
    throw staleLogin();
  }
  // From now on this browser's sign-in starts are charged to this user, not to its IP.
  if (typeof result.claims.sub === 'string') binding.markSignedIn(req, res, { issuer: config.oidc.issuerUrl, subject: result.claims.sub });
  req.log?.info('sign-in succeeded');
  deps.loginSync?.(result.claims, req.log); // returns at once: the redirect never waits for OneTalk
}

/** `POST /auth/logout`: ends the session here, then at the IdP when it has an end-session endpoint. */
function logout({ config, oidc, sessions }: AuthRouterDeps): RequestHandler {
  return async (req, res) => {
    // The ID token is the IdP's `id_token_hint` (without it some IdPs keep their own session);
    // read it before the session, and with it the sealed tokens, is gone.
    const id = sessions.idOf(req);
    const idToken = id === undefined ? undefined : (await sessions.tokens(id))?.idToken;
    await sessions.signOut(req, res);
    const redirectTo = oidc.endSessionUrl(`${config.publicOrigin}/`, idToken)?.href ?? '/';
    res.setHeader('Cache-Control', 'no-store');
    // A script (the widget's signOut, with X-CSRF) asks for JSON and navigates itself: fetch cannot
    // carry a redirect into a page, and a form post from a no-referrer page has `Origin: null`.
    if (req.get('x-csrf') === '1' && req.accepts(['html', 'json']) === 'json') {
      res.json({ redirectTo } satisfies LogoutRedirect);
      return;
    }
    res.redirect(303, redirectTo);
  };
}
