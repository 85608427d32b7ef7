import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { startDevIdp } from '../../src/demo/idp.js';
import type { DevIdp } from '../../src/demo/idp.js';
import { CookieClient } from '../helpers/cookie-client.js';

const CLIENT_ID = 'gateway';
const CLIENT_SECRET = 'a-client-secret-long-enough-for-the-dev-idp';
// Never fetched: the tests stop at the IdP's redirect and hand the URL to openid-client.
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const POST_LOGOUT_URI = 'http://127.0.0.1:9/';
const SCOPE = 'openid profile email phone';

function gatewayClient(backchannelLogoutUri?: string) {
  return {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_URI],
    ...(backchannelLogoutUri ? { backchannel_logout_uri: backchannelLogoutUri } : {}),
  };
}

function discover(idp: DevIdp): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(idp.issuer), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Starts a login the way the gateway will: PKCE S256, state and nonce. */
async function startLogin(config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

/** Signs `login` in through the sign-in page and finishes the code flow with openid-client. */
async function signIn(config: oidc.Configuration, browser: CookieClient, login: string) {
  const { url, verifier, state, nonce } = await startLogin(config);
  const callback = await browser.signInAt(url, login);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no ID token');
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return { tokens, idToken, userinfo };
}

/** Opens an authorization URL and returns the sign-in page it lands on. */
async function openSignInPage(browser: CookieClient, config: oidc.Configuration) {
  const { url } = await startLogin(config);
  const hops = await browser.follow(url);
  const page = hops[hops.length - 1];
  if (!page) throw new Error('no hops');
  return page;
}

describe('development IdP (src/demo/idp.ts)', () => {
  let idp: DevIdp;
  let config: oidc.Configuration;

  before(async () => {
    idp = await startDevIdp({ clients: [gatewayClient()] });
    config = await discover(idp);
  });
  after(() => idp.close());

  describe('discovery', () => {
    it('advertises every endpoint the gateway uses, on a loopback issuer', () => {
      const meta = config.serverMetadata();
      expect(idp.issuer).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(meta.issuer).to.equal(idp.issuer);
      for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri'] as const) {
        expect(meta[endpoint], endpoint).to.be.a('string').and.satisfy((u: string) => u.startsWith(idp.issuer));
      }
      expect(meta.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(meta.backchannel_logout_supported).to.equal(true);
      expect(meta.backchannel_logout_session_supported).to.equal(true);
    });
  });

  describe('code flow with PKCE, driven by openid-client', () => {
    it('signs alice in and userinfo returns her full profile', async () => {
      const { idToken, userinfo } = await signIn(config, new CookieClient(), 'alice');
      expect(idToken.sub).to.equal('alice');
      expect(idToken.iss).to.equal(idp.issuer);
      // oidc-provider puts scope claims in the ID token only for response types that return
      // no access token (conformIdTokenClaims): with code flow, the profile comes from userinfo.
      expect(idToken).not.to.have.property('email');
      expect(userinfo).to.deep.include({
        sub: 'alice',
        name: 'Alice Liddell',
        nickname: 'ally',
        preferred_username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        phone_number: '+62 812-3456-7890',
        picture: 'https://www.gravatar.com/avatar/0?d=identicon',
      });
    });

    it("returns only bob's sparse claims", async () => {
      const { userinfo } = await signIn(config, new CookieClient(), 'bob');
      expect(userinfo).to.deep.equal({ sub: 'bob', preferred_username: 'bob' });
    });

    it('keeps carol\'s awkward claims as they are', async () => {
      const { userinfo } = await signIn(config, new CookieClient(), 'carol');
      expect(Array.from(String(userinfo.name))).to.have.lengthOf(300);
      expect(userinfo.phone_number).to.equal('0812 3456 7890');
      expect(userinfo.picture).to.match(/^javascript:/);
    });

    it('refuses an authorization request without a PKCE challenge', async () => {
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: SCOPE, state: 's' });
      const [hop] = await new CookieClient().follow(url, { stopAt: () => true });
      expect(hop?.location?.origin).to.equal(new URL(REDIRECT_URI).origin);
      expect(hop?.location?.searchParams.get('error')).to.equal('invalid_request');
    });
  });

  describe('sign-in page', () => {
    it('shows a form with login and password inputs, a "Sign in" button and the demo users', async () => {
      const page = await openSignInPage(new CookieClient(), config);
      expect(page.status).to.equal(200);
      expect(page.url.pathname).to.match(/^\/interaction\/[\w-]+$/);
      const html = await page.response.text();
      expect(html).to.match(/<form method="post" action="\/interaction\/[\w-]+\/login"/);
      expect(html).to.include('name="login"').and.include('name="password"');
      expect(html).to.match(/<button type="submit">Sign in<\/button>/);
      for (const login of ['alice', 'bob', 'carol']) expect(html).to.include(`<code>${login}</code>`);
      expect(html).to.include('Any password works');
    });

    it('re-renders the form with an error, escaped, for an unknown login', async () => {
      const browser = new CookieClient();
      const page = await openSignInPage(browser, config);
      const response = await browser.post(new URL(`${page.url.pathname}/login`, page.url), {
        form: { login: '<script>x</script>', password: 'p' },
      });
      expect(response.status).to.equal(401);
      const html = await response.text();
      expect(html).to.include('No account named').and.include('&lt;script&gt;x&lt;/script&gt;');
      expect(html).not.to.include('<script>x</script>');
      expect(html).to.include('name="password"');
    });

    it('sends the browser back with error=access_denied when the user cancels', async () => {
      const browser = new CookieClient();
      const { url, state } = await startLogin(config);
      const page = (await browser.follow(url)).at(-1);
      const html = await page!.response.text();
      const abort = /href="(\/interaction\/[\w-]+\/abort)"/.exec(html)?.[1];
      expect(abort, 'abort link').to.be.a('string');
      const hops = await browser.follow(new URL(abort!, page!.url), { stopAt: (next) => next.origin !== page!.url.origin });
      const back = hops.at(-1)?.location;
      expect(back?.href.startsWith(REDIRECT_URI)).to.equal(true);
      expect(back?.searchParams.get('error')).to.equal('access_denied');
      expect(back?.searchParams.get('state')).to.equal(state);
    });
  });

  describe('interaction routes', () => {
    it('answer a clear 400 page, not a stack, when the interaction cookie is missing', async () => {
      const page = await openSignInPage(new CookieClient(), config);
      const response = await new CookieClient().get(page.url);
      expect(response.status).to.equal(400);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
      const html = await response.text();
      expect(html).to.include('invalid_request');
      expect(html).not.to.match(/at .*\.js:\d+/);
    });
  });

  describe('signLogoutToken', () => {
    it("signs a logout token that verifies against the provider's published JWKS", async () => {
      const token = await idp.signLogoutToken({ aud: CLIENT_ID, sub: 'alice', sid: 'session-1' });
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: idp.issuer, audience: CLIENT_ID });
      expect(protectedHeader).to.include({ alg: 'RS256', typ: 'logout+jwt' });
      expect(payload).to.include({ sub: 'alice', sid: 'session-1' });
      expect(payload.events).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.jti).to.be.a('string');
    });

    it('leaves out a claim passed as undefined', async () => {
      const payload = decodeJwt(await idp.signLogoutToken({ aud: CLIENT_ID, sub: 'alice', events: undefined }));
      expect(payload).not.to.have.property('events');
    });
  });
});

describe('development IdP console output', () => {
  it('prints no oidc-provider notice while starting, signing in and closing', async () => {
    const printed: unknown[] = [];
    const { warn, info, log, error } = console;
    const capture = (...args: unknown[]): void => { printed.push(args[0]); };
    Object.assign(console, { warn: capture, info: capture, log: capture, error: capture });
    try {
      const idp = await startDevIdp({ clients: [gatewayClient()] });
      try {
        await signIn(await discover(idp), new CookieClient(), 'alice');
      } finally {
        await idp.close();
      }
    } finally {
      Object.assign(console, { warn, info, log, error });
    }
    expect(printed).to.deep.equal([]);
  });
});

describe('development IdP logout', () => {
  let receiver: Server;
  const received: string[] = [];
  let idp: DevIdp;
  let config: oidc.Configuration;

  before(async () => {
    // A loopback relying party's back-channel endpoint: records each logout_token it gets.
    receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { port } = receiver.address() as AddressInfo;
    idp = await startDevIdp({ clients: [gatewayClient(`http://127.0.0.1:${port}/auth/backchannel-logout`)] });
    config = await discover(idp);
  });
  after(async () => {
    await idp.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('signs out in one auto-submitted POST and sends a logout token for the session', async () => {
    const browser = new CookieClient();
    const { tokens, idToken } = await signIn(config, browser, 'alice');
    expect(idToken.sid, 'sid in the ID token').to.be.a('string');

    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const landing = await browser.signOutAt(endSession);
    expect(landing.href).to.equal(`${POST_LOGOUT_URI}?state=bye`);

    expect(received).to.have.lengthOf(1);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(received[0]!, jwks, { issuer: idp.issuer, audience: CLIENT_ID, typ: 'logout+jwt' });
    expect(payload).to.include({ sub: 'alice', sid: idToken.sid });
  });
});
