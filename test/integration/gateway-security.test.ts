import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket, startSystem, TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET, type System } from '../helpers/gateway.js';

const ALLOWED = 'https://shop.example.com';

async function sessionCookie(system: System, browser: CookieClient): Promise<string | undefined> {
  const cookies = await browser.cookies(system.url);
  return cookies.find((c) => c.key === 'onetalk.sid')?.value;
}

/** Starts a login and returns the IdP's redirect back to our callback, without fetching it. */
async function callbackFor(system: System, browser: CookieClient, login = 'alice'): Promise<URL> {
  const start = await browser.get(`${system.url}/auth/login`);
  return browser.signInAt(start.headers.get('location')!, login);
}

describe('gateway security', function () {
  let system: System;
  /** Secrets seen during the tests: none may ever appear in a log line. */
  const seen = new Set<string>([TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET]);

  before(async () => {
    system = await startSystem({ env: { ALLOWED_ORIGINS: ALLOWED } });
  });
  after(async () => {
    await system.close();
  });
  beforeEach(() => {
    system.emulator.reset();
  });

  describe('POST /api/livechat/ticket CSRF guard', () => {
    let browser: CookieClient;
    before(async () => {
      browser = await system.signIn('alice');
    });

    const refused: Array<[string, Record<string, string>, string]> = [
      ['without X-CSRF', { 'x-csrf': '' }, 'csrf_header_missing'],
      ['with a forged X-CSRF value', { 'x-csrf': 'yes' }, 'csrf_header_missing'],
      ['from a foreign Origin', { origin: 'https://evil.example' }, 'origin_forbidden'],
      ['from an opaque (null) Origin', { origin: 'null' }, 'origin_forbidden'],
    ];
    for (const [name, headers, code] of refused) {
      it(`answers 403 ${code} ${name}, and OneTalk is never called`, async () => {
        const res = await browser.request(`${system.url}/api/livechat/ticket`, {
          method: 'POST',
          headers: Object.fromEntries(Object.entries({ 'x-csrf': '1', ...headers }).filter(([, v]) => v !== '')),
        });
        expect(res.status).to.equal(403);
        expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
        const body = (await res.json()) as { code: string; status: number };
        expect(body.code).to.equal(code);
        expect(body.status).to.equal(403);
        expect(system.emulator.requests).to.have.length(0);
      });
    }

    it('accepts an allowed embedding origin with CORS credentials', async () => {
      const res = await requestTicket(system, browser, { origin: ALLOWED });
      expect(res.status).to.equal(200);
      expect(res.headers.get('access-control-allow-origin')).to.equal(ALLOWED);
      expect(res.headers.get('access-control-allow-credentials')).to.equal('true');
    });

    it('answers the preflight of an allowed origin and ignores a foreign one', async () => {
      const preflight = (origin: string) =>
        fetch(`${system.url}/api/livechat/ticket`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf' },
        });
      const ok = await preflight(ALLOWED);
      expect(ok.status).to.equal(204);
      expect(ok.headers.get('access-control-allow-origin')).to.equal(ALLOWED);
      expect(ok.headers.get('access-control-allow-headers')).to.match(/X-CSRF/i);
      const foreign = await preflight('https://evil.example');
      expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('refuses a form-encoded body with 415 and calls nothing', async () => {
      const res = await browser.post(`${system.url}/api/livechat/ticket`, { form: { a: '1' }, headers: { 'x-csrf': '1' } });
      expect(res.status).to.equal(415);
      expect(((await res.json()) as { code: string }).code).to.equal('unsupported_media_type');
      expect(system.emulator.requests).to.have.length(0);
    });

    it('refuses an oversize JSON body with 413 and malformed JSON with 400', async () => {
      const big = await browser.post(`${system.url}/api/livechat/ticket`, { json: { pad: 'x'.repeat(5000) }, headers: { 'x-csrf': '1' } });
      expect(big.status).to.equal(413);
      expect(((await big.json()) as { code: string }).code).to.equal('body_too_large');
      const bad = await browser.request(`${system.url}/api/livechat/ticket`, {
        method: 'POST',
        headers: { 'x-csrf': '1', 'content-type': 'application/json' },
        body: '{"a":',
      });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { code: string }).code).to.equal('body_malformed');
      expect(system.emulator.requests).to.have.length(0);
    });

    it('accepts an empty JSON object body', async () => {
      const res = await browser.post(`${system.url}/api/livechat/ticket`, { json: {}, headers: { 'x-csrf': '1' } });
      expect(res.status).to.equal(200);
    });
  });

  describe('without a session', () => {
    it('answers 401 problem+json with the login URL, and OneTalk is never called', async () => {
      const res = await requestTicket(system, new CookieClient());
      expect(res.status).to.equal(401);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(await res.json()).to.include({ code: 'not_signed_in', status: 401, loginUrl: `${system.url}/auth/login` });
      expect(system.emulator.requests).to.have.length(0);
    });

    it('answers 401 to a cookie the gateway never issued', async () => {
      const browser = new CookieClient();
      await browser.jar.setCookie('onetalk.sid=s%3Aforged.c2lnbmF0dXJl', system.url);
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(401);
    });
  });

  describe('session cookie', () => {
    it('carries only a signed id: HttpOnly, SameSite=Lax, Path=/', async () => {
      const browser = new CookieClient();
      const start = await browser.get(`${system.url}/auth/login`);
      const callback = await browser.signInAt(start.headers.get('location')!, 'alice');
      const done = await browser.get(callback);
      const setCookie = done.headers.getSetCookie().find((c) => c.startsWith('onetalk.sid='));
      expect(setCookie).to.match(/^onetalk\.sid=[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9%/+_-]+;/);
      expect(setCookie).to.match(/; HttpOnly/i);
      expect(setCookie).to.match(/; SameSite=Lax/i);
      expect(setCookie).to.match(/; Path=\//i);
      expect(setCookie).not.to.match(/alice/i);
    });

    it('is replaced at sign-in, so a planted session id never becomes the victim\'s (fixation)', async () => {
      const attacker = await system.signIn('bob');
      const planted = (await sessionCookie(system, attacker))!;
      const victim = new CookieClient();
      await victim.jar.setCookie(`onetalk.sid=${planted}`, system.url);
      await system.signIn('alice', victim);
      const victimCookie = await sessionCookie(system, victim);
      expect(victimCookie).to.not.equal(planted);
      // Sign-in regenerates: the planted session is destroyed, so it never holds alice.
      const attackerView = await (await attacker.get(`${system.url}/auth/session`)).json();
      expect(attackerView).to.deep.equal({ authenticated: false });
    });

    it('is refused after logout even when replayed', async () => {
      const browser = await system.signIn('alice');
      const cookie = (await sessionCookie(system, browser))!;
      seen.add(cookie);
      const out = await browser.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1' } });
      expect(out.status).to.equal(303);
      const replay = new CookieClient();
      await replay.jar.setCookie(`onetalk.sid=${cookie}`, system.url);
      const res = await requestTicket(system, replay);
      expect(res.status).to.equal(401);
      expect(system.emulator.requests).to.have.length(0);
    });
  });

  describe('GET /auth/callback', () => {
    it('refuses a forged state with a clear 400 and no stack', async () => {
      const browser = new CookieClient();
      const callback = await callbackFor(system, browser);
      callback.searchParams.set('state', 'forged-state-value-that-was-never-issued');
      const res = await browser.get(callback, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(400);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ code: 'login_expired', status: 400, loginUrl: '/auth/login' });
      expect(JSON.stringify(body)).not.to.match(/at .*\.ts:\d+|Error:/);
    });

    it('refuses a replayed callback: transactions are single-use', async () => {
      const browser = new CookieClient();
      const callback = await callbackFor(system, browser);
      seen.add(callback.searchParams.get('code')!);
      expect((await browser.get(callback)).status).to.equal(303);
      const again = await browser.get(callback, { headers: { accept: 'application/json' } });
      expect(again.status).to.equal(400);
      expect(((await again.json()) as { code: string }).code).to.equal('login_expired');
    });

    it('refuses a callback finished in another browser (login CSRF)', async () => {
      const callback = await callbackFor(system, new CookieClient());
      const victim = new CookieClient();
      const res = await victim.get(callback, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { code: string }).code).to.equal('login_expired');
      expect((await (await victim.get(`${system.url}/auth/session`)).json())).to.deep.equal({ authenticated: false });
    });

    it('refuses a callback with no state, as an HTML page for a browser', async () => {
      const res = await new CookieClient().get(`${system.url}/auth/callback?code=abc`, { headers: { accept: 'text/html' } });
      expect(res.status).to.equal(400);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      const html = await res.text();
      expect(html).to.include('This sign-in attempt is no longer valid');
      expect(html).to.include('href="/auth/login"');
      expect(html).not.to.include('abc');
      // A page gets helmet's whole set, not only an API answer's.
      expect(res.headers.get('content-security-policy')).to.include("default-src 'self'");
      expect(res.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
      expect(res.headers.get('cross-origin-opener-policy')).to.equal('same-origin');
    });

    it('turns an IdP refusal (access_denied) into a clear 400', async () => {
      const browser = new CookieClient();
      const start = await browser.get(`${system.url}/auth/login`);
      const hops = await browser.follow(start.headers.get('location')!, { stopAt: (u) => u.origin === system.url });
      const interaction = hops.at(-1)!.url;
      expect(interaction.pathname).to.match(/^\/interaction\//);
      const aborted = await browser.follow(`${interaction.href}/abort`, { stopAt: (u) => u.origin === system.url });
      const callback = aborted.at(-1)!.location!;
      expect(callback.searchParams.get('error')).to.equal('access_denied');
      const res = await browser.get(callback, { headers: { accept: 'application/json' } });
      expect(res.status).to.equal(400);
      expect(await res.json()).to.include({ code: 'login_denied', idpError: 'access_denied' });
    });
  });

  describe('POST /auth/logout', () => {
    it('refuses a cross-site post (no X-CSRF, foreign Origin) and keeps the session', async () => {
      const browser = await system.signIn('alice');
      const res = await browser.post(`${system.url}/auth/logout`, { form: {}, headers: { origin: 'https://evil.example' } });
      expect(res.status).to.equal(403);
      const noHeader = await browser.post(`${system.url}/auth/logout`);
      expect(noHeader.status).to.equal(403);
      expect((await requestTicket(system, browser)).status).to.equal(200);
    });

    it('accepts a same-origin form post and redirects to the IdP end-session endpoint, with the ID token as id_token_hint', async () => {
      const browser = await system.signIn('alice');
      const res = await browser.post(`${system.url}/auth/logout`, { form: {}, headers: { origin: system.url } });
      expect(res.status).to.equal(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).to.equal(system.idp.issuer);
      expect(location.searchParams.get('client_id')).to.equal('gateway');
      // Kept with the session although this IdP granted no refresh token.
      expect(decodeJwt(location.searchParams.get('id_token_hint') ?? '')).to.include({ sub: 'alice', aud: 'gateway', iss: system.idp.issuer });
      expect(location.searchParams.get('post_logout_redirect_uri')).to.equal(`${system.url}/`);
      expect(res.headers.getSetCookie().some((c) => /^onetalk\.sid=;/.test(c))).to.equal(true);
      expect(await (await browser.get(`${system.url}/auth/session`)).json()).to.deep.equal({ authenticated: false });
    });
  });

  describe('POST /auth/logout from a script', () => {
    it('answers the end-session URL as JSON to X-CSRF + Accept: application/json, and ends the session', async () => {
      const browser = await system.signIn('alice');
      const res = await browser.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1', accept: 'application/json' } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const { redirectTo } = (await res.json()) as { redirectTo: string };
      const target = new URL(redirectTo);
      expect(target.origin).to.equal(system.idp.issuer);
      expect(target.searchParams.get('post_logout_redirect_uri')).to.equal(`${system.url}/`);
      expect((await requestTicket(system, browser)).status).to.equal(401);
    });

    it('still wants X-CSRF: a JSON Accept alone from a foreign origin is refused', async () => {
      const browser = await system.signIn('alice');
      const res = await browser.post(`${system.url}/auth/logout`, { headers: { accept: 'application/json', origin: 'https://evil.example' } });
      expect(res.status).to.equal(403);
      expect((await requestTicket(system, browser)).status).to.equal(200);
    });
  });

  describe('responses and logs', () => {
    it('never carry the API key, client secret, cookies, codes or tickets', async () => {
      const browser = await system.signIn('alice');
      seen.add((await sessionCookie(system, browser))!);
      const res = await requestTicket(system, browser);
      const body = await res.text();
      seen.add((JSON.parse(body) as { ticket: string }).ticket);
      for (const secret of [TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET]) expect(body).not.to.include(secret);
      const logs = system.logs.join('');
      expect(logs.length).to.be.greaterThan(1000);
      for (const secret of seen) expect(logs, 'a secret reached a log line').not.to.include(secret);
      expect(logs).to.include('/auth/callback?code=%5Bredacted%5D');
    });
  });

  it('serves security headers (an API answer\'s strict set) and no X-Powered-By', async () => {
    const res = await fetch(`${system.url}/healthz`);
    expect(res.headers.get('x-powered-by')).to.equal(null);
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('content-security-policy')).to.equal("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${system.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).to.equal('trace-123');
    const hostile = await fetch(`${system.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(hostile.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });
});
