import type { CountryCode } from 'libphonenumber-js';
import defaults from '../../config/defaults.json' with { type: 'json' };
import type { UpstreamPolicy } from '../onetalk/policy.js';
import { defaultClaimMapping, type ClaimMapping } from '../profile/index.js';
import { oneTalkSettings } from './onetalk.js';
import { checkedEnvSchema } from './schema.js';
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
  };
  readonly oidc: {
    readonly issuerUrl: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly scopes: readonly string[];
    /** Plain http towards the IdP: only ever true for a loopback issuer. */
    readonly allowInsecureRequests: boolean;
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
  readonly allowedOrigins: readonly string[];
  readonly redis: { readonly url: string | undefined; readonly keyPrefix: string };
  readonly rateLimit: {
    /** Ticket requests per session per minute. */
    readonly ticketsPerMinute: number;
    /** Sign-in starts per client IP per minute. */
    readonly loginsPerMinute: number;
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
  readonly trustProxy: boolean | number | string;
  readonly logLevel: string;
}

/** Timeouts in ms; see README's configuration table for why each default is what it is. */
export interface HttpServerSettings {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

/** Thrown when the environment is invalid; `problems` names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Reads the environment into a frozen {@link Config}. This is the only reader of `process.env`.
 * @throws ConfigError naming every missing or invalid variable at once (values are never echoed:
 * some are secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError([...new Set(problems)]);
  }
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
    },
    oidc: {
      issuerUrl: issuer.href,
      clientId: e.OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET,
      scopes: e.OIDC_SCOPES,
      allowInsecureRequests: issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname),
    },
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
    allowedOrigins: e.ALLOWED_ORIGINS,
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    rateLimit: { ticketsPerMinute: e.RATE_LIMIT_TICKETS_PER_MINUTE, loginsPerMinute: e.RATE_LIMIT_LOGINS_PER_MINUTE },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS,
    syncContactOnLogin: e.SYNC_CONTACT_ON_LOGIN,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  };
  return deepFreeze(config);
}
