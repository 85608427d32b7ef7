/**
 * The development OpenID Provider: the real `oidc-provider` on loopback, configured the way the
 * gateway expects a production IdP to behave (code flow, PKCE S256, RP-initiated and
 * back-channel logout), with a sign-in page listing demo users. Used by `npm run demo` and by
 * the test suite as "the real IdP". Never for production: any password is accepted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { handleInteraction, renderErrorPage, renderLogoutPage, renderPostLogoutPage, sendInteractionError } from './idp-views.js';
import { DEMO_USERS } from './users.js';
import type { DevUser } from './users.js';

/** A confidential client (relying party) registered statically at start-up. */
export interface DevClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  /** Default true when a back-channel URI is set; it is also what puts `sid` in ID tokens. */
  backchannel_logout_session_required?: boolean;
  /** Default `client_secret_post`, openid-client v6's default when given a secret. */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
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
}

/** The part of oidc-provider's `Provider` this project uses (the package ships no types). */
export interface Provider {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  // `never[]` lets callers annotate listener parameters (events pass ctx, error, client, …).
  on(event: string, listener: (...args: never[]) => void): this;
}

/** A pending sign-in, as oidc-provider reports it. */
export interface Interaction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
}

/** A running development IdP. */
export interface DevIdp {
  /** `http://<bound address>:<port>` (`http://127.0.0.1:<port>` by default), as discovery reports it. */
  issuer: string;
  provider: Provider;
  users: readonly DevUser[];
  /** Closes the server and every open connection. */
  close(): Promise<void>;
  /**
   * Signs a back-channel logout token with the provider's own RS256 key. Defaults `iss`,
   * `iat`, `exp` (+120 s), `jti` and the logout `events` claim; pass `aud` and `sub`/`sid`.
   * A claim given as `undefined` is left out, to forge incomplete tokens.
   */
  signLogoutToken(claims: Record<string, unknown>): Promise<string>;
}

// Local shapes of the oidc-provider objects the configuration callbacks receive.
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface OidcContext {
  type: string;
  body: unknown;
  oidc: {
    provider: { Grant: { new (init: { clientId: string; accountId: string }): Grant; find(id: string): Promise<Grant | undefined> } };
    client?: { clientId: string; clientName?: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    requestParamOIDCScopes: Set<string>;
    requestParamClaims: Set<string>;
  };
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => Provider;

const STANDARD_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
    'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

// A non-literal specifier: the import is deferred so its load-time engine notice can be
// silenced, and the package has no type declarations for tsc to find anyway.
const OIDC_PROVIDER: string = 'oidc-provider';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Starts the development IdP on its own HTTP server (never behind a body parser: oidc-provider
 * parses its own bodies). Listens first to learn the port, since the issuer contains it.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const users = options.users ?? DEMO_USERS;
  let handle: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const close = (): Promise<void> => new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });

  try {
    const { address, port } = server.address() as AddressInfo;
    const issuer = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    const { privateKey, jwk } = await signingKey();
    const provider = await withoutOidcWarnings(options.silenceWarnings ?? true, async () => {
      const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderConstructor };
      return new Provider(issuer, configuration(options, users, jwk));
    });
    const providerCallback = provider.callback();
    handle = (req, res) => {
      const route = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url ?? '/', issuer).pathname);
      if (!route) return void providerCallback(req, res);
      handleInteraction(provider, users, req, res, route[1] ?? '', route[2]).catch((err: unknown) => sendInteractionError(res, err));
    };
    const signLogoutToken = (claims: Record<string, unknown>): Promise<string> => {
      const iat = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat, exp: iat + 120, jti: randomUUID(), events: { [LOGOUT_EVENT]: {} }, ...claims };
      for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' }).sign(privateKey);
    };
    return { issuer, provider, users, close, signLogoutToken };
  } catch (err) {
    await close();
    throw err;
  }
}

let silencers = 0;
let restoreConsole: (() => void) | undefined;

/**
 * Runs `load` with oidc-provider's notices (the Node 22 engine notice printed on import, the
 * in-memory adapter notice printed on construction) filtered out of console.warn/info.
 * Reference-counted so that IdPs started in parallel restore the console exactly once.
 */
async function withoutOidcWarnings<T>(enabled: boolean, load: () => Promise<T>): Promise<T> {
  if (!enabled) return load();
  if (silencers++ === 0) {
    const { warn, info } = console;
    const quiet = (log: (...args: unknown[]) => void) => (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && /oidc-provider (NOTICE|WARNING):/.test(args[0])) return;
      log.apply(console, args);
    };
    console.warn = quiet(warn);
    console.info = quiet(info);
    restoreConsole = () => { console.warn = warn; console.info = info; };
  }
  try {
    return await load();
  } finally {
    if (--silencers === 0) restoreConsole?.();
  }
}

async function signingKey(): Promise<{ privateKey: CryptoKey; jwk: Record<string, unknown> & { kid: string } }> {
  // Our own key rather than oidc-provider's development keystore: tests need the private half
  // to forge logout tokens the gateway must accept.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

function configuration(options: DevIdpOptions, users: readonly DevUser[], jwk: Record<string, unknown>): Record<string, unknown> {
  const ttl = { AccessToken: options.accessTokenTtlSeconds ?? 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 86_400, Grant: 86_400, RefreshToken: 86_400, ClientCredentials: 600 };
  return {
    clients: options.clients.map(clientMetadata),
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Cookies are per host, not per port: prefixed names cannot collide with the gateway's
      // cookies when both run on 127.0.0.1.
      names: { session: 'devidp_session', interaction: 'devidp_interaction', resume: 'devidp_resume' },
    },
    claims: STANDARD_CLAIMS,
    scopes: ['openid', 'profile', 'email', 'phone'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: OidcContext, form: string) => { ctx.type = 'html'; ctx.body = renderLogoutPage(form); },
        postLogoutSuccessSource: (ctx: OidcContext) => {
          ctx.type = 'html';
          ctx.body = renderPostLogoutPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId);
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: Interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = users.find((u) => u.id === sub);
      return user && { accountId: user.id, claims: async () => ({ ...user.claims, sub: user.id }) };
    },
    loadExistingGrant: grantEverythingRequested,
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

function clientMetadata(client: DevClient): Record<string, unknown> {
  return {
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_post',
    ...(client.backchannel_logout_uri && {
      backchannel_logout_uri: client.backchannel_logout_uri,
      backchannel_logout_session_required: client.backchannel_logout_session_required ?? true,
    }),
  };
}

/** No consent screen: every configured client gets what it asked for, on every sign-in. */
async function grantEverythingRequested(ctx: OidcContext): Promise<Grant | undefined> {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const grant = (grantId && (await provider.Grant.find(grantId)))
    || new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
  if (ctx.oidc.requestParamClaims.size) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
  await grant.save();
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

export { DEMO_USERS };
export type { DevUser };
