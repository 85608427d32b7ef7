/**
 * The floor of the gateway's own stack: what any Express service with server-side sessions,
 * security headers, an access log and a latency histogram pays per request, before any code of
 * ours. express-session with its MemoryStore (signed-in session holding the same user), helmet,
 * one pino access-log line per request at `finish`, one prom-client histogram observation, and
 * the same JSON route as `GET /auth/session`. The gateway's session read is judged against it.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pino } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { bind } from '../listen.js';
import { SESSION_BODY } from './ceiling.js';
import type { LoadScenario } from './scenario.js';

declare module 'express-session' {
  interface SessionData {
    profile?: typeof SESSION_BODY.user;
  }
}

export const floor: LoadScenario = {
  id: 'floor',
  number: 1,
  title: 'Floor: express-session + helmet + one log line + one histogram observation',
  async prepare() {
    const bound = await bind();
    return {
      clients: [],
      async start() {
        // stdout, as the gateway's own logger in the same host process (the bench sends it to /dev/null).
        const logger = pino({ level: 'info' });
        const registry = new Registry();
        const duration = new Histogram({
          name: 'http_request_duration_seconds',
          help: 'Request latency',
          labelNames: ['method', 'route', 'status'],
          registers: [registry],
        });
        const app = express();
        app.disable('x-powered-by');
        app.use((req, res, next) => {
          const started = process.hrtime.bigint();
          res.on('finish', () => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            duration.observe({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }, seconds);
            logger.info({ method: req.method, url: req.url, status: res.statusCode, ms: seconds * 1000 }, 'request');
          });
          next();
        });
        app.use(helmet());
        app.use(
          session({
            secret: randomBytes(32).toString('hex'),
            resave: false,
            saveUninitialized: false,
            cookie: { httpOnly: true, sameSite: 'lax', maxAge: 30 * 60_000 },
          }),
        );
        app.post('/login', (req, res) => {
          req.session.profile = SESSION_BODY.user;
          res.sendStatus(204);
        });
        app.get('/session', (req, res) => {
          res.setHeader('Cache-Control', 'no-store');
          const profile = req.session.profile;
          res.json(profile ? { authenticated: true, user: profile } : { authenticated: false });
        });
        bound.serve(app);
        const login = await fetch(`${bound.url}/login`, { method: 'POST' });
        const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
        if (!cookie) throw new Error('floor: no session cookie after sign-in');
        const check = (await (await fetch(`${bound.url}/session`, { headers: { cookie } })).json()) as { authenticated?: boolean };
        if (check.authenticated !== true) throw new Error('floor: GET /session is not signed in');
        return {
          targets: [
            {
              id: 'floor',
              scenario: 1,
              label: 'floor: express-session + helmet + log line + histogram',
              url: `${bound.url}/session`,
              method: 'GET',
              headers: { cookie },
              expectStatus: 200,
            },
          ],
          notes: [],
          stop: () => bound.close(),
        };
      },
    };
  },
};
