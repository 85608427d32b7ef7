import { Router, type Request, type RequestHandler } from 'express';
import * as client from 'openid-client';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeaderOrOrigin, type OriginPolicy } from '../http/index.js';
import { displayUser, mapClaims, ownerIdOfSession, pickSessionClaims } from '../profile/index.js';
import type { LoginTransactionStore, Sessions } from '../session/index.js';
import { loginBindingFor } from './binding.js';
import type { LoginSync } from './contact-on-sign-in.js';
import { LoginError, type OidcClient } from './oidc.js';
import type { Revalidator } from './revalidate.js';
import { safeReturnTo } from './return-to.js';
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
  /** Counts finished sign-ins (`auth_logins_total`); see src/http/metrics.ts. */
  metrics?: { login(result: 'succeeded' | 'failed'): void };
  /** Set when SYNC_CONTACT_ON_LOGIN is on: starts the contact sync in the background. */
  loginSync?: LoginSync | undefined;
  /** Re-validates sessions at the IdP; `GET /auth/session` starts a due refresh in the background. */
  revalidator?: Revalidator;
}

const idpNotReady = () =>
  new HttpProblem(503, 'idp_unavailable', 'Sign-in is unavailable', 'The identity provider is not reachable yet; try again shortly.');

const staleLogin = () =>
  new HttpProblem(
    400,
    'login_expired',
    'This sign-in attempt is no longer valid',
    'The sign-in link expired, was already used, or was not started in this browser. Start again.',
    { loginUrl: '/auth/login' },
  );

/** OAuth error codes are ASCII words; anything else is not echoed back. */
const safeErrorCode = (value: string | null) => (value && /^[a-z_]{1,64}$/.test(value) ? value : 'unknown_error');

/**
 * The `/auth` surface: the sign-in flow and the session read, each route with its full path and
 * its own guards, so the router is mounted at the app's root and reading this file tells
 * everything a request to `/auth` passes through. Handlers stay thin: OIDC work lives in
 * OidcClient. (Back-channel logout is server to server and has a router of its own.)
 */
export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { config, oidc, transactions, sessions, now } = deps;
  const binding = loginBindingFor(config, now);
  const router = Router();
  router.use('/auth', deps.cors);

  // The most frequent request first: every page load of an embedding site asks it.
  router.get('/auth/session', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const session = await sessions.read(req, res);
    // Answers with what it read; a due refresh runs on for the next request (fast page loads).
    if (session && deps.revalidator?.due(session)) deps.revalidator.inBackground(session, req.log);
    const user = session?.record.user;
    if (!user) {
      res.json({ authenticated: false });
      return;
    }
    const id = ownerIdOfSession(user.claims, config.profile.customerUserIdPrefix, config.userIdKey);
    res.json({ authenticated: true, user: { ...displayUser(user.claims, config.profile.mapping), ...(id === undefined ? {} : { id }) } });
  });

  // With an https PUBLIC_URL the session cookie is Secure, and a browser drops a Secure cookie
  // sent over a connection that is not TLS: sign-in would "succeed" and loop back signed out.
  // Say so instead of failing silently (behind a TLS proxy, TRUST_PROXY fixes it).
  const requireTls = (req: Request): void => {
    if (!config.secureCookies || req.secure) return;
    req.log?.error('PUBLIC_URL is https but this request did not arrive over TLS; behind a TLS-terminating proxy set TRUST_PROXY');
    throw new HttpProblem(500, 'gateway_misconfigured', 'Sign-in is misconfigured', 'The gateway cannot set its secure session cookie on this connection. Its operators will find the reason in the logs.');
  };

  router.get('/auth/login', deps.loginLimiter, async (req, res) => {
    requireTls(req);
    if (!oidc.ready) throw idpNotReady();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const bound = binding.ensure(req, res);
    await transactions.put(state, { codeVerifier, nonce, returnTo: safeReturnTo(req.query.returnTo), binding: bound, createdAt: now() });
    let url: URL;
    try {
      url = await oidc.authorizationUrl({ state, nonce, codeVerifier });
    } catch (err) {
      throw err instanceof LoginError ? signInProblem(err, req.log) : err;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });

  router.get('/auth/callback', async (req, res) => {
    // Every way out of the callback (redirect, 400 page, 502) is one finished sign-in attempt.
    res.once('finish', () => deps.metrics?.login(res.statusCode < 400 ? 'succeeded' : 'failed'));
    const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const params = new URLSearchParams(search);
    const state = params.get('state');
    // Only the browser that started this sign-in may use it, and so end it: the binding is
    // checked in the same step that takes (burns) the transaction. A callback is single-use.
    const bound = state ? binding.bindingOf(req) : undefined;
    const tx = state && bound ? await transactions.takeBound(state, bound) : undefined;
    if (!tx) throw staleLogin();
    if (params.has('error')) {
      const error = safeErrorCode(params.get('error'));
      req.log?.warn({ idpError: error }, 'IdP refused the sign-in');
      throw new HttpProblem(400, 'login_denied', 'Sign-in was not completed', `The identity provider answered "${error}".`, {
        loginUrl: '/auth/login',
        idpError: error,
      });
    }
    if (!oidc.ready) throw idpNotReady();
    let result;
    try {
      result = await oidc.completeLogin(search, { ...tx, state: state as string }, req.log);
    } catch (err) {
      throw err instanceof LoginError ? signInProblem(err, req.log) : err;
    }
    const mapped = mapClaims(result.claims, config.profile);
    if (!mapped.ok) {
      req.log?.warn({ reason: mapped.code }, 'profile refused');
      throw new HttpProblem(400, 'profile_refused', 'This account cannot use live chat', mapped.message);
    }
    requireTls(req);
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
    // Checked again where it is used: a transaction stored by an earlier version may hold a path
    // that older rules let through.
    res.redirect(303, safeReturnTo(tx.returnTo));
  });

  router.post('/auth/logout', requireCsrfHeaderOrOrigin(deps.originPolicy), async (req, res) => {
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
      res.json({ redirectTo });
      return;
    }
    res.redirect(303, redirectTo);
  });

  return router;
}
