import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Logger as RateLimitLogger, type Options, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import { redisRateLimitStore, type RedisCommandSender } from '../redis/rate-limit-store.js';
import { HttpProblem } from './problem.js';
import { ClockedMemoryStore } from './rate-limit-memory.js';

export type { RedisCommandSender };

/** Options of {@link createRateLimiters}. */
export interface RateLimitOptions {
  /** Ticket requests per session per minute. */
  ticketsPerMinute: number;
  /** Sign-in starts per client IP per minute, from browsers {@link loginBudgetKey} gives no key. */
  loginsPerIpPerMinute: number;
  /** Sign-in starts per minute for each key {@link loginBudgetKey} gives. */
  loginsPerUserPerMinute: number;
  /**
   * The key of a sign-in start with a budget of its own (a user whose verified login cookie says
   * they signed in here before), or undefined to charge the client IP. It must be unforgeable:
   * every distinct key is a fresh budget.
   */
  loginBudgetKey?: (req: Request) => string | undefined;
  /** The clock of the in-process counters (tests walk through minutes); Redis keeps its own time. */
  now?: () => number;
  logger: Logger;
  /**
   * What names a signed-in visitor's ticket counter: their verified session id (the signed
   * cookie, without reading the store), in the form that puts the counter in the session's Redis
   * Cluster slot, so that a user's requests depend on one master only.
   */
  sessionKeyOf: (req: Request) => string | undefined;
  /** When given, counters live in Redis and are shared by every instance; else in this process. */
  redis?: {
    client: RedisCommandSender;
    keyPrefix: string;
    /** Longest wait for Redis per request before answering 503, in ms. Default 1000. */
    deadlineMs?: number;
  };
}

/** The gateway's limiters, each to be mounted on its one route. */
export interface RateLimiters {
  /** `POST /api/livechat/ticket`, keyed by the signed session cookie; mount after the CSRF guard. */
  readonly tickets: RequestHandler;
  /**
   * `GET /auth/login`: keyed by user for a browser that signed in before, else by client IP
   * (`req.ip`, so `TRUST_PROXY` decides what that is).
   */
  readonly logins: RequestHandler;
}

const WINDOW_MS = 60_000;

/** Seconds until the window resets, on the clock of the store that set the reset time. */
function retryAfterSeconds(req: Request, clock: () => number): number {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return reset ? Math.max(1, Math.ceil((reset.getTime() - clock()) / 1000)) : Math.ceil(WINDOW_MS / 1000);
}

/** Past the limit: a problem through the app's one error handler, so the shape is the usual one. */
const refuseWith = (clock: () => number): Options['handler'] => (req, _res, next) => {
  const seconds = retryAfterSeconds(req, clock);
  next(
    new HttpProblem({
      status: 429,
      code: 'rate_limited',
      title: 'Too many requests',
      detail: `Too many requests; try again in ${seconds} s.`,
      headers: { 'Retry-After': String(seconds) },
    }),
  );
};

/** express-rate-limit's logger interface, onto pino (its default is the console). */
function rateLimitLogger(logger: Logger): RateLimitLogger {
  return {
    error: (err, message) => logger.error({ err }, message ?? 'rate limiter error'),
    warn: (err, message) => logger.warn({ err }, message ?? 'rate limiter warning'),
  };
}

/**
 * A signed-in visitor is limited by session id, so users behind one NAT keep separate budgets.
 * The id comes from the signed cookie, which only the gateway issues; a request without one is
 * refused 401 before the limiter, and would share its IP's budget here.
 */
function sessionKey(sessionKeyOf: (req: Request) => string | undefined): (req: Request) => string {
  return (req) => {
    const id = sessionKeyOf(req);
    return id !== undefined ? `sid:${id}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
  };
}

/**
 * Who pays for a sign-in start. Browsers without a verified key share their IP's ceiling (an
 * office behind one NAT: set it for the rush at 9:00). A browser whose user signed in here
 * before is charged to that user alone, so a cookieless flood from the same IP, which spends
 * the IP's ceiling, cannot lock it out, and a user who hammers sign-in is limited on their own.
 */
function loginBudget(options: RateLimitOptions): { key(req: Request): string; limit(req: Request): number } {
  const keys = new WeakMap<Request, string>();
  const key = (req: Request): string => {
    let value = keys.get(req);
    if (value === undefined) {
      const user = options.loginBudgetKey?.(req);
      value = user ? `user:${user}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
      keys.set(req, value);
    }
    return value;
  };
  return {
    key,
    limit: (req) => (key(req).startsWith('user:') ? options.loginsPerUserPerMinute : options.loginsPerIpPerMinute),
  };
}

/**
 * Builds the ticket and login limiters: a one-minute fixed window, `RateLimit`/`RateLimit-Policy`
 * headers (IETF draft 8) on every answer, `Retry-After` and a 429 `rate_limited` problem past
 * the limit. The upstream is never called for a refused request: the limiter answers first.
 */
export function createRateLimiters(options: RateLimitOptions): RateLimiters {
  const logger = rateLimitLogger(options.logger.child({ component: 'rate-limit' }));
  // Redis sets reset times by its own TTLs, on wall-clock time; in process, by the app's clock.
  const clock = options.redis ? Date.now : (options.now ?? Date.now);
  const common = {
    windowMs: WINDOW_MS,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: refuseWith(clock),
    logger,
    // Our own store errors are already problems; never admit requests unlimited.
    passOnStoreError: false,
  } as const;
  const store = (name: string): { store: Store } => ({
    store: options.redis ? redisRateLimitStore(options.redis.client, { ...options.redis, name }) : new ClockedMemoryStore(clock),
  });
  const logins = loginBudget(options);
  return {
    tickets: rateLimit({
      ...common,
      ...store('tickets'),
      limit: options.ticketsPerMinute,
      identifier: 'tickets',
      keyGenerator: sessionKey(options.sessionKeyOf),
    }),
    logins: rateLimit({
      ...common,
      ...store('logins'),
      keyGenerator: logins.key,
      limit: logins.limit,
      identifier: (req) => (logins.key(req).startsWith('user:') ? 'logins-per-user' : 'logins-per-ip'),
    }),
  };
}
