import * as client from 'openid-client';
import type { Logger } from 'pino';

export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: readonly string[];
  /** Plain http to the IdP; the config only sets it for a loopback issuer. */
  allowInsecureRequests: boolean;
  /** Per-request timeout towards the IdP, in seconds. */
  timeoutSeconds?: number;
}

export interface DiscoveryRetry {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** What a finished login yields: the merged ID token and userinfo claims, and the IdP session id. */
export interface LoginResult {
  claims: Record<string, unknown>;
  sid: string | undefined;
  /** The ID token's `iat` (epoch s, the IdP's clock). */
  issuedAt: number;
}

/** Raised for every failure of the code exchange; `reason` is safe to log, never shown raw. */
export class LoginError extends Error {
  override readonly name = 'LoginError';
  constructor(
    readonly kind: 'idp_error' | 'exchange_failed' | 'idp_unreachable',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${reason}`, options);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if ((e as { name?: unknown }).name === 'TimeoutError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The relying party: discovery (in the background, retried with backoff so the gateway starts
 * while the IdP is down), the authorization URL, the code exchange and the end-session URL.
 */
export class OidcClient {
  private configuration: client.Configuration | undefined;
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

  /** Resolves once discovery has succeeded (tests and start-up scripts wait on it). */
  whenReady(): Promise<void> {
    if (this.configuration) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private async discoverOnce(): Promise<void> {
    this.timer = undefined;
    this.attempts += 1;
    const { issuerUrl, clientId, clientSecret, allowInsecureRequests, timeoutSeconds } = this.settings;
    try {
      const configuration = await client.discovery(
        new URL(issuerUrl),
        clientId,
        { client_secret: clientSecret },
        client.ClientSecretBasic(clientSecret),
        {
          timeout: timeoutSeconds ?? 10,
          // openid-client refuses http: issuers unless told; the config allows it for loopback only.
          ...(allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
        },
      );
      if (this.stopped) return;
      this.configuration = configuration;
      this.lastError = undefined;
      this.logger.info({ issuer: issuerUrl, attempts: this.attempts }, 'OIDC discovery succeeded');
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    } catch (err) {
      if (this.stopped) return;
      this.lastError = err instanceof Error ? err.message : String(err);
      const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.min(this.attempts - 1, 16));
      const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
      this.logger.warn({ issuer: issuerUrl, attempts: this.attempts, retryInMs: jittered, error: this.lastError }, 'OIDC discovery failed');
      this.timer = setTimeout(() => void this.discoverOnce(), jittered);
      this.timer.unref();
    }
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

  /** The IdP authorization URL for a new login: code flow, PKCE S256, state and nonce. */
  async authorizationUrl(tx: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const codeChallenge = await client.calculatePKCECodeChallenge(tx.codeVerifier);
    return client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(' '),
      response_type: 'code',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state: tx.state,
      nonce: tx.nonce,
    });
  }

  /**
   * Completes the code flow. `search` is the callback's query string; the URL handed to
   * openid-client is rebuilt from the configured redirect URI so `redirect_uri` never comes from
   * the Host header. Checks state, PKCE, nonce and issuer, then reads userinfo.
   */
  async completeLogin(search: string, expected: { state: string; nonce: string; codeVerifier: string }): Promise<LoginResult> {
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
      if (err instanceof client.AuthorizationResponseError) {
        throw new LoginError('idp_error', err.error, { cause: err });
      }
      if (isNetworkFailure(err)) throw new LoginError('idp_unreachable', 'the IdP could not be reached', { cause: err });
      const code = (err as { code?: unknown }).code;
      throw new LoginError('exchange_failed', `${typeof code === 'string' ? code : 'error'}: ${(err as Error).message}`, { cause: err });
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new LoginError('exchange_failed', 'no ID token');
    let userinfo: Record<string, unknown> = {};
    try {
      userinfo = await client.fetchUserInfo(this.config, tokens.access_token, idClaims.sub);
    } catch (err) {
      if (isNetworkFailure(err)) throw new LoginError('idp_unreachable', 'userinfo could not be read', { cause: err });
      throw new LoginError('exchange_failed', `userinfo: ${(err as Error).message}`, { cause: err });
    }
    // userinfo is fresher than the ID token, but `sub` is pinned by fetchUserInfo's subject check.
    const claims = { ...idClaims, ...userinfo, sub: idClaims.sub };
    return { claims, sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined, issuedAt: idClaims.iat };
  }

  /**
   * RP-initiated logout URL, or undefined when the IdP has no end-session endpoint. Uses
   * `client_id` rather than an `id_token_hint` so the session never needs to hold the ID token.
   */
  endSessionUrl(postLogoutRedirectUri: string): URL | undefined {
    if (!this.configuration?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(this.configuration, {
      client_id: this.settings.clientId,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
  }
}
