import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { ClientAuthentication } from '../config/index.js';
import { backoffMs } from '../onetalk/index.js';
import { clientAuthFor } from './client-auth.js';
import { describeIdpFailure, LoginError } from './oidc-errors.js';
import { IdpTokens, missingScopes, type LoginResult, type RefreshOutcome } from './oidc-results.js';

export { LoginError } from './oidc-errors.js';
export { IdpTokens, type LoginResult, type RefreshOutcome } from './oidc-results.js';

export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  /** `OIDC_CLIENT_AUTH` with its secret or key. */
  clientAuth: ClientAuthentication;
  redirectUri: string;
  scopes: readonly string[];
  /** Plain http to the IdP; the config only sets it for a loopback issuer. */
  allowInsecureRequests: boolean;
  /** Push authorization requests (PAR): `auto` (default) when discovery advertises the endpoint. */
  usePar?: 'auto' | boolean;
  /** Extra authorization parameters (`OIDC_AUTH_PARAMS`); the config refuses ones the gateway owns. */
  authParams?: Readonly<Record<string, string>>;
  /** Per-request timeout towards the IdP, in seconds. */
  timeoutSeconds?: number;
}

export interface DiscoveryRetry {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** oauth4webapi's code when userinfo names another subject than the one asked about. */
const SUBJECT_MISMATCH = 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';

/** A problem discovery cannot retry its way out of without the IdP or the config changing. */
class SetupError extends Error {}

/**
 * The relying party: discovery (in the background, retried with backoff so the gateway starts
 * while the IdP is down), the authorization URL (pushed when PAR is on), the code exchange, the
 * refresh used to re-validate sessions, and the end-session URL.
 */
export class OidcClient {
  private configuration: client.Configuration | undefined;
  private par = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempts = 0;
  private lastError: string | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
    private readonly retry: DiscoveryRetry = { initialDelayMs: 500, maxDelayMs: 30_000 },
  ) {}

  /** Starts discovery in the background; never throws. */
  start(): void {
    if (this.configuration || this.timer || this.stopped) return;
    void this.discoverOnce();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get ready(): boolean {
    return this.configuration !== undefined;
  }

  /** Why discovery has not succeeded yet (for /readyz and logs). */
  get status(): { ready: boolean; attempts: number; lastError?: string } {
    return { ready: this.ready, attempts: this.attempts, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** True once discovery decided to push authorization requests. */
  get usesPar(): boolean {
    return this.par;
  }

  /** Resolves once discovery has succeeded (tests and start-up scripts wait on it). */
  whenReady(): Promise<void> {
    if (this.configuration) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private async discoverOnce(): Promise<void> {
    this.timer = undefined;
    this.attempts += 1;
    const { issuerUrl, clientId, allowInsecureRequests, timeoutSeconds } = this.settings;
    try {
      const { metadata, auth } = await clientAuthFor(this.settings.clientAuth);
      const configuration = await client.discovery(new URL(issuerUrl), clientId, metadata, auth, {
        timeout: timeoutSeconds ?? 10,
        // openid-client refuses http: issuers unless told; the config allows it for loopback only.
        ...(allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
      });
      if (this.stopped) return;
      this.par = this.decidePar(configuration.serverMetadata());
      this.configuration = configuration;
      this.lastError = undefined;
      this.logger.info({ issuer: issuerUrl, attempts: this.attempts, ...this.capabilities() }, 'OIDC discovery succeeded');
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    } catch (err) {
      if (this.stopped) return;
      this.lastError = err instanceof Error ? err.message : String(err);
      const delay = backoffMs(this.attempts - 1, { baseMs: this.retry.initialDelayMs, maxMs: this.retry.maxDelayMs });
      const line = { issuer: issuerUrl, attempts: this.attempts, retryInMs: delay, error: this.lastError };
      // A setup problem needs a person, not patience: say so at error level.
      if (err instanceof SetupError) this.logger.error(line, 'OIDC setup does not match the IdP');
      else this.logger.warn(line, 'OIDC discovery failed');
      this.timer = setTimeout(() => void this.discoverOnce(), delay);
      this.timer.unref();
    }
  }

  /** Whether to push authorization requests, from OIDC_USE_PAR and what the IdP advertises. */
  private decidePar(metadata: client.ServerMetadata): boolean {
    const advertised = typeof metadata.pushed_authorization_request_endpoint === 'string';
    const wanted = this.settings.usePar ?? 'auto';
    if (wanted === true && !advertised) {
      throw new SetupError('OIDC_USE_PAR=true, but the IdP does not advertise a pushed_authorization_request_endpoint in its discovery document');
    }
    if (wanted === false && metadata.require_pushed_authorization_requests === true) {
      this.logger.warn('the IdP requires pushed authorization requests but OIDC_USE_PAR=false: sign-ins will be refused; use auto or true');
    }
    return wanted === 'auto' ? advertised : wanted;
  }

  /** What the IdP offers, for the discovery log line (operators compare it with README's recipes). */
  private capabilities(): Record<string, unknown> {
    const metadata = this.configuration?.serverMetadata();
    const method = this.settings.clientAuth.method;
    const supported = metadata?.token_endpoint_auth_methods_supported;
    if (Array.isArray(supported) && !supported.includes(method)) {
      this.logger.warn({ clientAuth: method, supported }, 'the IdP does not advertise OIDC_CLIENT_AUTH among its token endpoint auth methods');
    }
    return {
      clientAuth: method,
      par: this.par,
      endSession: Boolean(metadata?.end_session_endpoint),
      backchannelLogout: metadata?.backchannel_logout_supported === true,
    };
  }

  /**
   * The IdP's discovered metadata (issuer, `jwks_uri`, …), or undefined before discovery.
   * Back-channel logout verifies logout tokens against exactly this issuer and key set.
   */
  serverMetadata(): client.ServerMetadata | undefined {
    return this.configuration?.serverMetadata();
  }

  private get config(): client.Configuration {
    if (!this.configuration) throw new Error('OIDC discovery has not completed');
    return this.configuration;
  }

  /**
   * The IdP authorization URL for a new login: code flow, PKCE S256, state and nonce, plus
   * OIDC_AUTH_PARAMS. With PAR the parameters travel server to server and the URL carries only
   * `client_id` and `request_uri`.
   * @throws LoginError when the PAR endpoint refuses the request or cannot be reached.
   */
  async authorizationUrl(tx: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const parameters = {
      ...this.settings.authParams,
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(tx.codeVerifier),
      code_challenge_method: 'S256',
      state: tx.state,
      nonce: tx.nonce,
    };
    if (!this.par) return client.buildAuthorizationUrl(this.config, parameters);
    try {
      return await client.buildAuthorizationUrlWithPAR(this.config, parameters);
    } catch (err) {
      throw LoginError.from(err, 'PAR endpoint');
    }
  }

  /**
   * Completes the code flow. `search` is the callback's query string; the URL handed to
   * openid-client is rebuilt from the configured redirect URI so `redirect_uri` never comes from
   * the Host header. Checks state, PKCE, nonce and issuer, then reads userinfo. Logs (to `log`,
   * the request's logger) scopes the IdP did not grant and a missing refresh token.
   */
  async completeLogin(
    search: string,
    expected: { state: string; nonce: string; codeVerifier: string },
    log: Logger = this.logger,
  ): Promise<LoginResult> {
    const callbackUrl = new URL(this.settings.redirectUri);
    callbackUrl.search = search;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(this.config, callbackUrl, {
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      throw LoginError.from(err, 'token endpoint');
    }
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) throw new LoginError('exchange_failed', 'no ID token');
    let userinfo: Record<string, unknown>;
    try {
      userinfo = await this.userinfo(tokens.access_token, idClaims.sub);
    } catch (err) {
      throw LoginError.from(err, 'userinfo endpoint');
    }
    const missing = missingScopes(this.settings.scopes, tokens.scope);
    if (missing.length) log.warn({ missingScopes: missing }, 'the IdP granted fewer scopes than OIDC_SCOPES asks for');
    if (!tokens.refresh_token) log.info({ revalidation: 'off' }, 'the IdP granted no refresh token: re-validation is off for this session');
    return {
      // userinfo is fresher than the ID token, but `sub` is pinned by the userinfo subject check.
      claims: { ...idClaims, ...userinfo, sub: idClaims.sub },
      sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
      issuedAt: idClaims.iat,
      tokens: new IdpTokens(tokens.id_token, tokens.refresh_token),
      missingScopes: missing,
    };
  }

  /** Userinfo, checked to be about `subject`; empty when the IdP has no userinfo endpoint. */
  private async userinfo(accessToken: string, subject: string): Promise<Record<string, unknown>> {
    if (!this.config.serverMetadata().userinfo_endpoint) return {};
    return client.fetchUserInfo(this.config, accessToken, subject);
  }

  /**
   * Uses a refresh token to ask the IdP whether `expectedSubject` may still be signed in, and
   * who they now are. Never throws: every way it can end is a {@link RefreshOutcome}.
   */
  async refresh(refreshToken: string, expectedSubject: string): Promise<RefreshOutcome> {
    if (!this.configuration) return { kind: 'unavailable', reason: 'OIDC discovery has not completed' };
    let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    try {
      tokens = await client.refreshTokenGrant(this.configuration, refreshToken);
    } catch (err) {
      const failure = describeIdpFailure(err, 'token endpoint');
      if (failure.oauth?.error === 'invalid_grant') return { kind: 'revoked', reason: failure.reason, oauth: failure.oauth };
      if (failure.kind === 'unreachable') return { kind: 'unavailable', reason: failure.reason };
      if (failure.kind === 'oauth_error') return { kind: 'refused', reason: failure.reason, ...(failure.oauth ? { oauth: failure.oauth } : {}) };
      return { kind: 'invalid', reason: failure.reason };
    }
    const idClaims = tokens.claims();
    // OIDC Core 12.2: a refreshed ID token must name the same subject as the sign-in did.
    if (idClaims && idClaims.sub !== expectedSubject) return { kind: 'invalid', reason: 'the refreshed ID token names a different subject' };
    const next = tokens.refresh_token ?? refreshToken;
    const result = {
      kind: 'refreshed' as const,
      sid: typeof idClaims?.sid === 'string' ? idClaims.sid : undefined,
      tokens: new IdpTokens(tokens.id_token, next),
      rotated: next !== refreshToken,
    };
    try {
      const userinfo = await this.userinfo(tokens.access_token, expectedSubject);
      if (!idClaims && !Object.keys(userinfo).length) return { ...result, claims: undefined, profileError: 'neither an ID token nor userinfo' };
      return { ...result, claims: { ...idClaims, ...userinfo, sub: expectedSubject } };
    } catch (err) {
      const failure = describeIdpFailure(err, 'userinfo endpoint');
      if ((err as { code?: unknown }).code === SUBJECT_MISMATCH) {
        return { kind: 'invalid', reason: 'userinfo names a different subject' };
      }
      // The grant is alive (the token endpoint said so); only the fresh profile is missing.
      return { ...result, claims: undefined, profileError: failure.reason };
    }
  }

  /**
   * RP-initiated logout URL, or undefined when the IdP has no end-session endpoint. Sends
   * `client_id` always and `id_token_hint` when given: several IdPs (Keycloak since 18 among
   * them) end their own session only when they get the hint.
   */
  endSessionUrl(postLogoutRedirectUri: string, idTokenHint?: string): URL | undefined {
    if (!this.configuration?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(this.configuration, {
      client_id: this.settings.clientId,
      post_logout_redirect_uri: postLogoutRedirectUri,
      ...(idTokenHint ? { id_token_hint: idTokenHint } : {}),
    });
  }
}
