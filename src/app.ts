import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { createBackchannelLogoutRouter } from './auth/backchannel-router.js';
import { MemoryReplayGuard } from './auth/backchannel-replay.js';
import { createLoginSync } from './auth/contact-on-sign-in.js';
import { createAuthRouter } from './auth/routes.js';
import { OidcClient } from './auth/oidc.js';
import { loginBindingFor } from './auth/binding.js';
import { createRevalidator } from './auth/revalidate.js';
import { MemoryTransactionStore } from './auth/transactions.js';
import type { Config } from './config/index.js';
import { corsForAllowedOrigins, createLogger, errorHandler, installRequestLog, notFound, apiSecurityHeaders, documentSecurityHeaders, stdoutSink, type LogSink, type OriginPolicy } from './http/index.js';
import { createOpenApiRouter } from './openapi/index.js';
import { createRateLimiters, type RedisCommandSender } from './http/rate-limit.js';
import { createHealthRouter, createMetrics, metricsRouter, type GatewayMetrics } from './ops/index.js';
import { createLivechatRouter } from './livechat/routes.js';
import { createWidgetRouter } from './livechat/widget.js';
import { createOneTalkClient, type OneTalkClient } from './onetalk/index.js';
import { createRedisResources } from './redis/resources.js';
import { createSessions, MemorySessionStore, slotTaggedId, type LoginTransactionStore, type SessionStore } from './session/index.js';

/** Everything createApp may be handed instead of building it itself (tests inject fakes of time). */
export interface AppDeps {
  logger?: Logger;
  /** Where the default logger writes (default stdout); its dropped lines feed `log_lines_dropped_total`. */
  logSink?: LogSink;
  onetalk?: OneTalkClient;
  sessionStore?: SessionStore;
  transactions?: LoginTransactionStore;
  oidc?: OidcClient;
  now?: () => number;
  /** `npm run demo` only: the demo page's routes, mounted at `/`. Production never passes one. */
  demoRouter?: Router;
  /** Raw Redis commands for the rate-limit counters; used only when Redis is configured. */
  redisClient?: RedisCommandSender;
  /** Metrics registry and hooks; a fresh one per app by default (no global registry). */
  metrics?: GatewayMetrics;
}

/** The assembled gateway: the Express app and the parts that need starting and stopping. */
export interface Gateway {
  readonly app: Express;
  readonly oidc: OidcClient;
  readonly logger: Logger;
  readonly sessionStore: SessionStore;
  /** Prometheus registry; with METRICS_PORT, `src/server.ts` serves it via `createMetricsServer`. */
  readonly metrics: GatewayMetrics;
  /** True once {@link Gateway.startDraining} ran: `/readyz` answers 503 so no new traffic comes. */
  readonly draining: boolean;
  /** Marks the gateway as shutting down (see `src/ops/shutdown.ts`). */
  startDraining(): void;
  /** Stops background work (discovery retries, pruning) and closes upstream connections. */
  close(): Promise<void>;
}

/** What every surface shares: logging, metrics, the IdP and OneTalk clients, and the stores. */
function createCore(config: Config, deps: AppDeps) {
  const now = deps.now ?? Date.now;
  const logSink = deps.logSink ?? (deps.logger ? undefined : stdoutSink());
  const logger = deps.logger ?? createLogger(config.logLevel, logSink);
  const oidc =
    deps.oidc ??
    new OidcClient({ ...config.oidc, redirectUri: config.redirectUri }, logger.child({ component: 'oidc' }));
  const metrics = deps.metrics ?? createMetrics();
  const onetalk =
    deps.onetalk ??
    createOneTalkClient({
      baseUrl: config.onetalk.baseUrl,
      apiKey: config.onetalk.apiKey,
      timeoutMs: config.onetalk.timeoutMs,
      paths: config.onetalk.paths,
      policy: config.onetalk.policy,
      logger: logger.child({ component: 'onetalk' }),
      observer: metrics.onetalk,
    });
  // Redis configured: sessions, login transactions and logout replay records in Redis, never silently in memory.
  const redis = config.redis.connection ? createRedisResources(config, logger.child({ component: 'redis' })) : undefined;
  const redisClient = deps.redisClient ?? redis?.commands;
  const sessionStore = deps.sessionStore ?? redis?.sessionStore ?? new MemorySessionStore({ maxSessions: config.session.maxCount, now });
  const transactions =
    deps.transactions ??
    redis?.transactions ??
    new MemoryTransactionStore({ ttlMs: config.session.loginTransactionTtlMs, maxPending: config.session.loginTransactionMaxPending, now });
  metrics.watch({ onetalk, sessionStore, ...(logSink ? { logSink } : {}) });
  return { now, logger, oidc, metrics, onetalk, redis, redisClient, sessionStore, transactions };
}
type Core = ReturnType<typeof createCore>;

/** What the routes pass through before any work: sessions, CORS and Origin policy, rate limits, re-validation. */
function createGuards(config: Config, core: Core) {
  const { now, logger, oidc, onetalk, redisClient } = core;
  const originPolicy: OriginPolicy = { trustedOrigins: new Set([config.publicOrigin, ...config.allowedOrigins]) };
  const sessions = createSessions({
    store: core.sessionStore,
    secrets: config.session.secrets,
    secureCookies: config.secureCookies,
    idleTimeoutMs: config.session.idleTimeoutMs,
    absoluteTimeoutMs: config.session.absoluteTimeoutMs,
    now,
  });
  const cors = corsForAllowedOrigins(config.allowedOrigins);
  const loginBinding = loginBindingFor(config, now);
  const limits = createRateLimiters({
    ...config.rateLimit,
    loginBudgetKey: (req) => loginBinding.userBudgetKey(req),
    now,
    logger,
    sessionKeyOf: (req) => {
      const id = sessions.idOf(req);
      return id === undefined ? undefined : slotTaggedId(id);
    },
    ...(config.redis.connection && redisClient ? { redis: { client: redisClient, keyPrefix: config.redis.keyPrefix } } : {}),
  });
  const loginSync = config.syncContactOnLogin ? createLoginSync({ onetalk, profile: config.profile }) : undefined;
  const revalidator = createRevalidator({
    sessions, oidc, ...config.revalidation, profile: config.profile, now, loginSync, logger: logger.child({ component: 'revalidation' }),
  });
  return { originPolicy, sessions, cors, limits, loginSync, revalidator };
}
type Guards = ReturnType<typeof createGuards>;

/**
 * The Express app, ordered by cost and by traffic: bookkeeping every answer needs, then the
 * routes that carry the traffic (the session read and the ticket), then the rare ones. Every
 * router mounts its routes with their full paths and its own guards (CORS, CSRF, limits, body
 * parsers).
 */
function createExpressApp(config: Config, core: Core, guards: Guards, demoRouter: Router | undefined, draining: () => boolean): Express {
  const { now, logger, oidc, metrics, onetalk, sessionStore } = core;
  const { originPolicy, sessions, cors, limits, loginSync, revalidator } = guards;
  const app = express();
  app.disable('x-powered-by');
  // No automatic ETags: every dynamic answer is no-store, so hashing each body buys nothing
  // (the widget modules set their own).
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(installRequestLog(app, logger, metrics.observeRequest));
  app.use(apiSecurityHeaders);
  app.use(createAuthRouter({ config, oidc, transactions: core.transactions, sessions, originPolicy, cors, loginLimiter: limits.logins, now, metrics: metrics.auth, loginSync, revalidator }));
  app.use(createLivechatRouter({ config, onetalk, sessions, originPolicy, cors, limiter: limits.tickets, revalidator }));
  app.use(createHealthRouter({ oidc, sessionStore, draining }));
  // Server to server: no CORS or CSRF layer; it parses its own (form) body.
  app.use(
    createBackchannelLogoutRouter({
      oidc,
      clientId: config.oidc.clientId,
      sessions: sessionStore,
      replay: core.redis?.logoutReplay ?? new MemoryReplayGuard({ now }),
      rememberMs: Math.max(config.session.loginTransactionTtlMs, 60 * 60_000),
      now,
    }),
  );
  app.use(createWidgetRouter());
  app.use(createOpenApiRouter(config.publicOrigin));
  // With METRICS_PORT, /metrics lives only on that port; here it would answer 404.
  if (config.metrics.port === undefined) app.use(metricsRouter(metrics, { token: config.metrics.token, requireToken: true }));
  if (demoRouter) app.use(documentSecurityHeaders, demoRouter);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}

/**
 * Builds the gateway from a parsed config. No globals and no listening: `src/server.ts` listens,
 * tests mount the app on port 0. OIDC discovery starts in the background at once.
 */
export function createApp(config: Config, deps: AppDeps = {}): Gateway {
  const core = createCore(config, deps);
  const { oidc, onetalk, transactions, sessionStore, redis } = core;
  let draining = false;
  const app = createExpressApp(config, core, createGuards(config, core), deps.demoRouter, () => draining);

  oidc.start();
  return {
    app,
    oidc,
    logger: core.logger,
    sessionStore,
    metrics: core.metrics,
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
    async close() {
      oidc.stop();
      onetalk.close();
      await transactions.close();
      await sessionStore.close();
      await redis?.close();
    },
  };
}
