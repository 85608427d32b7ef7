/**
 * Scenario 3, the peer: what people would use instead of this gateway. express-openid-connect
 * set up as its README recommends (its default encrypted, rolling cookie session; no session
 * store), signed in through the same IdP, serving the same JSON as `GET /auth/session` from
 * `req.oidc.user` behind `requiresAuth()`.
 *
 * With the code flow the dev IdP (like many) puts name, email and picture in userinfo, not in
 * the ID token, so `req.oidc.user` holds little more than `sub`. The peer therefore does what
 * its own docs show for that case and what the gateway does at its callback: one userinfo call
 * in `afterCallback`, kept in the session as `userProfile` (`req.appSession.userProfile`).
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import openidConnect from 'express-openid-connect';
import { signIn } from '../browser.js';
import { bind } from '../listen.js';
import type { LoadScenario } from './scenario.js';

// A CommonJS package whose exports Node cannot name statically: take them from the default.
const { auth, requiresAuth } = openidConnect;

interface Profile {
  name?: unknown;
  email?: unknown;
  picture?: unknown;
}

export const peer: LoadScenario = {
  id: 'peer',
  number: 3,
  title: 'Peer: express-openid-connect, same JSON route',
  async prepare() {
    const bound = await bind();
    const clientSecret = randomBytes(24).toString('base64url');
    return {
      clients: [
        {
          client_id: 'bench-peer',
          client_secret: clientSecret,
          redirect_uris: [`${bound.url}/callback`],
          post_logout_redirect_uris: [`${bound.url}/`],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      async start({ idp }) {
        const app = express();
        app.use(
          auth({
            issuerBaseURL: idp.issuer,
            baseURL: bound.url,
            clientID: 'bench-peer',
            clientSecret,
            secret: randomBytes(32).toString('hex'),
            authRequired: false,
            idpLogout: true,
            // The dev IdP, like the gateway, allows only the code flow (with PKCE, which the
            // library adds by itself for `code`).
            authorizationParams: { response_type: 'code', scope: 'openid profile email' },
            afterCallback: async (req, _res, session) => {
              const { name, email, picture } = await req.oidc.fetchUserInfo();
              return { ...session, userProfile: { name, email, picture } };
            },
          }),
        );
        app.get('/session', requiresAuth(), (req, res) => {
          const profile = (req as { appSession?: { userProfile?: Profile } }).appSession?.userProfile;
          const user: Profile = { ...req.oidc.user, ...profile };
          res.setHeader('Cache-Control', 'no-store');
          res.json({ authenticated: true, user: { name: user.name, email: user.email, picture: user.picture } });
        });
        bound.serve(app);
        try {
          const cookie = await signIn(`${bound.url}/login`, 'alice', (name) => name.startsWith('appSession'));
          const check = await fetch(`${bound.url}/session`, { headers: { cookie } });
          const body = (await check.json().catch(() => ({}))) as { user?: { name?: string } };
          if (check.status !== 200 || body.user?.name !== 'Alice Liddell') throw new Error(`peer: GET /session is not signed in (${check.status})`);
          return {
            targets: [
              { id: 'peer', scenario: 3, label: 'express-openid-connect, cookie session', url: `${bound.url}/session`, method: 'GET', headers: { cookie }, expectStatus: 200 },
            ],
            notes: [],
            stop: () => bound.close(),
          };
        } catch (err) {
          await bound.close();
          throw err;
        }
      },
    };
  },
};
