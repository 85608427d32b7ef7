import type { CountryCode } from 'libphonenumber-js';
import defaults from '../../config/defaults.json' with { type: 'json' };
import type { UpstreamPolicy } from '../onetalk/policy.js';
import { deepFreeze, defaultClaimMapping, ownerIdKeyFromApiKey, type ClaimMapping } from '../profile/index.js';
import { clientAuthentication, clientAuthenticationProblems, type ClientAuthentication } from './oidc.js';
import { oneTalkSettings } from './onetalk.js';
import { configError, issuesOf } from './problems.js';
import { redisSettings, type RedisConnection } from './redis.js';
import { checkedEnvSchema, removedVariables } from './schema.js';

export { ConfigError } from './problems.js';
import { isLoopbackHost } from './url.js';

/** The gateway's whole configuration: parsed once at start-up, frozen, typed. */
export interface Config {
  readonly env: 'production' | 'development' | 'test';
  readonly port: number;
  /** Node's server timeouts and connection cap (src/http/listener.ts). */
  readonly http: HttpServerSettings;
  /** `PUBLIC_URL`'s origin, e.g. `https://chat.example.com`. */
  readonly publicOrigin: string;
  /** `PUBLIC_URL/auth/callback`: built from config, never from the Host header. */
  readonly redirectUri: string;
  /** True when PUBLIC_URL is https: Secure cookies with the `__Host-` prefix. */
  readonly secureCookies: boolean;
  readonly session: {
    readonly secrets: readonly string[];
    readonly idleTimeoutMs: number;
    readonly absoluteTimeoutMs: number;
    readonly maxCount: number;
    readonly loginTransactionTtlMs: number;
    /** Bound on pending sign-ins in the in-memory store; past it new sign-ins get 503. */
    readonly loginTransactionMaxPending: number;
    /** How long the login cookie of a browser that signed in keeps its own sign-in budget. */
    readonly loginCookieSignedInTtlMs: number;
  };
  readonly oidc: {
    readonly issuerUrl: string;
    readonly clientId: string;
    /** `OIDC_CLIENT_AUTH` with its secret or signing key. */
    readonly clientAuth: ClientAuthentication;
    readonly scopes: readonly string[];
    /** Plain http towards the IdP: only ever true for a loopback issuer. */
    readonly allowInsecureRequests: boolean;
    /** `OIDC_USE_PAR`: `auto` pushes authorization requests when discovery advertises PAR. */
    readonly usePar: 'auto' | boolean;
    /** `OIDC_AUTH_PARAMS`: extra authorization parameters (never ones the gateway owns). */
    readonly authParams: Readonly<Record<string, string>>;
  };
  /** How often, and how leniently, a session is re-checked at the IdP with its refresh token. */
  readonly revalidation: {
    readonly intervalMs: number;
    /** How long an unreachable IdP leaves sessions alone before they end. */
    readonly graceMs: number;
    /** Longest a ticket request waits for a due session's refresh before it goes on without it. */
    readonly waitMs: number;
  };
  readonly onetalk: {
    readonly apiKey: string;
    readonly baseUrl: string;
    readonly timeoutMs: number;
    readonly paths: { readonly requestAuthTicket: string; readonly syncContact: string };
    /** Retries, circuit breaker and concurrency cap (src/onetalk/policy.ts). */
    readonly policy: UpstreamPolicy;
  };
  readonly profile: {
    readonly customerUserIdPrefix: string;
    readonly defaultRegion: CountryCode | undefined;
    /** Send `phone` only when `phone_number_verified` is true (default on). */
    readonly requireVerifiedPhone: boolean;
    readonly mapping: ClaimMapping;
  };
  /**
   * HMAC key of the opaque user id in `GET /auth/session` (src/profile/owner-id.ts): `USER_ID_SECRET`,
   * else derived from `ONETALK_API_KEY`. Plain text, so the config stays deep-frozen. A secret.
   */
  readonly userIdKey: string;
  readonly allowedOrigins: readonly string[];
  readonly redis: {
    /** Where Redis is (one node, Sentinel or Cluster); undefined keeps everything in this process. */
    readonly connection: RedisConnection | undefined;
    readonly keyPrefix: string;
    /**
     * Sentinel and Cluster: how long a write that ends a session waits for a replica to
     * acknowledge it (`WAIT`), in ms; 0 never waits (and always 0 with a single node).
     */
    readonly replicaWaitMs: number;
  };
  readonly rateLimit: {
    /** Ticket requests per session per minute. */
    readonly ticketsPerMinute: number;
    /** Sign-in starts per client IP per minute from browsers without a signed-in login cookie. */
    readonly loginsPerIpPerMinute: number;
    /** Sign-in starts per user per minute from browsers holding a login cookie of an earlier sign-in. */
    readonly loginsPerUserPerMinute: number;
  };
  readonly shutdownGraceMs: number;
  /** On SIGTERM, how long `/readyz` fails while the listener still serves, before it closes. */
  readonly shutdownDrainDelayMs: number;
  /** Sync the contact to OneTalk in the background after each sign-in (default off). */
  readonly syncContactOnLogin: boolean;
  /**
   * `/metrics`: on the main port behind `token`, or on its own `port` (then not on the main app),
   * bound to `host` (loopback unless told otherwise; elsewhere only with a token).
   */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined; readonly host: string };
  /** Express `trust proxy`: off, a hop count, or the proxies' addresses/subnets (never `true`). */
  readonly trustProxy: false | number | string;
  readonly logLevel: string;
}

/** Timeouts in ms; see README's configuration table for why each default is what it is. */
export interface HttpServerSettings {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * Reads the environment into a frozen {@link Config}. This is the only reader of `process.env`.
 * @throws ConfigError naming every missing or invalid variable at once (values are never echoed:
 * some are secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedEnvSchema.safeParse(env);
  const issues = parsed.success ? [] : issuesOf(parsed.error);
  // Rules across variables, on the raw values, so they are reported alongside every other problem.
  issues.push(...clientAuthenticationProblems(env, new Set(issues.map((issue) => issue.variable))));
  for (const [name, message] of Object.entries(removedVariables)) {
    if (env[name] !== undefined && env[name] !== '') issues.push({ variable: name, message });
  }
  if (!parsed.success || issues.length) throw configError(issues);
  const e = parsed.data;
  const nodeEnv = e.NODE_ENV === 'production' || e.NODE_ENV === 'test' ? e.NODE_ENV : 'development';
  const issuer = e.OIDC_ISSUER_URL;
  const onetalk = oneTalkSettings(e);
  const config: Config = {
    env: nodeEnv,
    port: e.PORT,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    publicOrigin: e.PUBLIC_URL.origin,
    redirectUri: new URL('/auth/callback', e.PUBLIC_URL.origin).href,
    secureCookies: e.PUBLIC_URL.protocol === 'https:',
    session: {
      secrets: e.SESSION_SECRET,
      idleTimeoutMs: e.SESSION_IDLE_TIMEOUT_MS,
      absoluteTimeoutMs: e.SESSION_ABSOLUTE_TIMEOUT_MS,
      maxCount: e.SESSION_MAX_COUNT,
      loginTransactionTtlMs: defaults.loginTransactionTtlMs,
      loginTransactionMaxPending: defaults.loginTransactionMaxPending,
      loginCookieSignedInTtlMs: defaults.loginCookieSignedInTtlMs,
    },
    oidc: {
      issuerUrl: issuer.href,
      clientId: e.OIDC_CLIENT_ID,
      clientAuth: clientAuthentication(e),
      scopes: e.OIDC_SCOPES,
      allowInsecureRequests: issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname),
      usePar: e.OIDC_USE_PAR,
      authParams: e.OIDC_AUTH_PARAMS,
    },
    revalidation: { intervalMs: e.SESSION_REVALIDATE_MS, graceMs: e.SESSION_REVALIDATE_GRACE_MS, waitMs: e.SESSION_REVALIDATE_WAIT_MS },
    onetalk: {
      apiKey: e.ONETALK_API_KEY,
      ...onetalk,
      policy: { ...onetalk.policy, maxConcurrent: e.ONETALK_MAX_CONCURRENT, maxQueue: e.ONETALK_MAX_QUEUE },
    },
    profile: {
      customerUserIdPrefix: e.CUSTOMER_USER_ID_PREFIX,
      defaultRegion: e.PHONE_DEFAULT_REGION as CountryCode | undefined,
      requireVerifiedPhone: e.PHONE_REQUIRE_VERIFIED,
      mapping: defaultClaimMapping,
    },
    userIdKey: e.USER_ID_SECRET ?? ownerIdKeyFromApiKey(e.ONETALK_API_KEY),
    allowedOrigins: e.ALLOWED_ORIGINS,
    redis: redisSettings(e),
    rateLimit: {
      ticketsPerMinute: e.RATE_LIMIT_TICKETS_PER_MINUTE,
      loginsPerIpPerMinute: e.RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE,
      loginsPerUserPerMinute: e.RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS,
    syncContactOnLogin: e.SYNC_CONTACT_ON_LOGIN,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  };
  return deepFreeze(config);
}
