/**
 * The development OpenID Provider: the real `oidc-provider` on loopback, configured the way the
 * gateway expects a production IdP to behave (code flow, PKCE S256, RP-initiated and
 * back-channel logout; on request PAR, private_key_jwt clients and rotating refresh tokens), with
 * a sign-in page listing demo users. Used by `npm run demo` and by
 * the test suite as "the real IdP". Never for production: any password is accepted.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { configuration, grantScopes, type DevIdpOptions } from './idp-config.js';
import type { KoaMiddleware, Provider } from './idp-provider.js';
import { handleInteraction, sendInteractionError } from './idp-views.js';
import { DEMO_USERS } from './users.js';
import type { DevUser } from './users.js';

export type { DevClient, DevIdpOptions } from './idp-config.js';
export type { Interaction, KoaMiddleware, Provider } from './idp-provider.js';

/** A running development IdP. */
export interface DevIdp {
  /** `http://<bound address>:<port>` (`http://127.0.0.1:<port>` by default), as discovery reports it. */
  issuer: string;
  provider: Provider;
  users: readonly DevUser[];
  /** Closes the server and every open connection (again: the same promise). */
  close(): Promise<void>;
  /**
   * Signs a back-channel logout token with the provider's own RS256 key. Defaults `iss`,
   * `iat`, `exp` (+120 s), `jti` and the logout `events` claim; pass `aud` and `sub`/`sid`.
   * A claim given as `undefined` is left out, to forge incomplete tokens.
   */
  signLogoutToken(claims: Record<string, unknown>): Promise<string>;
  /**
   * Destroys every grant `accountId` holds (as an administrator revoking the user's access would):
   * their refresh tokens then answer `invalid_grant`. Resolves with how many were destroyed.
   */
  revokeGrants(accountId: string): Promise<number>;
  /**
   * Puts Koa middleware in front of oidc-provider's routes, so a test can watch, delay or drop
   * requests (an IdP that is slow or unreachable) while every answer stays the provider's own.
   */
  use(middleware: KoaMiddleware): void;
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => Provider;

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
  let closing: Promise<void> | undefined;
  // Idempotent: a test may take the IdP away and still run its usual teardown.
  const close = (): Promise<void> => (closing ??= new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  }));

  try {
    const { address, port } = server.address() as AddressInfo;
    const issuer = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    const { privateKey, jwk } = await signingKey(options.signingKey);
    const grants = new Map<string, Set<string>>();
    const track = (accountId: string, grantId: string): void => void grants.set(accountId, (grants.get(accountId) ?? new Set()).add(grantId));
    const provider = await withoutOidcWarnings(options.silenceWarnings ?? true, async () => {
      const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderConstructor };
      return new Provider(issuer, configuration(options, users, jwk, track));
    });
    let providerCallback = provider.callback();
    const withheld = new Set(options.withheldScopes ?? []);
    handle = (req, res) => {
      const route = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url ?? '/', issuer).pathname);
      if (!route) return void providerCallback(req, res);
      const uid = route[1] ?? '';
      const interact = async (): Promise<void> => {
        if (route[2] === undefined && (await provider.interactionDetails(req, res)).prompt.name === 'consent') {
          return answerConsent(provider, req, res, withheld, track);
        }
        return handleInteraction(provider, users, req, res, uid, route[2]);
      };
      interact().catch((err: unknown) => sendInteractionError(res, err));
    };
    const revokeGrants = async (accountId: string): Promise<number> => {
      let destroyed = 0;
      for (const id of grants.get(accountId) ?? []) {
        const grant = await provider.Grant.find(id);
        if (grant) {
          await grant.destroy();
          destroyed += 1;
        }
      }
      grants.delete(accountId);
      return destroyed;
    };
    const signLogoutToken = (claims: Record<string, unknown>): Promise<string> => {
      const iat = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat, exp: iat + 120, jti: randomUUID(), events: { [LOGOUT_EVENT]: {} }, ...claims };
      for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' }).sign(privateKey);
    };
    const use = (middleware: KoaMiddleware): void => {
      provider.use(middleware);
      // Koa composes its middleware when the callback is made: make it again to include this one.
      providerCallback = provider.callback();
    };
    return { issuer, provider, users, close, signLogoutToken, revokeGrants, use };
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

async function signingKey(given: CryptoKey | undefined): Promise<{ privateKey: CryptoKey; jwk: Record<string, unknown> & { kid: string } }> {
  // Our own key rather than oidc-provider's development keystore: tests need the private half
  // to forge logout tokens the gateway must accept. A fresh `kid` even for a given key.
  const privateKey = given ?? (await generateKeyPair('RS256', { extractable: true })).privateKey;
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

/**
 * The consent step (only reached when a client sends `prompt=consent`, as `offline_access`
 * requires): answered at once, like every other grant here, minus the withheld scopes.
 */
async function answerConsent(
  provider: Provider, req: IncomingMessage, res: ServerResponse, withheld: ReadonlySet<string>, track: (accountId: string, grantId: string) => void,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const accountId = details.session?.accountId;
  const clientId = details.params['client_id'];
  if (!accountId || typeof clientId !== 'string') throw Object.assign(new Error('consent without a session'), { status: 400, error: 'invalid_request' });
  const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId });
  grantScopes(grant, String(details.params['scope'] ?? '').split(' ').filter(Boolean), withheld);
  const grantId = await grant.save();
  track(accountId, grantId);
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

export { DEMO_USERS };
export type { DevUser };
