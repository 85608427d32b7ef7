import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { startDevIdp, type DevIdp } from '../../src/demo/idp.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { gatewayEnv, TEST_API_KEY, TEST_CLIENT_SECRET } from '../helpers/test-env.js';

const PUBLIC_URL = 'https://chat.example.test';
/** What a TLS-terminating proxy adds to every request it forwards over plain http. */
const FROM_PROXY = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.test', 'x-forwarded-for': '203.0.113.50' };

interface Behind {
  gateway: Gateway;
  server: Server;
  /** The gateway's loopback address, where the proxy sends plain http. */
  origin: string;
}

/** Attribute names and values of one Set-Cookie line, lower-cased names. */
function parseSetCookie(line: string): { pair: string; attrs: Record<string, string> } {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
  const attrs: Record<string, string> = {};
  for (const part of rest) {
    const [name = '', value = ''] = part.split('=');
    attrs[name.toLowerCase()] = value;
  }
  return { pair, attrs };
}

function setCookieNamed(res: Response, name: string): { pair: string; attrs: Record<string, string> } | undefined {
  return res.headers
    .getSetCookie()
    .map(parseSetCookie)
    .find((c) => c.pair.startsWith(`${name}=`));
}

/** Exactly what a browser keeps of a `__Host-` cookie: Secure, Path=/, no Domain. */
function expectHostCookie(cookie: { attrs: Record<string, string> } | undefined): void {
  expect(cookie, 'cookie set').to.not.equal(undefined);
  const attrs = cookie?.attrs ?? {};
  expect(attrs).to.include({ secure: '', httponly: '', samesite: 'Lax', path: '/' });
  expect(attrs).to.not.have.property('domain');
}

describe('behind a TLS-terminating proxy (https PUBLIC_URL, plain http on the hop)', function () {
  let idp: DevIdp;
  let emulator: RunningEmulator;
  const running: Behind[] = [];

  async function startBehindProxy(env: Record<string, string>): Promise<Behind> {
    const config = loadConfig({
      ...gatewayEnv(PUBLIC_URL, idp.issuer, emulator.url),
      LOG_LEVEL: 'silent',
      ...env,
    });
    const gateway = createApp(config, { logger: pino({ level: 'silent' }) });
    const server = gateway.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    await gateway.oidc.whenReady();
    const behind = { gateway, server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    running.push(behind);
    return behind;
  }

  /**
   * Signs alice in the way the proxy would carry it: gateway hops over plain http with the proxy's
   * headers, IdP hops by the cookie client. Cookies of the gateway are handled by hand, since a
   * cookie jar (rightly) never stores a Secure cookie received over http.
   */
  async function signInThroughProxy(behind: Behind): Promise<{ login: Response; callback: Response }> {
    const login = await fetch(`${behind.origin}/auth/login`, { headers: FROM_PROXY, redirect: 'manual' });
    expect(login.status).to.equal(303);
    const authorize = new URL(login.headers.get('location') ?? '');
    // openid-client is told the redirect URI from config, never from Host or X-Forwarded-*.
    expect(authorize.searchParams.get('redirect_uri')).to.equal(`${PUBLIC_URL}/auth/callback`);
    const back = await new CookieClient().signInAt(authorize, 'alice');
    expect(back.origin).to.equal(PUBLIC_URL);
    const binding = setCookieNamed(login, '__Host-onetalk.login')?.pair ?? '';
    const callback = await fetch(`${behind.origin}${back.pathname}${back.search}`, {
      headers: { ...FROM_PROXY, cookie: binding },
      redirect: 'manual',
    });
    return { login, callback };
  }

  before(async () => {
    idp = await startDevIdp({
      clients: [{ client_id: 'gateway', client_secret: TEST_CLIENT_SECRET, redirect_uris: [`${PUBLIC_URL}/auth/callback`] }],
    });
    emulator = await startEmulator({ apiKey: TEST_API_KEY });
  });
  afterEach(async () => {
    for (const { server, gateway } of running.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await gateway.close();
    }
  });
  after(async () => {
    await emulator.close();
    await idp.close();
  });

  describe('with TRUST_PROXY=1', () => {
    it('sets the login-binding cookie as __Host-, Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
      const behind = await startBehindProxy({ TRUST_PROXY: '1' });
      const { login } = await signInThroughProxy(behind);
      expectHostCookie(setCookieNamed(login, '__Host-onetalk.login'));
      expect(setCookieNamed(login, 'onetalk.login')).to.equal(undefined);
    });

    it('signs in and sets the session cookie as __Host-onetalk.sid, Secure; the ticket route then answers', async () => {
      const behind = await startBehindProxy({ TRUST_PROXY: '1' });
      const { callback } = await signInThroughProxy(behind);
      expect(callback.status).to.equal(303);
      const sid = setCookieNamed(callback, '__Host-onetalk.sid');
      expectHostCookie(sid);

      const ticket = await fetch(`${behind.origin}/api/livechat/ticket`, {
        method: 'POST',
        headers: { ...FROM_PROXY, cookie: sid?.pair ?? '', 'x-csrf': '1', origin: PUBLIC_URL },
      });
      expect(ticket.status).to.equal(200);
      expect(await ticket.json()).to.have.property('ticket');
    });

    it('limits sign-ins by the client IP the proxy reports', async () => {
      const behind = await startBehindProxy({ TRUST_PROXY: '1', RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '1' });
      const from = (ip: string) =>
        fetch(`${behind.origin}/auth/login`, { headers: { ...FROM_PROXY, 'x-forwarded-for': ip }, redirect: 'manual' });
      expect((await from('198.51.100.1')).status).to.equal(303);
      expect((await from('198.51.100.1')).status).to.equal(429);
      expect((await from('198.51.100.2')).status).to.equal(303);
    });
  });

  describe('without TRUST_PROXY', () => {
    it('refuses to start a sign-in it could never finish, and says the gateway is misconfigured', async () => {
      const behind = await startBehindProxy({});
      // A browser drops a Secure session cookie sent on a connection it does not see as https, so
      // a sign-in would loop back signed out: the gateway refuses it clearly instead.
      const res = await fetch(`${behind.origin}/auth/login`, {
        headers: { 'x-forwarded-proto': 'https', accept: 'application/json' },
        redirect: 'manual',
      });
      expect(res.status).to.equal(500);
      expect(await res.json()).to.include({ code: 'gateway_misconfigured', status: 500 });
      expect(res.headers.get('location')).to.equal(null);
    });

    it('ignores a forged X-Forwarded-For: every client of the hop shares one login budget', async () => {
      const behind = await startBehindProxy({ RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '1' });
      const from = (ip: string) =>
        fetch(`${behind.origin}/auth/login`, { headers: { 'x-forwarded-for': ip }, redirect: 'manual' });
      // The first is let through the limiter (then refused as misconfigured), the second is not.
      expect((await from('198.51.100.1')).status).to.equal(500);
      expect((await from('198.51.100.2')).status).to.equal(429);
    });
  });
});
