import express, { Router, type Request, type RequestHandler } from 'express';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeader, type OriginPolicy } from '../http/index.js';
import type { OneTalkClient } from '../onetalk/index.js';
import { mapClaims } from '../profile/index.js';
import type { LoadedSession, Sessions } from '../session/index.js';
import type { Ticket } from './schemas.js';

export interface LivechatRouterDeps {
  config: Config;
  onetalk: OneTalkClient;
  sessions: Sessions;
  originPolicy: OriginPolicy;
  /** CORS for ALLOWED_ORIGINS (its preflight too). */
  cors: RequestHandler;
  /** The per-session ticket limiter; it runs after the request is known to be genuine. */
  limiter: RequestHandler;
  /** Re-validates sessions due for it at the IdP (see `src/auth/revalidate.ts`). */
  revalidator?: {
    due(session: LoadedSession): boolean;
    /** Bounded wait; undefined when the re-validation ended the session. */
    current(session: LoadedSession, log: Request['log']): Promise<LoadedSession | undefined>;
  };
}

/** The one route of this surface, mounted at the app's root with its full path. */
export const TICKET_PATH = '/api/livechat/ticket';

/** The ticket route takes no input; a body, if any, must be small JSON (a form post is refused). */
const jsonOrEmpty: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    next(new HttpProblem({ status: 415, code: 'unsupported_media_type', title: 'Unsupported media type', detail: 'Send no body, or a JSON body.' }));
    return;
  }
  next();
};

/**
 * `POST /api/livechat/ticket`: session → profile → OneTalk → `{ticket, expiresAt}` and nothing
 * else. Tickets are single-use, so one is minted per request and never cached. The router owns
 * its whole surface and every guard on it: mount it at the app's root.
 *
 * Order, cheapest refusal first and the session last: the CSRF/Origin guard (a forged request
 * costs no store read and no limiter count), the body (a client holding its body back holds no
 * session it read earlier), a signed cookie at all, the per-session limiter, and only then the
 * session itself, read right before the upstream call. A sign-out that completed before that read
 * gets this request a 401, never a ticket.
 */
export function createLivechatRouter(deps: LivechatRouterDeps): Router {
  const { config, onetalk, sessions } = deps;
  const router = Router();
  const loginUrl = `${config.publicOrigin}/auth/login`;
  const notSignedIn = () =>
    new HttpProblem({
      status: 401,
      code: 'not_signed_in',
      title: 'Sign-in required',
      detail: 'Sign in first, then ask for a ticket again.',
      extra: { loginUrl },
    });

  router.use('/api/livechat', deps.cors);
  router.post(
    TICKET_PATH,
    requireCsrfHeader(deps.originPolicy),
    jsonOrEmpty,
    express.json({ limit: '1kb', strict: true }),
    (req, _res, next) => next(sessions.idOf(req) === undefined ? notSignedIn() : undefined),
    deps.limiter,
    async (req, res) => {
      const loaded = await sessions.read(req, res);
      // A session due for re-validation is checked at the IdP first, so a user revoked there gets
      // no ticket, and a renamed one reaches OneTalk under the new name.
      const session = loaded && deps.revalidator?.due(loaded) ? await deps.revalidator.current(loaded, req.log) : loaded;
      if (!session) {
        if (loaded) await sessions.signOut(req, res); // ended by its re-validation: drop the cookie too
        throw notSignedIn();
      }
      const { user } = session.record;
      const mapped = mapClaims(user.claims, config.profile);
      if (!mapped.ok) throw new HttpProblem({ status: 403, code: 'profile_refused', title: 'This account cannot use live chat', detail: mapped.message });
      // A browser that went away needs no ticket: cancel the upstream call and free its slot
      // under the concurrency cap at once, instead of holding it until the deadline.
      const gone = new AbortController();
      const onClose = () => {
        if (!res.writableEnded) gone.abort();
      };
      // A call that had to wait for an upstream slot (or the breaker's probe) asks this before it
      // goes: a sign-out completed during the wait gets this request a 401, never a ticket.
      let refusal: unknown;
      const stillSignedIn = async (): Promise<boolean> => {
        try {
          if (await sessions.store.get(session.id)) return true;
          refusal = notSignedIn();
        } catch (err) {
          refusal = err;
        }
        return false;
      };
      res.on('close', onClose);
      try {
        const { ticket, expiresAt } = await onetalk.requestAuthTicket(mapped.user, { signal: gone.signal, stillWanted: stillSignedIn });
        res.setHeader('Cache-Control', 'no-store');
        res.json({ ticket, expiresAt } satisfies Ticket);
      } catch (err) {
        throw refusal ?? err;
      } finally {
        res.off('close', onClose);
      }
    },
  );

  return router;
}
