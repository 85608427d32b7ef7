import express, { type Express } from 'express';
import type { Store } from 'express-session';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { createAuthRouter } from './auth/routes.js';
import { OidcClient } from './auth/oidc.js';
import { MemoryTransactionStore, type TransactionStore } from './auth/transactions.js';
import type { Config } from './config/index.js';
import { corsForAllowedOrigins, createHttpLogger, createLogger, errorHandler, notFound, type OriginPolicy } from './http/index.js';
import { createHealthRouter } from './http/health.js';
import { createLivechatRouter } from './livechat/routes.js';
import { createOneTalkClient, type OneTalkClient } from './onetalk/index.js';
import { BoundedMemoryStore, createSessionMiddleware } from './session/index.js';

/** Everything createApp may be handed instead of building it itself (tests inject fakes of time). */
export interface AppDeps {
  logger?: Logger;
  onetalk?: OneTalkClient;
  sessionStore?: Store;
  transactions?: TransactionStore;
  oidc?: OidcClient;
  now?: () => number;
}

/** The assembled gateway: the Express app and the parts that need starting and stopping. */
export interface Gateway {
  readonly app: Express;
  readonly oidc: OidcClient;
  readonly logger: Logger;
  readonly sessionStore: Store;
  /** Stops background work (discovery retries, pruning) and closes upstream connections. */
  close(): Promise<void>;
}

/**
 * Builds the gateway from a parsed config. No globals and no listening: `src/server.ts` listens,
 * tests mount the app on port 0. OIDC discovery starts in the background at once.
 */
export function createApp(config: Config, deps: AppDeps = {}): Gateway {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const oidc =
    deps.oidc ??
    new OidcClient(
      {
        issuerUrl: config.oidc.issuerUrl,
        clientId: config.oidc.clientId,
        clientSecret: config.oidc.clientSecret,
        redirectUri: config.redirectUri,
        scopes: config.oidc.scopes,
        allowInsecureRequests: config.oidc.allowInsecureRequests,
      },
      logger.child({ component: 'oidc' }),
    );
  const onetalk =
    deps.onetalk ??
    createOneTalkClient({
      baseUrl: config.onetalk.baseUrl,
      apiKey: config.onetalk.apiKey,
      timeoutMs: config.onetalk.timeoutMs,
      paths: config.onetalk.paths,
      logger: logger.child({ component: 'onetalk' }),
    });
  const sessionStore = deps.sessionStore ?? new BoundedMemoryStore({ maxSessions: config.session.maxCount, now });
  const transactions = deps.transactions ?? new MemoryTransactionStore({ ttlMs: config.session.loginTransactionTtlMs, now });
  const originPolicy: OriginPolicy = { trustedOrigins: new Set([config.publicOrigin, ...config.allowedOrigins]) };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(createHttpLogger(logger));
  app.use(helmet());

  app.use(createHealthRouter({ oidc, sessionStore }));

  const sessions = createSessionMiddleware({
    secrets: config.session.secrets,
    secureCookies: config.secureCookies,
    store: sessionStore,
    idleTimeoutMs: config.session.idleTimeoutMs,
    absoluteTimeoutMs: config.session.absoluteTimeoutMs,
    now,
  });
  const cors = corsForAllowedOrigins(config.allowedOrigins);
  app.use('/auth', cors, sessions, createAuthRouter({ config, oidc, transactions, originPolicy, now }));
  app.use('/api/livechat', cors, sessions, createLivechatRouter({ config, onetalk, originPolicy }));
  app.use(notFound);
  app.use(errorHandler);

  oidc.start();
  return {
    app,
    oidc,
    logger,
    sessionStore,
    async close() {
      oidc.stop();
      onetalk.close();
      await transactions.close();
      (sessionStore as { close?: () => void }).close?.();
    },
  };
}
