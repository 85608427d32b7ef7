/**
 * Scenario 1, the ceiling: a bare Express 5 app answering the same JSON `GET /auth/session`
 * gives a signed-in user, with nothing in front of it. No gateway can beat it; the other
 * scenarios are read as fractions of it.
 */
import express from 'express';
import { bind } from '../listen.js';
import type { LoadScenario } from './scenario.js';

/** What `GET /auth/session` answers for alice: the ceiling sends the very same bytes. */
export const SESSION_BODY = {
  authenticated: true,
  user: { name: 'Alice Liddell', email: 'alice@example.com', picture: 'https://www.gravatar.com/avatar/0?d=identicon' },
};

export const ceiling: LoadScenario = {
  id: 'ceiling',
  number: 1,
  title: 'Ceiling: bare Express 5 JSON route',
  async prepare() {
    const bound = await bind();
    return {
      clients: [],
      async start() {
        const app = express();
        app.get('/session', (_req, res) => {
          res.setHeader('Cache-Control', 'no-store');
          res.json(SESSION_BODY);
        });
        bound.serve(app);
        return {
          targets: [
            { id: 'ceiling', scenario: 1, label: 'Express 5, bare JSON route', url: `${bound.url}/session`, method: 'GET', headers: {}, expectStatus: 200 },
          ],
          notes: [],
          stop: () => bound.close(),
        };
      },
    };
  },
};
