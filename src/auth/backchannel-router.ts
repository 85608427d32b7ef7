import express, { Router } from 'express';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { HttpProblem } from '../http/problem.js';
import type { ReplayGuard, SessionStore } from '../session/index.js';
import { LogoutTokenError, verifyLogoutToken } from './backchannel.js';
import type { OidcClient } from './oidc.js';
import { backchannelLogoutFormSchema, type LogoutError } from './schemas.js';

/** What the back-channel logout route needs. */
export interface BackchannelRouterDeps {
  /** Issuer and `jwks_uri` come from its discovery. */
  oidc: Pick<OidcClient, 'serverMetadata'>;
  clientId: string;
  /** Ends the sessions a logout token names (and refuses sign-ins still in flight for them). */
  sessions: Pick<SessionStore, 'revoke'>;
  replay: ReplayGuard;
  /**
   * How long a revocation is remembered, in ms: longer than any sign-in can be in flight (a
   * login transaction's lifetime), so one that started before the logout cannot finish after it.
   */
  rememberMs: number;
  now?: () => number;
}

export const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';

/**
 * `POST /auth/backchannel-logout`: the IdP, server to server, tells the gateway that an IdP
 * session (or every session of a user) has ended. No session middleware, CORS or CSRF check:
 * no browser is involved, and the signed logout token is the only credential that counts.
 *
 * Answers per the spec: 200 with `Cache-Control: no-store` once the matching sessions are gone
 * (also when none matched: the IdP's goal is reached); 400 `{error, error_description}` for a
 * token that must be refused, with a short reason that is also logged. The IdP's key set
 * being unreachable or Redis being down is not the token's fault: 503, so the IdP may retry.
 */
export function createBackchannelLogoutRouter(deps: BackchannelRouterDeps): Router {
  const router = Router();
  let jwks: { uri: string; keys: JWTVerifyGetKey } | undefined;

  // Signing keys from the discovered jwks_uri; jose caches them and refetches for an unknown kid.
  const keysFor = (uri: string): JWTVerifyGetKey => {
    if (jwks?.uri !== uri) jwks = { uri, keys: createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000 }) };
    return jwks.keys;
  };

  router.post(
    BACKCHANNEL_LOGOUT_PATH,
    // A logout token is a few hundred bytes of form data; nothing else is parsed on this route.
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }),
    async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const refuse = (reason: string) => {
        req.log?.warn({ reason }, 'back-channel logout refused');
        res.status(400).json({ error: 'invalid_request', error_description: reason } satisfies LogoutError);
      };
      const metadata = deps.oidc.serverMetadata();
      if (!metadata?.jwks_uri) {
        throw new HttpProblem({
          status: 503,
          code: 'idp_unavailable',
          title: 'Logout is unavailable',
          detail: 'The identity provider has not been discovered yet.',
        });
      }
      const form = backchannelLogoutFormSchema.safeParse(req.body);
      if (!form.success) return refuse('missing logout_token');
      const token = form.data.logout_token;

      let verified;
      try {
        verified = await verifyLogoutToken(token, {
          issuer: metadata.issuer,
          clientId: deps.clientId,
          keys: keysFor(metadata.jwks_uri),
          ...(deps.now ? { now: deps.now } : {}),
        });
      } catch (err) {
        if (err instanceof LogoutTokenError) return refuse(err.reason);
        throw new HttpProblem({
          status: 503,
          code: 'idp_unavailable',
          title: 'Logout is unavailable',
          detail: 'The identity provider keys could not be read.',
          cause: err,
        });
      }

      // Claim the jti first, atomically, so two deliveries of one token cannot both pass.
      if (!(await deps.replay.firstUse(verified.jti, verified.replayWindowMs))) return refuse('logout token already used');
      let ended: number;
      try {
        ended = await deps.sessions.revoke({ target: verified.target, issuedAt: verified.issuedAt, rememberMs: deps.rememberMs });
      } catch (err) {
        // Nothing was ended: let the IdP's retry of this very token through.
        await deps.replay.release(verified.jti).catch(() => undefined);
        throw err;
      }
      req.log?.info({ ended, by: verified.target.sid !== undefined ? 'sid' : 'sub' }, 'back-channel logout');
      res.status(200).end();
    },
  );
  return router;
}
