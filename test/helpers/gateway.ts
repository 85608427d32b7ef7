/**
 * Starts the whole system on loopback for integration tests: the real development IdP
 * (oidc-provider), the OneTalk emulator and the gateway built by createApp, each on port 0.
 * Every log line the gateway writes is captured so tests can prove secrets never reach it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp, type AppDeps, type Gateway } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startDevIdp, type DevClient, type DevIdp, type DevIdpOptions } from '../../src/demo/idp.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/http/index.js';
import { CookieClient } from './cookie-client.js';
import { sharedIdpKey } from './idp-key.js';
import { gatewayEnv, TEST_API_KEY, TEST_CLIENT_SECRET } from './test-env.js';

export { TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET } from './test-env.js';

export interface System {
  gateway: Gateway;
  config: Config;
  /** The gateway's origin, e.g. http://127.0.0.1:40123 */
  url: string;
  idp: DevIdp;
  emulator: RunningEmulator;
  logs: string[];
  server: Server;
  /** A fresh cookie-keeping browser stand-in. */
  browser(): CookieClient;
  /** Signs `login` in through the real redirect flow; resolves with the browser holding the session. */
  signIn(login: string, browser?: CookieClient, returnTo?: string): Promise<CookieClient>;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** Overrides of the gateway's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Overrides of the IdP's registration of the gateway (e.g. its token endpoint auth method). */
  client?: Partial<DevClient>;
  /** Development IdP options (PAR, refresh tokens, withheld scopes). */
  idpOptions?: Omit<DevIdpOptions, 'clients'>;
  /** Default true: resolve only once OIDC discovery has succeeded. */
  waitForDiscovery?: boolean;
  /**
   * Default true: with REDIS_URL, resolve only once the session store answers, as a load balancer
   * would wait for /readyz (a request before Redis connected gets an honest 503).
   */
  waitForStore?: boolean;
  /** The gateway's dependencies; a function gets the emulator first (to build a OneTalk client for it). */
  deps?: AppDeps | ((parts: { emulator: RunningEmulator }) => AppDeps);
  /** Register the IdP client without an end-session redirect (to test the fallback). */
  idp?: 'default' | 'none';
}

/** Waits until the gateway's session store answers its probe, or fails after `withinMs`. */
async function storeAnswers(gateway: Gateway, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await gateway.sessionStore.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the session store did not answer within ${withinMs} ms`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Starts IdP, emulator and gateway; resolves once OIDC discovery has succeeded. */
export async function startSystem(options: SystemOptions = {}): Promise<System> {
  // The gateway's port must be known before the IdP registers its redirect URI.
  const server = createServer();
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  const idp = await startDevIdp({
    signingKey: await sharedIdpKey(),
    ...options.idpOptions,
    clients: [
      {
        client_id: 'gateway',
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [`${url}/auth/callback`],
        post_logout_redirect_uris: [`${url}/`],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_logout_uri: `${url}/auth/backchannel-logout`,
        ...options.client,
      },
    ],
  });
  const emulator = await startEmulator({ apiKey: TEST_API_KEY });
  const config = loadConfig({
    NODE_ENV: 'test',
    ...gatewayEnv(url, idp.issuer, emulator.url),
    ONETALK_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'trace',
    ...options.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const deps = typeof options.deps === 'function' ? options.deps({ emulator }) : options.deps;
  const gateway = createApp(config, { logger: createLogger(config.logLevel, sink), ...deps });
  server.on('request', gateway.app);
  if (options.waitForDiscovery ?? true) await gateway.oidc.whenReady();
  if (config.redis.connection && (options.waitForStore ?? true)) await storeAnswers(gateway, 10_000);

  const system: System = {
    gateway,
    config,
    url,
    idp,
    emulator,
    logs,
    server,
    browser: () => new CookieClient(),
    async signIn(login, browser = new CookieClient(), returnTo) {
      const start = await browser.get(`${url}/auth/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
      const authorize = start.headers.get('location');
      if (start.status !== 303 || !authorize) throw new Error(`login did not redirect: ${start.status}`);
      const callback = await browser.signInAt(authorize, login);
      const done = await browser.get(callback);
      if (done.status !== 303) throw new Error(`callback failed: ${done.status} ${await done.text()}`);
      return browser;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await emulator.close();
      await idp.close();
    },
  };
  return system;
}

/** POSTs to the ticket route the way the widget does. */
export function requestTicket(system: System, browser: CookieClient, headers: Record<string, string> = {}): Promise<Response> {
  return browser.post(`${system.url}/api/livechat/ticket`, { headers: { 'x-csrf': '1', ...headers } });
}

/** The OneTalk circuit breaker state the gateway exports in its metrics (`closed`, `open`, `half_open`). */
export async function breakerState(system: System): Promise<string | undefined> {
  const metric = await system.gateway.metrics.registry.getSingleMetric('onetalk_circuit_breaker_state')?.get();
  return metric?.values.find((v) => v.value === 1)?.labels.state as string | undefined;
}
