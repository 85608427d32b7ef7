import { Router } from 'express';
import * as client from 'openid-client';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeaderOrOrigin, type OriginPolicy } from '../http/index.js';
import { displayUser, mapClaims, pickSessionClaims } from '../profile/index.js';
import { clearSessionCookie, destroySession, startAuthenticatedSession } from '../session/index.js';
import { bindingMatches, ensureBinding } from './binding.js';
import { LoginError, type OidcClient } from './oidc.js';
import { safeReturnTo } from './return-to.js';
import type { TransactionStore } from './transactions.js';

export interface AuthRouterDeps {
  config: Config;
  oidc: OidcClient;
  transactions: TransactionStore;
  originPolicy: OriginPolicy;
  now: () => number;
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
    res.redirect(303, tx.returnTo);
  });

  router.post('/logout', requireCsrfHeaderOrOrigin(deps.originPolicy), async (req, res) => {
    await destroySession(req);
    clearSessionCookie(res, config.secureCookies);
    const endSession = oidc.endSessionUrl(`${config.publicOrigin}/`);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, endSession?.href ?? '/');
  });

  router.get('/session', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const user = req.session?.user;
    if (!user) {
      res.json({ authenticated: false });
      return;
    }
    res.json({ authenticated: true, user: displayUser(user.claims) });
  });

  return router;
}
