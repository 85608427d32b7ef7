/**
 * Real answers of the gateway checked against the OpenAPI document: running normally, with its
 * IdP down and with its Redis down; and every operation it lists is routed. The document's own
 * shape is in openapi-document.test.ts; the checker (ajv) is in ../helpers/openapi-check.ts.
 */
import type { Server } from 'node:http';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/openapi/index.js';
import { requestTicket, startSystem, TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET, type System } from '../helpers/gateway.js';
import { issueLoginCookie } from '../helpers/login-cookie.js';
import { conform, listen, operations, signedSessionCookie, type HttpMethod } from '../helpers/openapi-check.js';

const EMBEDDING_PAGE = 'https://shop.example.com';
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';

describe('the OpenAPI document', function () {
  describe('against the running gateway', () => {
    let system: System;
    let doc: OpenApiDocument;
    before(async () => {
      // With METRICS_TOKEN, /metrics answers 401 to a bare request: proof it is routed (without one it hides as a 404).
      system = await startSystem({ env: { ALLOWED_ORIGINS: EMBEDDING_PAGE, METRICS_TOKEN } });
      doc = buildOpenApiDocument(system.config.publicOrigin);
    });
    after(async () => {
      await system.close();
    });
    beforeEach(() => system.emulator.reset());

    describe('answers as documented', () => {
      it('GET /auth/session, anonymous', async () => {
        const body = await conform(doc, 'get', '/auth/session', await system.browser().get(`${system.url}/auth/session`));
        expect(body).to.deep.equal({ authenticated: false });
      });

      it('GET /auth/session, signed in', async () => {
        const browser = await system.signIn('alice');
        const body = await conform(doc, 'get', '/auth/session', await browser.get(`${system.url}/auth/session`));
        expect(body).to.have.nested.property('user.name', 'Alice Liddell');
      });

      it('POST /api/livechat/ticket 200', async () => {
        const browser = await system.signIn('alice');
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser));
        expect(body).to.have.keys('ticket', 'expiresAt');
      });

      it('POST /api/livechat/ticket 401 with a login URL', async () => {
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, system.browser()));
        expect(body).to.include({ code: 'not_signed_in', loginUrl: `${system.url}/auth/login` });
      });

      it('POST /api/livechat/ticket 403 without X-CSRF or from a foreign origin', async () => {
        const browser = await system.signIn('alice');
        const missing = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser, { 'x-csrf': '' }));
        expect(missing).to.include({ code: 'csrf_header_missing' });
        const fromElsewhere = await requestTicket(system, browser, { origin: 'https://evil.example' });
        const foreign = await conform(doc, 'post', '/api/livechat/ticket', fromElsewhere);
        expect(foreign).to.include({ code: 'origin_forbidden' });
      });

      it('POST /api/livechat/ticket 503 when OneTalk has no tier selected', async () => {
        const browser = await system.signIn('alice');
        system.emulator.settings.tierSelected = false;
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser));
        expect(body).to.include({ code: 'upstream_not_configured' });
      });

      it('GET /healthz and GET /readyz', async () => {
        expect(await conform(doc, 'get', '/healthz', await fetch(`${system.url}/healthz`))).to.deep.equal({ status: 'ok' });
        expect(await conform(doc, 'get', '/readyz', await fetch(`${system.url}/readyz`))).to.have.property('status', 'ready');
      });

      it('GET /livechat.js', async () => {
        const script = await conform(doc, 'get', '/livechat.js', await fetch(`${system.url}/livechat.js`));
        expect(script).to.be.a('string').and.not.empty;
      });

      it('GET /livechat-onetalk.js', async () => {
        const script = await conform(doc, 'get', '/livechat-onetalk.js', await fetch(`${system.url}/livechat-onetalk.js`));
        expect(script).to.be.a('string').and.include('export function connectOneTalkWidget');
      });

      it('GET /openapi.json, naming PUBLIC_URL', async () => {
        const res = await fetch(`${system.url}/openapi.json`);
        expect(await conform(doc, 'get', '/openapi.json', res)).to.deep.equal(JSON.parse(JSON.stringify(doc)));
      });

      it('GET /metrics 200 with the bearer token, 401 without it', async () => {
        const authorized = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        expect(await conform(doc, 'get', '/metrics', authorized)).to.be.a('string').and.include('http_request_duration_seconds');
        const refused = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
        expect(await conform(doc, 'get', '/metrics', refused)).to.include({ code: 'metrics_unauthorized' });
      });

      describe('POST /auth/backchannel-logout', () => {
        const post = (body: URLSearchParams) => fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body });

        it('200 for a valid logout token', async () => {
          const token = await system.idp.signLogoutToken({ aud: 'gateway', sub: 'nobody-signed-in' });
          const res = await post(new URLSearchParams({ logout_token: token }));
          expect(res.status).to.equal(200);
          expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.equal('');
        });

        it('400 invalid_request as plain JSON, not problem+json', async () => {
          const res = await post(new URLSearchParams({ other: 'x' }));
          expect(res.headers.get('content-type')).to.match(/^application\/json/);
          const body = await conform(doc, 'post', '/auth/backchannel-logout', res);
          expect(body).to.deep.equal({ error: 'invalid_request', error_description: 'missing logout_token' });
        });

        it('413 body_too_large for more than 10 form parameters', async () => {
          const res = await post(new URLSearchParams(Array.from({ length: 11 }, (_, i): [string, string] => [`p${i}`, 'x'])));
          expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.include({ code: 'body_too_large' });
        });
      });

      it('OPTIONS preflights from an embedding page and from anywhere else', async () => {
        for (const path of ['/api/livechat/ticket', '/auth/logout']) {
          const preflight = (origin: string) =>
            fetch(`${system.url}${path}`, {
              method: 'OPTIONS',
              headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf' },
            });
          const allowed = await preflight(EMBEDDING_PAGE);
          expect(allowed.status).to.equal(204);
          await conform(doc, 'options', path, allowed);
          const foreign = await preflight('https://evil.example');
          expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
          await conform(doc, 'options', path, foreign);
        }
      });

      it('GET /auth/login 303, and a stale GET /auth/callback 400 as JSON and as a page', async () => {
        await conform(doc, 'get', '/auth/login', await system.browser().get(`${system.url}/auth/login?returnTo=/account`));
        const stale = `${system.url}/auth/callback?code=x&state=unknown-state`;
        const json = await conform(doc, 'get', '/auth/callback', await fetch(stale, { headers: { accept: 'application/json' } }));
        expect(json).to.include({ code: 'login_expired', loginUrl: '/auth/login' });
        const page = await conform(doc, 'get', '/auth/callback', await fetch(stale, { headers: { accept: 'text/html' } }));
        expect(page).to.be.a('string').and.include('login_expired');
      });
    });

    describe('routes every operation it lists', () => {
      for (const [method, path] of operations(buildOpenApiDocument())) {
        it(`${method.toUpperCase()} ${path}`, async () => {
          const init: RequestInit = { method: method.toUpperCase(), redirect: 'manual', headers: { accept: 'application/json' } };
          const res = await fetch(`${system.url}${path}`, init);
          const text = await res.text();
          const unrouted = res.status === 404 && text.includes('"not_found"');
          expect(unrouted, `${method.toUpperCase()} ${path} answered ${res.status} ${text.slice(0, 200)}`).to.equal(false);
        });
      }
    });
  });

  describe('against a gateway whose IdP is down', () => {
    let gateway: Gateway;
    let url: string;
    let server: Server;
    let doc: OpenApiDocument;
    before(async () => {
      const config = loadConfig({
        PUBLIC_URL: 'http://127.0.0.1:1',
        SESSION_SECRET: TEST_SESSION_SECRET,
        OIDC_ISSUER_URL: 'http://127.0.0.1:1',
        OIDC_CLIENT_ID: 'gateway',
        OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
        ONETALK_API_KEY: TEST_API_KEY,
        ONETALK_BASE_URL: 'http://127.0.0.1:1',
        LOG_LEVEL: 'silent',
      });
      gateway = createApp(config, { logger: pino({ level: 'silent' }) });
      doc = buildOpenApiDocument(config.publicOrigin);
      ({ url, server } = await listen(gateway.app));
    });
    after(async () => {
      server.closeAllConnections();
      server.close();
      await gateway.close();
    });

    it('GET /readyz 503 names the failing check', async () => {
      const body = await conform(doc, 'get', '/readyz', await fetch(`${url}/readyz`));
      expect(body).to.include({ code: 'not_ready', failing: 'oidcDiscovery' });
    });

    it('GET /auth/login 503 idp_unavailable', async () => {
      const res = await fetch(`${url}/auth/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      const body = await conform(doc, 'get', '/auth/login', res);
      expect(body).to.include({ code: 'idp_unavailable' });
    });

    it('POST /auth/backchannel-logout 503 idp_unavailable', async () => {
      const res = await fetch(`${url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: 'x' }) });
      expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.include({ code: 'idp_unavailable' });
    });

    it('GET /metrics without METRICS_TOKEN configured answers exactly like a path nobody serves', async () => {
      const metrics = (await conform(doc, 'get', '/metrics', await fetch(`${url}/metrics`))) as Record<string, unknown>;
      const unknown = (await (await fetch(`${url}/no-such-path`)).json()) as Record<string, unknown>;
      expect({ ...metrics, requestId: undefined }).to.deep.equal({ ...unknown, requestId: undefined });
    });
  });

  describe('against a gateway whose Redis is down', () => {
    let system: System;
    let doc: OpenApiDocument;
    let cookie: string;
    before(async () => {
      // Nothing listens on port 1: every Redis command fails at once (the client queues nothing offline).
      system = await startSystem({ env: { REDIS_URL: 'redis://127.0.0.1:1' }, waitForStore: false });
      doc = buildOpenApiDocument(system.config.publicOrigin);
      cookie = signedSessionCookie(system.config.session.secrets[0] as string);
    });
    after(async () => {
      await system.close();
    });

    const json = { accept: 'application/json' };
    const storeUnavailable = async (method: HttpMethod, path: string, res: Response, code = 'session_store_unavailable'): Promise<void> => {
      expect(res.headers.get('retry-after')).to.equal('2');
      expect(await conform(doc, method, path, res)).to.include({ code, status: 503 });
    };

    it('GET /auth/session with a session cookie 503 session_store_unavailable', async () => {
      await storeUnavailable('get', '/auth/session', await fetch(`${system.url}/auth/session`, { headers: { ...json, cookie } }));
    });

    it('POST /auth/logout with a session cookie 503 session_store_unavailable', async () => {
      const res = await fetch(`${system.url}/auth/logout`, { method: 'POST', redirect: 'manual', headers: { ...json, cookie, 'x-csrf': '1' } });
      await storeUnavailable('post', '/auth/logout', res);
    });

    it('POST /api/livechat/ticket with a session cookie 503 rate_limit_unavailable (its limiter needs Redis first)', async () => {
      const res = await fetch(`${system.url}/api/livechat/ticket`, { method: 'POST', headers: { ...json, cookie, 'x-csrf': '1' } });
      await storeUnavailable('post', '/api/livechat/ticket', res, 'rate_limit_unavailable');
    });

    it('GET /auth/callback 503 session_store_unavailable (the login transaction is in Redis)', async () => {
      // A state of the shape the gateway mints, from a browser holding a login cookie it signed:
      // anything else is refused without asking Redis.
      const res = await fetch(`${system.url}/auth/callback?code=x&state=${'S'.repeat(43)}`, {
        redirect: 'manual',
        headers: { ...json, cookie: issueLoginCookie(system.config) },
      });
      await storeUnavailable('get', '/auth/callback', res);
    });

    it('POST /auth/backchannel-logout 503 session_store_unavailable for a valid token (its jti is recorded in Redis)', async () => {
      const token = await system.idp.signLogoutToken({ aud: 'gateway', sub: 'alice' });
      const res = await fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
      await storeUnavailable('post', '/auth/backchannel-logout', res);
    });

    it('GET /auth/login 503 rate_limit_unavailable (its per-IP counter is in Redis)', async () => {
      const res = await fetch(`${system.url}/auth/login`, { redirect: 'manual', headers: json });
      expect(await conform(doc, 'get', '/auth/login', res)).to.include({ code: 'rate_limit_unavailable' });
    });
  });
});
