import type { Logger } from 'pino';
import { HttpProblem } from '../http/index.js';
import type { LoginError } from './oidc-errors.js';

const AGAIN = { loginUrl: '/auth/login' };

/**
 * What the browser hears when the exchange with the IdP fails; the log line carries the IdP's
 * own words (OAuth `error`, description, HTTP status), never the request that caused them. A
 * refusal of the gateway itself (its credentials, its registration) is not the user's doing: a
 * 502, never a 4xx they could fix by retrying.
 */
export function signInProblem(err: LoginError, log: Logger | undefined): HttpProblem {
  const fields = {
    loginError: err.kind,
    reason: err.reason,
    ...(err.oauth ? { idpError: err.oauth.error, idpErrorDescription: err.oauth.description, idpStatus: err.oauth.status } : {}),
  };
  if (err.kind === 'client_refused') {
    log?.error(fields, "the IdP refused the gateway's request (see idpError): check the client registration, OIDC_CLIENT_AUTH and its credentials");
  } else {
    log?.warn(fields, 'sign-in failed');
  }
  switch (err.kind) {
    case 'idp_unreachable':
      return new HttpProblem({ status: 502, code: 'idp_unreachable', title: 'Sign-in failed', detail: 'The identity provider could not be reached. Try again.' });
    case 'client_refused':
      return new HttpProblem({
        status: 502,
        code: 'idp_refused',
        title: 'Sign-in could not be completed',
        detail:
          'The identity provider refused to complete the sign-in for this site. This is not something you did; the request id helps support find the reason.',
      });
    case 'grant_refused':
      return new HttpProblem({
        status: 400,
        code: 'login_failed',
        title: 'Sign-in could not be completed',
        detail: 'The identity provider no longer accepts this sign-in attempt. Start again.',
        extra: AGAIN,
      });
    default:
      return new HttpProblem({
        status: 400,
        code: 'login_failed',
        title: 'Sign-in failed',
        detail: 'The identity provider response could not be verified. Start again.',
        extra: AGAIN,
      });
  }
}
