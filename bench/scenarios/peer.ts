/**
 * Scenario 3, the peer: what people would use instead of this gateway. express-openid-connect
 * set up as its README shows (`auth()` with its default encrypted, rolling cookie session; no
 * session store), signed in through the same IdP, serving the same JSON as `GET /auth/session`
 * from `req.oidc.user` behind `requiresAuth()`. Two variants:
 *
 * - `peer`: the README's setup as it is. With the code flow the dev IdP (like many) puts name,
 *   email and picture in userinfo, not in the ID token, so the session cookie holds the tokens
 *   and `req.oidc.user` holds little more than `sub`.
 * - `peer-userinfo`: what its docs show for that case and what the gateway does at its callback:
 *   one userinfo call in `afterCallback`, kept in the session as `userProfile`. A bigger cookie,
 *   decrypted (and, rolling, re-encrypted) on every request.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import openidConnect, { type ConfigParams } from 'express-openid-connect';
import { signIn } from '../browser.js';
import { bind, type Bound } from '../listen.js';
import type { DevClient } from '../../src/demo/idp.js';
import type { LoadScenario, Started } from './scenario.js';

// A CommonJS package whose exports Node cannot name statically: take them from the default.
const { auth, requiresAuth } = openidConnect;

interface Profile {
  name?: unknown;
  email?: unknown;
  picture?: unknown;
}

interface Variant {
  id: string;
  label: string;
  extra: Partial<ConfigParams>;
}

const VARIANTS: readonly Variant[] = [
  { id: 'peer', label: 'express-openid-connect (its README setup)', extra: {} },
  {
    id: 'peer-userinfo',
    label: 'express-openid-connect, userinfo kept in the cookie',
    extra: {
      afterCallback: async (req, _res, session) => {
        const { name, email, picture } = await req.oidc.fetchUserInfo();
        return { ...session, userProfile: { name, email, picture } };
      },
    },
  },
];

function client(variant: Variant, bound: Bound, secret: string): DevClient {
  return {
    client_id: `bench-${variant.id}`,
    client_secret: secret,
    redirect_uris: [`${bound.url}/callback`],
    post_logout_redirect_uris: [`${bound.url}/`],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

async function startVariant(variant: Variant, bound: Bound, clientSecret: string, issuer: string): Promise<Started> {
  const app = express();
  app.use(
    auth({
      issuerBaseURL: issuer,
      baseURL: bound.url,
      clientID: `bench-${variant.id}`,
      clientSecret,
      secret: randomBytes(32).toString('hex'),
      authRequired: false,
      idpLogout: true,
      // The dev IdP, like the gateway, allows only the code flow (with PKCE, which the library
      // adds by itself for `code`).
      authorizationParams: { response_type: 'code', scope: 'openid profile email' },
      ...variant.extra,
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
    await check.body?.cancel();
    if (check.status !== 200) throw new Error(`${variant.id}: GET /session is not signed in (${check.status})`);
    return {
      targets: [{ id: variant.id, scenario: 3, label: variant.label, url: `${bound.url}/session`, method: 'GET', headers: { cookie }, expectStatus: 200 }],
      notes: [`${variant.id}: its session cookie is ${cookie.length} bytes.`],
      stop: () => bound.close(),
    };
  } catch (err) {
    await bound.close();
    throw err;
  }
}

export const peer: LoadScenario = {
  id: 'peer',
  number: 3,
  title: 'Peer: express-openid-connect, same JSON route',
  async prepare() {
    const bounds = await Promise.all(VARIANTS.map(() => bind()));
    const secrets = VARIANTS.map(() => randomBytes(24).toString('base64url'));
    return {
      clients: VARIANTS.map((variant, i) => client(variant, bounds[i] as Bound, secrets[i] as string)),
      async start({ idp }) {
        const started: Started[] = [];
        try {
          for (const [i, variant] of VARIANTS.entries()) started.push(await startVariant(variant, bounds[i] as Bound, secrets[i] as string, idp.issuer));
        } catch (err) {
          await Promise.all(started.map((s) => s.stop()));
          throw err;
        }
        return {
          targets: started.flatMap((s) => s.targets),
          notes: started.flatMap((s) => s.notes),
          stop: async () => {
            await Promise.all(started.map((s) => s.stop()));
          },
        };
      },
    };
  },
};
