import express, { Router, type RequestHandler } from 'express';
import type { Config } from '../config/index.js';
import { HttpProblem, requireCsrfHeader, type OriginPolicy } from '../http/index.js';
import type { OneTalkClient } from '../onetalk/index.js';
import { mapClaims } from '../profile/index.js';

export interface LivechatRouterDeps {
  config: Config;
  onetalk: OneTalkClient;
  originPolicy: OriginPolicy;
}

/** The ticket route takes no input; a body, if any, must be small JSON (a form post is refused). */
const jsonOrEmpty: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    next(new HttpProblem(415, 'unsupported_media_type', 'Unsupported media type', 'Send no body, or a JSON body.'));
    return;
  }
  next();
};

/**
 * `POST /api/livechat/ticket`: session → profile → OneTalk → `{ticket, expiresAt}` and nothing
 * else. Tickets are single-use, so one is minted per request and never cached.
 */
export function createLivechatRouter(deps: LivechatRouterDeps): Router {
  const { config, onetalk } = deps;
  const router = Router();
  const loginUrl = `${config.publicOrigin}/auth/login`;

  router.post(
    '/ticket',
    requireCsrfHeader(deps.originPolicy),
    jsonOrEmpty,
    express.json({ limit: '1kb', strict: true }),
    async (req, res) => {
      const user = req.session?.user;
      if (!user) {
        throw new HttpProblem(401, 'not_signed_in', 'Sign-in required', 'Sign in first, then ask for a ticket again.', { loginUrl });
      }
      const mapped = mapClaims(user.claims, config.profile);
      if (!mapped.ok) throw new HttpProblem(403, 'profile_refused', 'This account cannot use live chat', mapped.message);
      // A browser that went away needs no ticket: cancel the upstream call and free its slot
      // under the concurrency cap at once, instead of holding it until the deadline.
      const gone = new AbortController();
      const onClose = () => {
        if (!res.writableEnded) gone.abort();
      };
      res.on('close', onClose);
      try {
        const { ticket, expiresAt } = await onetalk.requestAuthTicket(mapped.user, { signal: gone.signal });
        res.setHeader('Cache-Control', 'no-store');
        res.json({ ticket, expiresAt });
      } finally {
        res.off('close', onClose);
      }
    },
  );

  return router;
}
