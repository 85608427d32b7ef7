import { Router } from 'express';
import * as client from 'openid-client';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeaderOrOrigin, type OriginPolicy } from '../http/index.js';
import { displayUser, mapClaims, ownerIdOfClaims, pickSessionClaims } from '../profile/index.js';
import { clearSessionCookie, destroySession, startAuthenticatedSession } from '../session/index.js';
import { bindingMatches, ensureBinding } from './binding.js';
import type { LoginSync } from './login-sync.js';
import { LoginError, type OidcClient } from './oidc.js';
import { safeReturnTo } from './return-to.js';
import type { TransactionStore } from './transactions.js';

export interface AuthRouterDeps {
  config: Config;
  oidc: OidcClient;
  transactions: TransactionStore;
  originPolicy: OriginPolicy;
  now: () => number;
  /** Counts finished sign-ins (`auth_logins_total`); see src/http/metrics.ts. */
  metrics?: { login(result: 'succeeded' | 'failed'): void };
  /** Set when SYNC_CONTACT_ON_LOGIN is on: starts the contact sync in the background. */
  loginSync?: LoginSync | undefined;
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

/** Routes of the sign-in flow. Handlers stay thin: OIDC work lives in OidcClient. */
export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { config, oidc, transactions, now } = deps;
  const router = Router();

  router.get('/login', async (req, res) => {
    // With an https PUBLIC_URL the session cookie is Secure, and express-session will not set it
    // on a connection it does not see as TLS: sign-in would "succeed" and loop back signed out.
    // Say so instead of failing silently (behind a TLS proxy, TRUST_PROXY fixes it).
    if (config.secureCookies && !req.secure) {
      req.log?.error('PUBLIC_URL is https but this request did not arrive over TLS; behind a TLS-terminating proxy set TRUST_PROXY');
      throw new HttpProblem(500, 'gateway_misconfigured', 'Sign-in is misconfigured', 'The gateway cannot set its secure session cookie on this connection. Its operators will find the reason in the logs.');
    }
    if (!oidc.ready) throw idpNotReady();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const binding = ensureBinding(req, res, config.secureCookies, config.session.loginTransactionTtlMs);
    await transactions.put(state, { codeVerifier, nonce, returnTo: safeReturnTo(req.query.returnTo), binding, createdAt: now() });
    const url = await oidc.authorizationUrl({ state, nonce, codeVerifier });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.href);
  });

  router.get('/callback', async (req, res) => {
    // Every way out of the callback (redirect, 400 page, 502) is one finished sign-in attempt.
    res.once('finish', () => deps.metrics?.login(res.statusCode < 400 ? 'succeeded' : 'failed'));
    const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const params = new URLSearchParams(search);
    const state = params.get('state');
    // Take (and so burn) the transaction before anything else: a callback is single-use.
    const tx = state ? await transactions.take(state) : undefined;
    if (!tx || !bindingMatches(req, config.secureCookies, tx.binding)) throw staleLogin();
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
      result = await oidc.completeLogin(search, { ...tx, state: state as string });
    } catch (err) {
      if (!(err instanceof LoginError)) throw err;
      req.log?.warn({ loginError: err.kind, reason: err.reason }, 'sign-in failed');
      if (err.kind === 'idp_unreachable') {
        throw new HttpProblem(502, 'idp_unreachable', 'Sign-in failed', 'The identity provider could not be reached. Try again.');
      }
      throw new HttpProblem(400, 'login_failed', 'Sign-in failed', 'The identity provider response could not be verified. Start again.', {
        loginUrl: '/auth/login',
      });
    }
    const mapped = mapClaims(result.claims, config.profile);
    if (!mapped.ok) {
      req.log?.warn({ reason: mapped.code }, 'profile refused');
      throw new HttpProblem(400, 'profile_refused', 'This account cannot use live chat', mapped.message);
    }
    await startAuthenticatedSession(req, {
      user: {
        claims: pickSessionClaims(result.claims, config.profile.mapping),
        ...(result.sid ? { sid: result.sid } : {}),
      },
    });
    req.log?.info('sign-in succeeded');
    deps.loginSync?.(result.claims, req.log); // returns at once: the redirect never waits for OneTalk
    res.redirect(303, tx.returnTo);
  });

  router.post('/logout', requireCsrfHeaderOrOrigin(deps.originPolicy), async (req, res) => {
    await destroySession(req);
    clearSessionCookie(res, config.secureCookies);
    const redirectTo = oidc.endSessionUrl(`${config.publicOrigin}/`)?.href ?? '/';
    res.setHeader('Cache-Control', 'no-store');
    // A script (the widget's signOut, with X-CSRF) asks for JSON and navigates itself: fetch cannot
    // carry a redirect into a page, and a form post from a no-referrer page has `Origin: null`.
    if (req.get('x-csrf') === '1' && req.accepts(['html', 'json']) === 'json') {
      res.json({ redirectTo });
      return;
    }
    res.redirect(303, redirectTo);
  });

  router.get('/session', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const user = req.session?.user;
    if (!user) {
      res.json({ authenticated: false });
      return;
    }
    const id = ownerIdOfClaims(user.claims, config.profile, config.userIdKey);
    res.json({ authenticated: true, user: { ...displayUser(user.claims, config.profile.mapping), ...(id === undefined ? {} : { id }) } });
  });

  return router;
}
