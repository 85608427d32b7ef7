import * as client from 'openid-client';

/**
 * openid-client's failures sorted into what the gateway does about them. Every field here is safe
 * to log: the IdP's OAuth `error` code, its description (trimmed, control characters removed) and
 * the HTTP status. Never a request body, so never the client secret, a code or a token.
 */
export interface IdpFailure {
  /**
   * - `unreachable`: no answer in time, the connection failed, or the IdP answered 5xx /
   *   `temporarily_unavailable`: trying later may work.
   * - `oauth_error`: the IdP answered a 4xx OAuth error (`invalid_client`, `invalid_grant`, …).
   * - `invalid_response`: an answer the gateway cannot trust or use (ID token checks, shapes).
   */
  kind: 'unreachable' | 'oauth_error' | 'invalid_response';
  /** A short description for the log. */
  reason: string;
  /** The IdP's own words, when it answered an OAuth error. */
  oauth?: { error: string; description?: string; status: number };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'OAUTH_TIMEOUT', 'OAUTH_ABORT']);

function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** IdP text goes to logs only; keep it one bounded line. */
function clean(text: unknown, max: number): string | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, max);
}

function oauthFailure(error: unknown, description: unknown, status: number): IdpFailure {
  const code = clean(error, 64) ?? 'unknown_error';
  const oauth = { error: code, status, ...(clean(description, 300) ? { description: clean(description, 300) as string } : {}) };
  const busy = status >= 500 || code === 'temporarily_unavailable' || code === 'server_error';
  return { kind: busy ? 'unreachable' : 'oauth_error', reason: `the IdP answered ${status} ${code}`, oauth };
}

/** Sorts any error openid-client threw; `what` names the call for the log ("token endpoint"). */
export function describeIdpFailure(err: unknown, what: string): IdpFailure {
  if (err instanceof client.ResponseBodyError) return oauthFailure(err.error, err.error_description, err.status);
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const challenge = err.cause.find((c) => typeof c.parameters.error === 'string') ?? err.cause[0];
    return oauthFailure(challenge?.parameters.error ?? `${challenge?.scheme ?? 'unknown'}_challenge`, challenge?.parameters.error_description, err.status);
  }
  if (err instanceof client.AuthorizationResponseError) return oauthFailure(err.error, err.error_description, 400);
  if (isNetworkFailure(err)) return { kind: 'unreachable', reason: `the ${what} could not be reached in time` };
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  // Not OAuth-shaped (an HTML error page, a proxy's 502): the status still tells busy from broken.
  if (cause instanceof Response) {
    const kind = cause.status >= 500 || cause.status === 429 ? 'unreachable' : 'invalid_response';
    return { kind, reason: `the ${what} answered HTTP ${cause.status} (${typeof code === 'string' ? code : 'unexpected response'})` };
  }
  const message = clean((err as Error)?.message, 200) ?? 'unknown error';
  return { kind: 'invalid_response', reason: `${what}: ${typeof code === 'string' ? `${code}: ` : ''}${message}` };
}

/** Raised for every failure of a sign-in at the IdP; its fields are safe to log, never shown raw. */
export class LoginError extends Error {
  override readonly name = 'LoginError';
  /** The IdP's OAuth error, description and HTTP status, when it answered one. */
  readonly oauth: IdpFailure['oauth'];

  constructor(
    /**
     * - `idp_error`: the IdP redirected back with an OAuth error.
     * - `client_refused`: the token or PAR endpoint refused the gateway itself (`invalid_client`,
     *   `unauthorized_client`, …): a configuration problem at the gateway or the IdP.
     * - `grant_refused`: the token endpoint refused this sign-in's code (`invalid_grant`): expired,
     *   used, or not this browser's; starting again fixes it.
     * - `exchange_failed`: an answer that failed verification (ID token, userinfo subject).
     * - `idp_unreachable`: no usable answer in time.
     */
    readonly kind: 'idp_error' | 'client_refused' | 'grant_refused' | 'exchange_failed' | 'idp_unreachable',
    readonly reason: string,
    options?: { cause?: unknown; oauth?: IdpFailure['oauth'] },
  ) {
    super(`${kind}: ${reason}`, options);
    this.oauth = options?.oauth;
  }

  /** A LoginError from a sorted failure at the token or PAR endpoint. */
  static from(err: unknown, what: string): LoginError {
    const failure = describeIdpFailure(err, what);
    const options = { cause: err, ...(failure.oauth ? { oauth: failure.oauth } : {}) };
    if (failure.kind === 'unreachable') return new LoginError('idp_unreachable', failure.reason, options);
    if (failure.kind === 'invalid_response') return new LoginError('exchange_failed', failure.reason, options);
    if (err instanceof client.AuthorizationResponseError) return new LoginError('idp_error', failure.oauth?.error ?? 'unknown_error', options);
    return new LoginError(failure.oauth?.error === 'invalid_grant' ? 'grant_refused' : 'client_refused', failure.reason, options);
  }
}
