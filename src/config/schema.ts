import { isIP } from 'node:net';
import { z } from 'zod';
import { isSupportedCountry } from 'libphonenumber-js';
import defaults from '../../config/defaults.json' with { type: 'json' };
import { DEFAULT_POLICY, MAX_RETRIES_LIMIT } from '../onetalk/policy.js';
import { codePointLength } from '../onetalk/text.js';
import { DEFAULT_PATHS } from '../onetalk/types.js';
import { redisRules, redisVariables } from './redis.js';
import { clean, optionalIntIn } from './rules.js';
import { authParams, clientAuthMethod, clientPrivateKey, clientSecret, usePar } from './oidc.js';
import { isLoopbackHost, isSecureOrLoopback, parseOrigin } from './url.js';

/**
 * The environment schema: one entry per variable of shared/DESIGN.md plus the operational knobs
 * (timeouts, limits, upstream policy). Each variable is validated on its own, so one start-up error can name every bad variable.
 * Secure defaults live here: plain http only towards loopback, long session secrets, short idle
 * sessions.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intIn = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional()
    .transform((n) => n ?? fallback);

/** An absolute URL that is https, or http only towards a loopback host. */
const secureUrl = (what: string) =>
  z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .refine((s) => URL.canParse(s), { message: 'must be an absolute URL', abort: true })
    .transform((s) => new URL(s))
    // `abort` stops at the first broken rule: one clear message per variable.
    .refine((u) => u.protocol === 'https:' || u.protocol === 'http:', { message: 'must be an http(s) URL', abort: true })
    .refine((u) => !u.username && !u.password, { message: 'must not carry credentials', abort: true })
    .refine(isSecureOrLoopback, { message: `must use https (plain http is allowed only for a loopback ${what} host)`, abort: true });

const pathText = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^\/[A-Za-z0-9/_.-]*$/, 'must be a path starting with /')
    .optional()
    .transform((p) => p ?? fallback);

/** Session secrets: a comma-separated list; the first signs, all verify (rotation). */
const sessionSecrets = z
  .string({ error: 'is required' })
  .transform((s) => s.split(',').map((part) => part.trim()).filter((part) => part.length > 0))
  .refine((list) => list.length > 0, 'is required')
  .refine((list) => list.every((secret) => secret.length >= 32), 'every secret must be at least 32 characters');

/**
 * Origins of pages that embed the widget. Browsers send an exact Origin, so a wildcard could only
 * ever fail to match; plain http would let anyone on the network speak for that page.
 */
const allowedOrigins = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const origins: string[] = [];
    const refuse = (message: string) => ctx.addIssue({ code: 'custom', message });
    for (const item of (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
      const origin = parseOrigin(item);
      if (!origin) refuse(`"${item}" is not an origin (scheme://host[:port], no path)`);
      else if (new URL(origin).hostname.includes('*')) refuse(`"${item}" is a wildcard, which never matches: list each origin`);
      else if (!isSecureOrLoopback(new URL(origin))) refuse(`"${item}" must use https (plain http is allowed only for a loopback origin)`);
      else origins.push(origin);
    }
    return [...new Set(origins)];
  });

/** Names proxy-addr (Express) knows, besides addresses and subnets. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, `address/prefix` or `address/netmask`, as proxy-addr accepts them. */
function isProxyAddress(item: string): boolean {
  if (PROXY_NAMES.has(item)) return true;
  const [address = '', range, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * Express `trust proxy`: a hop count, or the proxies' addresses and subnets. `true` is refused:
 * it trusts the leftmost X-Forwarded-For, which any client writes itself, so one client could
 * take any IP (escaping the per-IP sign-in limit, or spending a victim's).
 */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): false | number | string => {
    if (v === undefined || v === '' || v.toLowerCase() === 'false') return false;
    if (v.toLowerCase() === 'true') {
      ctx.addIssue({
        code: 'custom',
        message:
          'true would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their addresses/subnets (e.g. loopback, 10.0.0.0/8)',
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) return Number(v);
    const bad = v.split(',').map((x) => x.trim()).filter((x) => !isProxyAddress(x));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${bad.join(', ')}" is not a hop count, an address, a subnet, or one of loopback, linklocal, uniquelocal`,
      });
      return z.NEVER;
    }
    return v;
  });

/** A bearer token for /metrics: long and header-safe, like the other secrets. */
const metricsToken = z
  .string()
  .optional()
  .transform((s) => (s ? s : undefined))
  .refine((s) => s === undefined || s.length >= 32, 'must be at least 32 characters')
  .refine((s) => s === undefined || /^[\x21-\x7e]+$/.test(s), 'must be visible ASCII characters without spaces');

/** A bind address: an IP literal or `localhost` (a name that could resolve anywhere is refused). */
const bindHost = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((h) => (h ? h : fallback))
    .refine((h) => isIP(h) !== 0 || h === 'localhost', 'must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or localhost');

/** True for addresses only this machine can reach; `0.0.0.0` and `::` are every interface. */
const isLoopbackBind = (host: string) => host === '::1' || isLoopbackHost(host);

export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: intIn(0, 65535, defaults.port),
  // Server timeouts: safe with nothing in front (slow clients and idle sockets are cut early).
  HTTP_HEADERS_TIMEOUT_MS: intIn(100, 120_000, defaults.httpHeadersTimeoutMs),
  HTTP_REQUEST_TIMEOUT_MS: intIn(100, 3_600_000, defaults.httpRequestTimeoutMs),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: intIn(100, 3_600_000, defaults.httpKeepAliveTimeoutMs),
  HTTP_MAX_CONNECTIONS: intIn(1, 1_000_000, defaults.httpMaxConnections),
  PUBLIC_URL: secureUrl('PUBLIC_URL').refine(
    (u) => u.pathname === '/' && !u.search && !u.hash,
    'must be an origin without a path (the gateway serves /auth and /api at its root)',
  ),
  SESSION_SECRET: sessionSecrets,
  SESSION_IDLE_TIMEOUT_MS: intIn(60_000, 7 * 24 * 3_600_000, defaults.sessionIdleTimeoutMs),
  SESSION_ABSOLUTE_TIMEOUT_MS: intIn(60_000, 30 * 24 * 3_600_000, defaults.sessionAbsoluteTimeoutMs),
  SESSION_MAX_COUNT: intIn(1, 10_000_000, defaults.sessionMaxCount),
  SESSION_REVALIDATE_MS: intIn(1_000, 24 * 3_600_000, defaults.sessionRevalidateMs),
  SESSION_REVALIDATE_GRACE_MS: intIn(0, 24 * 3_600_000, defaults.sessionRevalidateGraceMs),
  SESSION_REVALIDATE_WAIT_MS: intIn(100, 30_000, defaults.sessionRevalidateWaitMs),
  OIDC_ISSUER_URL: secureUrl('issuer'),
  OIDC_CLIENT_ID: z.string({ error: 'is required' }).trim().min(1, 'is required'),
  OIDC_CLIENT_SECRET: clientSecret,
  OIDC_CLIENT_AUTH: clientAuthMethod,
  OIDC_CLIENT_PRIVATE_KEY: clientPrivateKey,
  OIDC_USE_PAR: usePar,
  OIDC_SCOPES: z
    .string()
    .optional()
    .transform((s) => (s ?? defaults.oidcScopes).split(/\s+/).filter(Boolean))
    .refine((scopes) => scopes.includes('openid'), 'must include openid'),
  OIDC_AUTH_PARAMS: authParams,
  ONETALK_API_KEY: z
    .string({ error: 'is required' })
    .min(1, { message: 'is required', abort: true })
    // It travels as an HTTP header: visible ASCII only, so it can neither split nor be mangled.
    .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters without spaces'),
  ONETALK_BASE_URL: secureUrl('ONETALK_BASE_URL')
    .optional()
    .transform((u) => u ?? new URL(defaults.onetalkBaseUrl)),
  ONETALK_TIMEOUT_MS: intIn(100, 120_000, defaults.onetalkTimeoutMs),
  // The client's own defaults (paths, upstream policy), stated once in src/onetalk.
  ONETALK_TICKET_PATH: pathText(DEFAULT_PATHS.requestAuthTicket),
  ONETALK_SYNC_PATH: pathText(DEFAULT_PATHS.syncContact),
  ONETALK_MAX_RETRIES: intIn(0, MAX_RETRIES_LIMIT, DEFAULT_POLICY.maxRetries),
  ONETALK_RETRY_MAX_DELAY_MS: intIn(10, 60_000, DEFAULT_POLICY.retryMaxDelayMs),
  ONETALK_BREAKER_THRESHOLD: intIn(1, 100_000, DEFAULT_POLICY.breakerThreshold),
  ONETALK_BREAKER_COOLDOWN_MS: intIn(100, 3_600_000, DEFAULT_POLICY.breakerCooldownMs),
  ONETALK_MAX_CONCURRENT: intIn(1, 100_000, DEFAULT_POLICY.maxConcurrent),
  ONETALK_MAX_QUEUE: intIn(0, 1_000_000, DEFAULT_POLICY.maxQueue),
  CUSTOMER_USER_ID_PREFIX: z
    .string()
    .optional()
    .transform((s) => s ?? '')
    .refine((s) => codePointLength(s) < 100, 'must be shorter than 100 characters (customerUserID is 1..100)'),
  // Keys the opaque user id of GET /auth/session. Apart from SESSION_SECRET, whose rotation must
  // not change the ids (every widget would be logged out); when absent, derived from the API key.
  USER_ID_SECRET: z
    .string()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || s.length >= 32, 'must be at least 32 characters'),
  PHONE_DEFAULT_REGION: z
    .string()
    .trim()
    .optional()
    .refine((s) => !s || isSupportedCountry(s.toUpperCase()), 'must be an ISO 3166-1 alpha-2 region, e.g. ID or US')
    .transform((s) => (s ? s.toUpperCase() : undefined)),
  PHONE_REQUIRE_VERIFIED: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v !== 'false'),
  ALLOWED_ORIGINS: allowedOrigins,
  ...redisVariables,
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1..64 characters of letters, digits, : _ . -')
    .optional()
    .transform((p) => p ?? defaults.redisKeyPrefix),
  RATE_LIMIT_TICKETS_PER_MINUTE: intIn(1, 100_000, defaults.rateLimitTicketsPerMinute),
  RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: intIn(1, 1_000_000, defaults.rateLimitLoginsPerIpPerMinute),
  RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE: intIn(1, 100_000, defaults.rateLimitLoginsPerUserPerMinute),
  SHUTDOWN_GRACE_MS: intIn(0, 300_000, defaults.shutdownGraceMs),
  SHUTDOWN_DRAIN_DELAY_MS: intIn(0, 300_000, defaults.shutdownDrainDelayMs),
  SYNC_CONTACT_ON_LOGIN: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? defaults.syncContactOnLogin : v === 'true')),
  METRICS_TOKEN: metricsToken,
  // Empty is unset, as `.env.example` leaves it.
  METRICS_PORT: optionalIntIn(1, 65535),
  METRICS_HOST: bindHost(defaults.metricsHost),
  TRUST_PROXY: trustProxy,
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .optional()
    .transform((l) => l ?? (defaults.logLevel as (typeof LOG_LEVELS)[number])),
});

/**
 * {@link envSchema} plus the rules that tie variables together; each rule runs even when
 * unrelated variables are bad, so one start-up error still names every problem.
 */
const baseChecks = envSchema
  // Node refuses a headers timeout above the request timeout; say so by name instead.
  .refine((e) => e.HTTP_HEADERS_TIMEOUT_MS <= e.HTTP_REQUEST_TIMEOUT_MS, {
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
    message: 'must not be above HTTP_REQUEST_TIMEOUT_MS',
    when: clean('HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS'),
  })
  // Metrics reveal traffic and failure patterns: off this machine only behind the token.
  .refine((e) => e.METRICS_PORT === undefined || isLoopbackBind(e.METRICS_HOST) || e.METRICS_TOKEN !== undefined, {
    path: ['METRICS_HOST'],
    message: 'is not a loopback address: set METRICS_TOKEN too (anyone who reaches the port could read the metrics)',
    when: clean('METRICS_HOST', 'METRICS_TOKEN', 'METRICS_PORT'),
  });

/** {@link baseChecks} plus the rules across the Redis variables (exactly one mode, and so on). */
export const checkedEnvSchema = redisRules.reduce(
  (schema, rule) => schema.refine((e) => rule.check(e), { path: [rule.path], message: rule.message, when: rule.when }),
  baseChecks,
);

export type Env = z.output<typeof envSchema>;

/**
 * Variables that no longer exist. Setting one is an error naming what replaced it: left silently
 * unread, an operator's old value would stop meaning what they think it does.
 */
export const removedVariables: Readonly<Record<string, string>> = {
  RATE_LIMIT_LOGINS_PER_MINUTE:
    'is no longer read: use RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE (sign-in starts per client IP from browsers without a login cookie, default 600) and RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE (per user, from browsers that signed in before, default 10)',
};
