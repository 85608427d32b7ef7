import session from 'express-session';
import type { SessionData, Store } from 'express-session';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { LifetimeStore } from './lifetime-store.js';
import type { SessionUser } from './types.js';

/** Options of {@link createSessionMiddleware}. */
export interface SessionMiddlewareOptions {
  /** Cookie-signing secrets: the first signs, every one verifies (rotation without sign-outs). */
  secrets: readonly string[];
  /** True when the public URL is https: `__Host-` cookie name and the `Secure` attribute. */
  secureCookies: boolean;
  /** Where sessions live: a {@link BoundedMemoryStore} for one instance, Redis for several. */
  store: Store;
  /** A session unused this long is gone, in ms. Default 30 min. */
  idleTimeoutMs?: number;
  /** A sign-in older than this is gone however active it is, in ms. Default 12 h. */
  absoluteTimeoutMs?: number;
  /** Clock, epoch ms. Tests pass a fake one. Default `Date.now`. */
  now?: () => number;
  /** Cookie base name, default `onetalk.sid`; `__Host-` is prefixed when `secureCookies`. */
  name?: string;
}

/** What a sign-in stores: the user plus whatever else the app keeps (never the timestamps). */
export type AuthenticatedSessionData = { user: SessionUser } & Omit<
  Partial<SessionData>,
  'cookie' | 'createdAt' | 'lastSeenAt' | 'user'
>;

const DEFAULT_NAME = 'onetalk.sid';

/** The clock the guard used for a request, so sign-in stamps `createdAt` on the same clock. */
const clocks = new WeakMap<Request, () => number>();

/**
 * The session cookie's name. `__Host-` (https only) makes the browser insist on `Secure`,
 * `Path=/` and no `Domain`, so a sibling subdomain cannot plant or shadow the cookie.
 */
export function sessionCookieName(secureCookies: boolean, base: string = DEFAULT_NAME): string {
  return secureCookies ? `__Host-${base}` : base;
}

/** Tells the browser to drop the session cookie (same attributes, or it would not match). */
export function clearSessionCookie(res: Response, secureCookies: boolean, base?: string): void {
  res.clearCookie(sessionCookieName(secureCookies, base), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies,
  });
}

function positiveMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`createSessionMiddleware: ${name} must be a positive integer of ms`);
  }
  return value;
}

/**
 * express-session configured for this gateway, followed by a lifetime guard. Mount both,
 * in order: `app.use(createSessionMiddleware(options))`.
 *
 * The cookie carries only the signed session id. Idle timeout: `rolling` re-issues the cookie
 * with `maxAge = idleTimeoutMs` on every request; the store's TTL is renewed by the `lastSeenAt`
 * rewrite below (no per-request touch: see {@link LifetimeStore}); `lastSeenAt` is checked as
 * well, so a store that does not expire entries cannot extend a session.
 * Absolute timeout: a session whose `createdAt` is older than `absoluteTimeoutMs` is over,
 * however active. An ended session is destroyed when it is loaded (see {@link LifetimeStore})
 * and the request goes on as anonymous, with a fresh empty session, as after a store expiry.
 *
 * `lastSeenAt` is rewritten only when it is at least a resolution step old (1/30 of the idle
 * timeout, at most a minute). Each rewrite is a full store write, and a write racing a logout
 * could resurrect the session; fewer writes shrink that window. Because `lastSeenAt` lags by
 * less than a step, a session may end up to one step early, never late.
 */
export function createSessionMiddleware(options: SessionMiddlewareOptions): [RequestHandler, ErrorRequestHandler, RequestHandler] {
  const { secrets, secureCookies, store, name } = options;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError('createSessionMiddleware: secrets must be a non-empty list of non-empty strings');
  }
  const idleTimeoutMs = positiveMs('idleTimeoutMs', options.idleTimeoutMs ?? 30 * 60 * 1000);
  const absoluteTimeoutMs = positiveMs('absoluteTimeoutMs', options.absoluteTimeoutMs ?? 12 * 60 * 60 * 1000);
  const now = options.now ?? Date.now;
  const resolutionMs = Math.max(1, Math.min(60_000, Math.floor(idleTimeoutMs / 30)));

  const isOver = (sess: SessionData): boolean => {
    const t = now();
    const { createdAt } = sess;
    const lastSeenAt = sess.lastSeenAt ?? createdAt;
    return (
      (typeof createdAt === 'number' && t - createdAt > absoluteTimeoutMs) ||
      (typeof lastSeenAt === 'number' && t - lastSeenAt > idleTimeoutMs)
    );
  };

  const sessionHandler = session({
    name: sessionCookieName(secureCookies, name),
    secret: [...secrets],
    store: new LifetimeStore(store, isOver),
    resave: false, // the lastSeenAt rewrite renews the TTL; resaving every request would race parallel ones
    saveUninitialized: false, // no server state (and no cookie) until something is stored
    rolling: true,
    unset: 'destroy',
    proxy: undefined, // follow Express `trust proxy`: Secure cookies work behind a TLS proxy
    cookie: { httpOnly: true, sameSite: 'lax', path: '/', secure: secureCookies, maxAge: idleTimeoutMs },
  });

  // Stamps the clock for sign-in and records activity; the ending itself is in the store.
  const lifetimeGuard: RequestHandler = (req, _res, next) => {
    clocks.set(req, now);
    const sess = req.session as (typeof req.session) | undefined;
    const lastSeenAt = sess?.lastSeenAt ?? sess?.createdAt;
    if (sess && typeof lastSeenAt === 'number') {
      const t = now();
      if (t - lastSeenAt >= resolutionMs) sess.lastSeenAt = t;
    }
    next();
  };

  // A store that fails to answer (Redis down or slow) leaves the request without a session, and
  // with `unset: 'destroy'` express-session would delete that session when the response ends: a
  // sign-out caused by a timeout. Forgetting the id on such an error means nothing is destroyed;
  // the error itself goes on to the error middleware (503).
  const keepSessionOnStoreError: ErrorRequestHandler = (err, req, _res, next) => {
    if ((req.session as Request['session'] | undefined) === undefined) req.sessionID = '';
    next(err);
  };

  return [sessionHandler, keepSessionOnStoreError, lifetimeGuard];
}

function sessionOf(req: Request): Request['session'] {
  const sess = req.session as Request['session'] | undefined;
  if (!sess) throw new Error('no session on the request: is createSessionMiddleware mounted?');
  return sess;
}

/** `req.session.save` as a promise. */
export function saveSession(req: Request): Promise<void> {
  const sess = sessionOf(req);
  return new Promise((resolve, reject) => {
    sess.save((err: unknown) => (err ? reject(err as Error) : resolve()));
  });
}

/** `req.session.destroy` as a promise; resolves at once when there is no session. */
export function destroySession(req: Request): Promise<void> {
  const sess = req.session as Request['session'] | undefined;
  if (!sess) return Promise.resolve();
  return new Promise((resolve, reject) => {
    sess.destroy((err: unknown) => (err ? reject(err as Error) : resolve()));
  });
}

/**
 * Signs the user in: a new session id (so an id planted before login never becomes
 * authenticated: session fixation), then `createdAt`/`lastSeenAt` and `data`, saved before
 * this resolves. Everything in the pre-login session is dropped: read what you need from it
 * (OIDC state, `returnTo`) first.
 */
export async function startAuthenticatedSession(req: Request, data: AuthenticatedSessionData): Promise<void> {
  const now = clocks.get(req) ?? Date.now;
  const old = sessionOf(req);
  await new Promise<void>((resolve, reject) => {
    old.regenerate((err: unknown) => (err ? reject(err as Error) : resolve()));
  });
  const t = now();
  Object.assign(sessionOf(req), data, { createdAt: t, lastSeenAt: t });
  await saveSession(req);
}
