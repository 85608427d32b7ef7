import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import { MemorySessionStore } from '../../src/session/index.js';
import { createApp, type Gateway } from '../../src/app.js';
import { OidcClient } from '../../src/auth/oidc.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startDevIdp, type DevIdp } from '../../src/demo/idp.js';
import { startSystem } from '../helpers/gateway.js';
import { freePort } from '../helpers/net.js';
import { gatewayEnv } from '../helpers/test-env.js';
import { until } from '../helpers/wait.js';

const silent = pino({ level: 'silent' });

function configFor(issuer: string, publicUrl = 'http://127.0.0.1:1'): Config {
  return loadConfig({ ...gatewayEnv(publicUrl, issuer, 'http://127.0.0.1:1'), LOG_LEVEL: 'silent' });
}

async function serve(gateway: Gateway): Promise<{ url: string; server: Server }> {
  const server = gateway.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('health and readiness', function () {
  it('answers /healthz and /readyz once discovery is done', async () => {
    const system = await startSystem();
    try {
      const health = await fetch(`${system.url}/healthz`);
      expect([health.status, health.headers.get('cache-control')]).to.deep.equal([200, 'no-store']);
      const ready = await fetch(`${system.url}/readyz`);
      expect(ready.status).to.equal(200);
      expect(await ready.json()).to.deep.equal({ status: 'ready', checks: { oidcDiscovery: 'ok', sessionStore: 'ok' } });
    } finally {
      await system.close();
    }
  });

  describe('while the IdP is down at start-up', () => {
    let idp: DevIdp | undefined;
    let gateway: Gateway;
    let server: Server;
    let url: string;
    let idpPort: number;

    before(async () => {
      idpPort = await freePort();
      const config = configFor(`http://127.0.0.1:${idpPort}`);
      const oidc = new OidcClient(
        { ...config.oidc, issuerUrl: config.oidc.issuerUrl, redirectUri: config.redirectUri, timeoutSeconds: 2 },
        silent,
        { initialDelayMs: 50, maxDelayMs: 200 },
      );
      gateway = createApp(config, { oidc, logger: silent });
      ({ url, server } = await serve(gateway));
    });
    after(async () => {
      server.closeAllConnections();
      server.close();
      await gateway.close();
      await idp?.close();
    });

    it('is live but not ready, and login says the IdP is unavailable', async () => {
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).to.equal(503);
      expect(await ready.json()).to.include({ code: 'not_ready', failing: 'oidcDiscovery' });
      const login = await fetch(`${url}/auth/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(login.status).to.equal(503);
      expect(await login.json()).to.include({ code: 'idp_unavailable' });
    });

    it('becomes ready by itself once the IdP answers (discovery retries with backoff)', async () => {
      idp = await startDevIdp({ port: idpPort, clients: [] });
      await gateway.oidc.whenReady();
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);
      expect(gateway.oidc.status.attempts).to.be.greaterThan(1);
    });
  });

  it('refuses a plain-http issuer unless insecure requests were allowed for loopback', async () => {
    const idp = await startDevIdp({ clients: [] });
    const config = configFor(idp.issuer);
    // What production builds for a non-loopback issuer: allowInsecureRequests false.
    const oidc = new OidcClient({ ...config.oidc, allowInsecureRequests: false, redirectUri: config.redirectUri }, silent, {
      initialDelayMs: 20,
      maxDelayMs: 50,
    });
    const gateway = createApp(config, { oidc, logger: silent });
    const { url, server } = await serve(gateway);
    try {
      // Refused on its first attempt and on the retry: never ready, whatever the wait.
      await until(() => oidc.status.attempts >= 2, 'a second discovery attempt');
      expect(oidc.ready).to.equal(false);
      expect(oidc.status.lastError).to.match(/https/i);
      expect((await fetch(`${url}/readyz`)).status).to.equal(503);
    } finally {
      server.closeAllConnections();
      server.close();
      await gateway.close();
      await idp.close();
    }
  });

  it('names the session store when it does not answer', async () => {
    class BrokenStore extends MemorySessionStore {
      override ping(): Promise<void> {
        return Promise.reject(new Error('store down'));
      }
    }
    const idp = await startDevIdp({ clients: [] });
    const gateway = createApp(configFor(idp.issuer), { logger: silent, sessionStore: new BrokenStore({ pruneIntervalMs: 0 }) });
    const { url, server } = await serve(gateway);
    try {
      await gateway.oidc.whenReady();
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).to.equal(503);
      expect(await ready.json()).to.include({ failing: 'sessionStore' });
    } finally {
      server.closeAllConnections();
      server.close();
      await gateway.close();
      await idp.close();
    }
  });
});
