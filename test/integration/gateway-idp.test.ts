/**
 * Sign-in through the gateway when the IdP sets its own terms: pushed authorization requests,
 * client authentication methods, scopes it will not grant, refresh tokens. The IdP is the real
 * oidc-provider (src/demo/idp.ts) configured to demand each of them.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { requestTicket, startSystem, type System, type SystemOptions } from '../helpers/gateway.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { STORE_MODES, type StoreMode } from '../helpers/revalidation.js';
import { until } from '../helpers/wait.js';

type LogLine = Record<string, unknown> & { level: number; msg: string };
const lines = (system: System): LogLine[] => system.logs.map((l) => JSON.parse(l) as LogLine);
const linesWith = (system: System, text: string) => lines(system).filter((l) => l.msg.includes(text));


/** Runs `body` against a system started with `options`, and always stops it. */
async function withSystem(options: SystemOptions, body: (system: System) => Promise<void>): Promise<void> {
  const system = await startSystem(options);
  try {
    await body(system);
  } finally {
    await system.close();
  }
}

async function signsInAndMintsTickets(system: System): Promise<void> {
  const browser = await system.signIn('alice');
  expect((await requestTicket(system, browser)).status).to.equal(200);
  expect(system.emulator.requests.at(-1)?.body).to.include({ customerUserID: 'alice', fullName: 'Alice Liddell' });
}

/**
 * Runs `body` in a system whose IdP grants refresh tokens, with sessions in `mode`'s store and a
 * clock the body can move; the body gets a check that signs in, mints a ticket, and re-validates
 * the session at the IdP on the same terms (PAR, client authentication) as the sign-in.
 */
async function withStore(mode: StoreMode, options: SystemOptions, body: (check: () => Promise<void>, system: System) => Promise<void>): Promise<void> {
  const prefix = `test:${randomUUID()}:`;
  let skew = 0;
  const system = await startSystem({
    ...options,
    idpOptions: { ...options.idpOptions, refreshTokens: true },
    env: {
      OIDC_SCOPES: 'openid profile email phone offline_access',
      OIDC_AUTH_PARAMS: 'prompt=consent',
      ...(mode === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
      ...options.env,
    },
    deps: { now: () => Date.now() + skew },
  });
  const check = async (): Promise<void> => {
    await signsInAndMintsTickets(system);
    const browser = await system.signIn('bob');
    skew += system.config.revalidation.intervalMs;
    expect((await requestTicket(system, browser)).status).to.equal(200);
    expect(linesWith(system, 'session re-validated at the IdP')[0]).to.include({ revalidation: 'refreshed', rotated: true });
  };
  try {
    await body(check, system);
  } finally {
    await system.close();
    if (mode === 'redis') await dropKeys(prefix);
  }
}

describe('sign-in on the IdP\'s terms', function () {
  describe('pushed authorization requests', () => {
    for (const mode of STORE_MODES) {
      it(`when the IdP requires PAR, pushes the request (the browser carries only client_id and request_uri), signs in and re-validates (${mode} sessions)`, () =>
        withStore(mode, { idpOptions: { pushedAuthorizationRequests: 'required' } }, async (check, system) => {
          const start = await system.browser().get(`${system.url}/auth/login`);
          const location = new URL(start.headers.get('location') ?? '');
          expect([...location.searchParams.keys()].sort()).to.deep.equal(['client_id', 'request_uri']);
          expect(location.searchParams.get('request_uri')).to.match(/^urn:ietf:params:oauth:request_uri:/);
          await check();
        }));
    }

    it('when the IdP requires PAR and OIDC_USE_PAR=false, warns at discovery, and the IdP refuses the sign-in', () =>
      withSystem({ idpOptions: { pushedAuthorizationRequests: 'required' }, env: { OIDC_USE_PAR: 'false' } }, async (system) => {
        expect(linesWith(system, 'the IdP requires pushed authorization requests but OIDC_USE_PAR=false')).to.have.length(1);
        const browser = system.browser();
        const start = await browser.get(`${system.url}/auth/login`);
        expect(new URL(start.headers.get('location') ?? '').searchParams.has('request_uri')).to.equal(false);
        const back = (await browser.follow(start, { stopAt: (next) => next.origin === system.url })).at(-1)?.location;
        expect(back?.searchParams.get('error_description')).to.match(/pushed authorization request/i);
        const done = await browser.get(back!);
        expect(done.status).to.equal(400);
        expect(await done.json()).to.include({ code: 'login_denied', idpError: 'invalid_request' });
      }));

    it('with OIDC_USE_PAR=auto, pushes when the IdP merely offers PAR', () =>
      withSystem({ idpOptions: { pushedAuthorizationRequests: 'offered' } }, async (system) => {
        expect(system.gateway.oidc.usesPar).to.equal(true);
        const start = await system.browser().get(`${system.url}/auth/login`);
        expect(new URL(start.headers.get('location') ?? '').searchParams.has('request_uri')).to.equal(true);
        await signsInAndMintsTickets(system);
      }));

    it('with OIDC_USE_PAR=true and an IdP that does not advertise PAR, stays not ready and says why in an error line', () =>
      withSystem({ env: { OIDC_USE_PAR: 'true' }, waitForDiscovery: false }, async (system) => {
        await until(() => linesWith(system, 'OIDC setup does not match the IdP').length > 0, 'the setup error line');
        const [line] = linesWith(system, 'OIDC setup does not match the IdP');
        expect(line).to.include({ level: 50 });
        expect(line?.error).to.equal('OIDC_USE_PAR=true, but the IdP does not advertise a pushed_authorization_request_endpoint in its discovery document');
        const ready = await fetch(`${system.url}/readyz`);
        expect(ready.status).to.equal(503);
        expect(await ready.json()).to.include({ failing: 'oidcDiscovery' });
        expect(system.gateway.oidc.status.lastError).to.match(/^OIDC_USE_PAR=true/);
      }));

    it('answers 502 idp_unreachable at /auth/login when the PAR endpoint cannot be reached', () =>
      withSystem({ idpOptions: { pushedAuthorizationRequests: 'required' } }, async (system) => {
        await system.idp.close();
        const res = await system.browser().get(`${system.url}/auth/login`);
        expect(res.status).to.equal(502);
        expect(await res.json()).to.include({ code: 'idp_unreachable' });
      }));
  });

  describe('client authentication', () => {
    it('signs in with client_secret_post when the IdP registered the client that way', () =>
      withSystem({ client: { token_endpoint_auth_method: 'client_secret_post' }, env: { OIDC_CLIENT_AUTH: 'client_secret_post' } }, signsInAndMintsTickets));

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyForms: Array<[string, string, Record<string, unknown>, SystemOptions['idpOptions']]> = [
      ['an RSA PEM', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { ...rsa.publicKey.export({ format: 'jwk' }) }, {}],
      [
        'an EC JWK with a kid (and PAR required too)',
        JSON.stringify({ ...ec.privateKey.export({ format: 'jwk' }), kid: 'gw-1' }),
        { ...ec.publicKey.export({ format: 'jwk' }), kid: 'gw-1' },
        { pushedAuthorizationRequests: 'required' },
      ],
    ];
    for (const [form, privateKey, publicJwk, idpOptions] of keyForms) {
      for (const mode of STORE_MODES) {
        it(`signs in and re-validates with private_key_jwt and ${form}, no client secret anywhere (${mode} sessions)`, () =>
          withStore(
            mode,
            {
              idpOptions,
              client: { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks: { keys: [publicJwk] } },
              env: { OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_PRIVATE_KEY: privateKey },
            },
            (check) => check(),
          ));
      }
    }

    it('is refused with private_key_jwt and a key the IdP does not hold: 502 idp_refused, invalid_client logged', () =>
      withSystem(
        {
          client: { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks: { keys: [rsa.publicKey.export({ format: 'jwk' })] } },
          env: { OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_PRIVATE_KEY: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
        },
        async (system) => {
          const browser = system.browser();
          const start = await browser.get(`${system.url}/auth/login`);
          const done = await browser.get(await browser.signInAt(start.headers.get('location')!, 'alice'));
          expect(done.status).to.equal(502);
          expect(await done.json()).to.include({ code: 'idp_refused' });
          expect(linesWith(system, 'the IdP refused the gateway')[0]).to.include({ idpError: 'invalid_client', idpStatus: 401 });
        },
      ));
  });

  describe('when the token endpoint refuses the client (a wrong secret)', () => {
    const WRONG = 'wrong-client-secret-NEVER-LEAK-000000';
    let system: System;
    before(async () => {
      system = await startSystem({ env: { OIDC_CLIENT_SECRET: WRONG } });
    });
    after(() => system.close());

    it('tells the user the sign-in could not be completed (502 idp_refused), not that it could not be verified', async () => {
      const browser = system.browser();
      const start = await browser.get(`${system.url}/auth/login`);
      const callback = await browser.signInAt(start.headers.get('location')!, 'alice');
      const done = await browser.get(callback);
      expect(done.status).to.equal(502);
      const body = (await done.json()) as Record<string, string>;
      expect(body).to.include({ code: 'idp_refused', title: 'Sign-in could not be completed' });
      expect(body.detail).to.include('not something you did').and.not.include('verified');

      const refused = linesWith(system, 'the IdP refused the gateway');
      expect(refused).to.have.length(1);
      expect(refused[0]).to.include({ level: 50, loginError: 'client_refused', idpError: 'invalid_client', idpStatus: 401 });
      expect(refused[0]?.idpErrorDescription).to.be.a('string').and.not.be.empty;
      const all = system.logs.join('\n');
      expect(all).not.to.include(WRONG);
      expect(all).not.to.include(callback.searchParams.get('code'));
    });

    it('with PAR, says so at /auth/login already (the PAR endpoint refuses the client)', () =>
      withSystem({ env: { OIDC_CLIENT_SECRET: WRONG }, idpOptions: { pushedAuthorizationRequests: 'required' } }, async (par) => {
        const res = await par.browser().get(`${par.url}/auth/login`);
        expect(res.status).to.equal(502);
        expect(await res.json()).to.include({ code: 'idp_refused' });
        expect(linesWith(par, 'the IdP refused the gateway')[0]).to.include({ idpError: 'invalid_client', idpStatus: 401 });
        expect(par.logs.join('\n')).not.to.include(WRONG);
      }));
  });

  describe('what the IdP grants', () => {
    it('logs the scopes it did not grant, and still signs the user in', () =>
      withSystem({ idpOptions: { withheldScopes: ['profile', 'email'] } }, async (system) => {
        const browser = await system.signIn('alice');
        expect(linesWith(system, 'the IdP granted fewer scopes than OIDC_SCOPES asks for')[0]).to.deep.include({ level: 40, missingScopes: ['profile', 'email'] });
        expect(await (await browser.get(`${system.url}/auth/session`)).json()).to.deep.include({ authenticated: true });
      }));

    it('logs that re-validation is off for a session without a refresh token, with no token in the line', () =>
      withSystem({}, async (system) => {
        await system.signIn('alice');
        const [line] = linesWith(system, 'the IdP granted no refresh token: re-validation is off for this session');
        expect(line).to.include({ revalidation: 'off' });
        expect(JSON.stringify(line)).not.to.match(/eyJ[\w-]+\.[\w-]+\./);
        expect(linesWith(system, 'granted fewer scopes')).to.have.length(0);
      }));

    it('sends OIDC_AUTH_PARAMS, so offline_access with prompt=consent yields a refresh token (nothing logged)', () =>
      withSystem(
        { idpOptions: { refreshTokens: true }, env: { OIDC_SCOPES: 'openid profile email phone offline_access', OIDC_AUTH_PARAMS: 'prompt=consent' } },
        async (system) => {
          const start = await system.browser().get(`${system.url}/auth/login`);
          expect(new URL(start.headers.get('location') ?? '').searchParams.get('prompt')).to.equal('consent');
          await signsInAndMintsTickets(system);
          expect(linesWith(system, 'sign-in succeeded')).to.have.length(1);
          expect(linesWith(system, 're-validation is off')).to.have.length(0);
        },
      ));
  });
});
