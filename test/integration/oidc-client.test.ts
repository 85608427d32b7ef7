/**
 * OidcClient against the real oidc-provider (the development IdP with rotating refresh tokens):
 * what phase 2's session re-validation builds on. The tokens come from real sign-ins through the
 * IdP's sign-in and consent steps.
 */
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as openid from 'openid-client';
import { LoginError, OidcClient, type OidcSettings } from '../../src/auth/oidc.js';
import { startDevIdp, type DevIdp, type DevUser } from '../../src/demo/idp.js';
import { DEMO_USERS } from '../../src/demo/users.js';
import { createLogger } from '../../src/http/index.js';
import { CookieClient } from '../helpers/cookie-client.js';

const SECRET = 'oidc-client-test-secret-NEVER-LEAK';
// Never fetched: the tests stop at the IdP's redirect and hand it to the client.
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const POST_LOGOUT_URI = 'http://127.0.0.1:9/';

function capture(): { logs: string[]; logger: ReturnType<typeof createLogger> } {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => { logs.push(String(chunk)); done(); } });
  return { logs, logger: createLogger('trace', sink) };
}

/** A fresh copy of the demo users whose claims a test may change, as an IdP admin would. */
const editableUsers = (): DevUser[] => DEMO_USERS.map((u) => ({ id: u.id, claims: { ...u.claims } }));

async function startIdp(users: DevUser[]): Promise<DevIdp> {
  return startDevIdp({
    users,
    refreshTokens: true,
    clients: [{ client_id: 'gateway', client_secret: SECRET, redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: [POST_LOGOUT_URI], token_endpoint_auth_method: 'client_secret_basic' }],
  });
}

async function client(idp: DevIdp, overrides: Partial<OidcSettings> = {}, logger = capture().logger): Promise<OidcClient> {
  const oidc = new OidcClient(
    {
      issuerUrl: idp.issuer,
      clientId: 'gateway',
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      redirectUri: REDIRECT_URI,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      allowInsecureRequests: true,
      // offline_access counts only with prompt=consent (OIDC Core §11).
      authParams: { prompt: 'consent' },
      timeoutSeconds: 2,
      ...overrides,
    },
    logger,
    { initialDelayMs: 20, maxDelayMs: 100 },
  );
  oidc.start();
  await oidc.whenReady();
  return oidc;
}

/** Signs `login` in through the IdP's pages and completes the code flow. */
async function signIn(oidc: OidcClient, login: string, browser = new CookieClient()) {
  const tx = { state: openid.randomState(), nonce: openid.randomNonce(), codeVerifier: openid.randomPKCECodeVerifier() };
  const callback = await browser.signInAt(await oidc.authorizationUrl(tx), login);
  return { result: await oidc.completeLogin(callback.search, tx), callback, tx, browser };
}

describe('OidcClient against oidc-provider', function () {
  let users: DevUser[];
  let idp: DevIdp;
  let oidc: OidcClient;
  before(async () => {
    users = editableUsers();
    idp = await startIdp(users);
    oidc = await client(idp);
  });
  after(async () => {
    oidc.stop();
    await idp.close();
  });

  describe('completeLogin', () => {
    it('returns the claims, the ID token and the refresh token', async () => {
      const { result } = await signIn(oidc, 'alice');
      expect(result.claims).to.include({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.com' });
      expect(decodeJwt(result.tokens.idToken ?? '')).to.include({ sub: 'alice', iss: idp.issuer, aud: 'gateway' });
      expect(result.tokens.refreshToken).to.be.a('string').and.have.length.greaterThan(20);
      expect(result.missingScopes).to.deep.equal([]);
    });

    it('keeps the tokens out of JSON and inspection (a log line shows [redacted])', async () => {
      const { result } = await signIn(oidc, 'alice');
      const { idToken, refreshToken } = result.tokens;
      for (const text of [JSON.stringify(result), inspect(result, { depth: 5 })]) {
        expect(text).to.include('[redacted]');
        expect(text).not.to.include(idToken).and.not.to.include(refreshToken);
      }
    });

    it('reports a code the IdP no longer accepts as grant_refused (invalid_grant)', async () => {
      const { callback, tx } = await signIn(oidc, 'bob');
      const again = await oidc.completeLogin(callback.search, tx).then(() => undefined, (err: unknown) => err);
      expect(again).to.be.instanceOf(LoginError);
      expect(again).to.include({ kind: 'grant_refused' });
      expect((again as LoginError).oauth).to.include({ error: 'invalid_grant', status: 400 });
    });
  });

  describe('refresh', () => {
    it('returns the fresh profile, a new ID token and a rotated refresh token', async () => {
      const { result } = await signIn(oidc, 'alice');
      users[0]!.claims.name = 'Alice Pleasance Liddell';
      try {
        const outcome = await oidc.refresh(result.tokens.refreshToken!, 'alice');
        if (outcome.kind !== 'refreshed') expect.fail(`outcome ${outcome.kind}: ${JSON.stringify(outcome)}`);
        expect(outcome.claims).to.include({ sub: 'alice', name: 'Alice Pleasance Liddell', email: 'alice@example.com' });
        expect(outcome.rotated).to.equal(true);
        expect(outcome.tokens.refreshToken).to.be.a('string').and.not.equal(result.tokens.refreshToken);
        // A fresh ID token (identical to the first when both were issued in the same second).
        expect(decodeJwt(outcome.tokens.idToken ?? '')).to.include({ sub: 'alice', iss: idp.issuer, aud: 'gateway' });

        // The new token works; the spent one is refused, as rotation promises.
        expect((await oidc.refresh(outcome.tokens.refreshToken!, 'alice')).kind).to.equal('refreshed');
      } finally {
        users[0]!.claims.name = 'Alice Liddell';
      }
    });

    it('reports the spent token of a rotation as revoked (the IdP treats reuse as theft)', async () => {
      const { result } = await signIn(oidc, 'bob');
      expect((await oidc.refresh(result.tokens.refreshToken!, 'bob')).kind).to.equal('refreshed');
      const reuse = await oidc.refresh(result.tokens.refreshToken!, 'bob');
      expect(reuse).to.deep.include({ kind: 'revoked' });
      expect(reuse.kind === 'revoked' && reuse.oauth).to.include({ error: 'invalid_grant', status: 400 });
    });

    it('reports invalid_grant as revoked once the grant is destroyed at the IdP', async () => {
      const { result } = await signIn(oidc, 'carol');
      expect(await idp.revokeGrants('carol')).to.be.greaterThan(0);
      const outcome = await oidc.refresh(result.tokens.refreshToken!, 'carol');
      expect(outcome.kind).to.equal('revoked');
      expect(outcome.kind === 'revoked' && outcome.oauth).to.include({ error: 'invalid_grant', status: 400 });
    });

    it('refuses a refreshed identity that is not the expected subject', async () => {
      const { result } = await signIn(oidc, 'alice');
      expect(await oidc.refresh(result.tokens.refreshToken!, 'bob')).to.deep.equal({
        kind: 'invalid',
        reason: 'the refreshed ID token names a different subject',
      });
    });

    it('reports a client the IdP refuses as refused, with its error and status', async () => {
      const { result } = await signIn(oidc, 'alice');
      const wrong = await client(idp, { clientAuth: { method: 'client_secret_basic', secret: 'not-the-secret' } });
      try {
        const outcome = await wrong.refresh(result.tokens.refreshToken!, 'alice');
        expect(outcome.kind).to.equal('refused');
        expect(outcome.kind === 'refused' && outcome.oauth).to.include({ error: 'invalid_client', status: 401 });
      } finally {
        wrong.stop();
      }
    });

    it('reports unavailable before discovery, never throwing', async () => {
      const idle = new OidcClient({ issuerUrl: idp.issuer, clientId: 'gateway', clientAuth: { method: 'client_secret_basic', secret: SECRET }, redirectUri: REDIRECT_URI, scopes: ['openid'], allowInsecureRequests: true }, capture().logger);
      expect(await idle.refresh('whatever', 'alice')).to.deep.equal({ kind: 'unavailable', reason: 'OIDC discovery has not completed' });
    });

    it('reports an IdP that went away as unavailable, not revoked', async () => {
      const gone = await startIdp(editableUsers());
      const goneClient = await client(gone);
      try {
        const { result } = await signIn(goneClient, 'alice');
        await gone.close();
        const outcome = await goneClient.refresh(result.tokens.refreshToken!, 'alice');
        expect(outcome.kind).to.equal('unavailable');
      } finally {
        goneClient.stop();
      }
    });
  });

  describe('endSessionUrl', () => {
    it('sends id_token_hint with client_id, and the IdP accepts it and ends its session', async () => {
      const { result, browser } = await signIn(oidc, 'alice');
      const url = oidc.endSessionUrl(POST_LOGOUT_URI, result.tokens.idToken);
      expect(url?.searchParams.get('id_token_hint')).to.equal(result.tokens.idToken);
      expect(url?.searchParams.get('client_id')).to.equal('gateway');
      expect(url?.searchParams.get('post_logout_redirect_uri')).to.equal(POST_LOGOUT_URI);

      // A hint the IdP did not accept would stop at its error page instead of redirecting back.
      expect((await browser.signOutAt(url!)).href).to.equal(POST_LOGOUT_URI);
      // Its session is gone: the next sign-in asks for the password again.
      const tx = { state: 's', nonce: 'n', codeVerifier: openid.randomPKCECodeVerifier() };
      const page = (await browser.follow(await oidc.authorizationUrl(tx), { stopAt: (next) => next.origin !== new URL(idp.issuer).origin })).at(-1);
      expect(page?.status).to.equal(200);
      expect(await page!.response.text()).to.include('name="password"');
    });

    it('leaves id_token_hint out when none is given', () => {
      const url = oidc.endSessionUrl(POST_LOGOUT_URI);
      expect(url?.searchParams.has('id_token_hint')).to.equal(false);
      expect(url?.searchParams.get('client_id')).to.equal('gateway');
    });
  });
});
