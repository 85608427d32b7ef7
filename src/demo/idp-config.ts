/**
 * The development IdP's oidc-provider configuration: clients, scopes, features and the grant
 * policy (no consent screen; every configured client gets what it asked for, minus scopes a test
 * says the user "unticked"). src/demo/idp.ts starts the server around it.
 */
import { randomBytes } from 'node:crypto';
import type { Grant, GrantModel } from './idp-provider.js';
import { renderErrorPage, renderLogoutPage, renderPostLogoutPage } from './idp-views.js';
import type { DevUser } from './users.js';

/** A confidential client (relying party) registered statically at start-up. */
export interface DevClient {
  client_id: string;
  /** Required unless `token_endpoint_auth_method` is `private_key_jwt`. */
  client_secret?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  /** Default true when a back-channel URI is set; it is also what puts `sid` in ID tokens. */
  backchannel_logout_session_required?: boolean;
  /** Default `client_secret_post`, openid-client v6's default when given a secret. */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** The client's public keys, for `private_key_jwt`. */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** Refuse this client's authorization requests unless they were pushed (PAR). */
  require_pushed_authorization_requests?: boolean;
}

/** Options of {@link startDevIdp}. */
export interface DevIdpOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  clients: DevClient[];
  /** Default {@link DEMO_USERS}. */
  users?: readonly DevUser[];
  /** Access token lifetime; default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default true: drop oidc-provider's dev-mode and Node-engine notices while it loads. */
  silenceWarnings?: boolean;
  /**
   * Pushed authorization requests: `off` (default: discovery does not advertise PAR, as before),
   * `offered` (advertised, optional), `required` (authorization requests must be pushed).
   */
  pushedAuthorizationRequests?: 'off' | 'offered' | 'required';
  /**
   * Issue refresh tokens (default false): `offline_access` becomes a known scope, clients may use
   * the refresh_token grant, and every refresh rotates the token. As OIDC Core §11 says, the
   * scope counts only with `prompt=consent`; the consent step is answered automatically.
   */
  refreshTokens?: boolean;
  /** Scopes the user "unticks at consent": never granted, whatever a client asks for. */
  withheldScopes?: readonly string[];
  /**
   * The RS256 private key (extractable) to sign with; default a fresh one. Generating an RSA key
   * costs about a third of a second of CPU, so a test suite that starts an IdP per test shares one.
   */
  signingKey?: CryptoKey;
}

// Local shape of the context the configuration callbacks receive.
interface OidcContext {
  type: string;
  body: unknown;
  oidc: {
    provider: { Grant: GrantModel };
    client?: { clientId: string; clientName?: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamOIDCScopes: Set<string>;
    requestParamClaims: Set<string>;
  };
}

const STANDARD_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
    'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Called with every grant the IdP saves, so tests can destroy a user's grants later. */
export type GrantTracker = (accountId: string, grantId: string) => void;

/**
 * Grants `scopes` on `grant`, except withheld ones, which are marked as refused so that
 * oidc-provider does not ask for consent again (they count as "encountered").
 */
export function grantScopes(grant: Grant, scopes: Iterable<string>, withheld: ReadonlySet<string>): void {
  const wanted = [...scopes];
  grant.addOIDCScope(wanted.filter((s) => !withheld.has(s)).join(' '));
  const refused = wanted.filter((s) => withheld.has(s));
  if (refused.length) grant.rejectOIDCScope(refused.join(' '));
}

export function configuration(options: DevIdpOptions, users: readonly DevUser[], jwk: Record<string, unknown>, track: GrantTracker): Record<string, unknown> {
  const ttl = { AccessToken: options.accessTokenTtlSeconds ?? 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 86_400, Grant: 86_400, RefreshToken: 86_400, ClientCredentials: 600 };
  const par = options.pushedAuthorizationRequests ?? 'off';
  const withheld = new Set(options.withheldScopes ?? []);
  return {
    clients: options.clients.map((c) => clientMetadata(c, options.refreshTokens ?? false)),
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Cookies are per host, not per port: prefixed names cannot collide with the gateway's
      // cookies when both run on 127.0.0.1.
      names: { session: 'devidp_session', interaction: 'devidp_interaction', resume: 'devidp_resume' },
    },
    claims: STANDARD_CLAIMS,
    scopes: ['openid', 'profile', 'email', 'phone', ...(options.refreshTokens ? ['offline_access'] : [])],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Rotation on every use (oidc-provider's default rotates confidential clients' tokens only
    // late in their life): tests prove the gateway keeps the newest one.
    ...(options.refreshTokens ? { rotateRefreshToken: true } : {}),
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: par !== 'off', requirePushedAuthorizationRequests: par === 'required' },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: OidcContext, form: string) => { ctx.type = 'html'; ctx.body = renderLogoutPage(form); },
        postLogoutSuccessSource: (ctx: OidcContext) => {
          ctx.type = 'html';
          ctx.body = renderPostLogoutPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId);
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = users.find((u) => u.id === sub);
      return user && { accountId: user.id, claims: async () => ({ ...user.claims, sub: user.id }) };
    },
    loadExistingGrant: (ctx: OidcContext) => grantEverythingRequested(ctx, withheld, track),
    renderError: (ctx: OidcContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out.error, out.error_description);
    },
    // The gateway is a backend-for-frontend: no browser calls the token or userinfo endpoints.
    clientBasedCORS: () => false,
    ttl,
    fetch: loopbackOnlyFetch,
  };
}

function clientMetadata(client: DevClient, refreshTokens: boolean): Record<string, unknown> {
  return {
    client_id: client.client_id,
    ...(client.client_secret !== undefined && { client_secret: client.client_secret }),
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code', ...(refreshTokens ? ['refresh_token'] : [])],
    response_types: ['code'],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_post',
    ...(client.jwks && { jwks: client.jwks }),
    ...(client.require_pushed_authorization_requests && { require_pushed_authorization_requests: true }),
    ...(client.backchannel_logout_uri && {
      backchannel_logout_uri: client.backchannel_logout_uri,
      backchannel_logout_session_required: client.backchannel_logout_session_required ?? true,
    }),
  };
}

/** No consent screen: every configured client gets what it asked for, on every sign-in. */
async function grantEverythingRequested(ctx: OidcContext, withheld: ReadonlySet<string>, track: GrantTracker): Promise<Grant | undefined> {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const grant = (grantId && (await provider.Grant.find(grantId)))
    || new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grantScopes(grant, ctx.oidc.requestParamOIDCScopes, withheld);
  if (ctx.oidc.requestParamClaims.size) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
  track(session.accountId, await grant.save());
  return grant;
}

/**
 * oidc-provider's own fetch guard refuses special-use addresses, 127.0.0.1 included, so
 * back-channel logout to a loopback relying party would fail. A dev IdP gets the opposite rule:
 * loopback only, so it can never reach anything else.
 */
function loopbackOnlyFetch(url: string | URL, init: RequestInit & { dispatcher?: unknown }): Promise<Response> {
  const { hostname } = new URL(url);
  if (!(hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname))) {
    return Promise.reject(new Error(`development IdP only calls loopback hosts, not ${hostname}`));
  }
  const loopbackInit = { ...init };
  delete loopbackInit.dispatcher;
  return fetch(url, loopbackInit);
}
