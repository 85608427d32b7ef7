/**
 * The whole system in one process, for `npm run demo` and the browser tests: the gateway built by
 * createApp, the development IdP and the OneTalk emulator, all on 127.0.0.1, with secrets
 * generated per run. Nothing here reads the environment.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp, type Gateway } from '../app.js';
import { BACKCHANNEL_LOGOUT_PATH } from '../auth/backchannel-router.js';
import { loadConfig, type Config } from '../config/index.js';
import { DEV_WIDGET_KEY, startEmulator, type RunningEmulator } from '../emulator/index.js';
import { createLogger } from '../http/index.js';
import { startDevIdp, type DevIdp } from './idp.js';
import { createDemoRouter } from './router.js';

const HOST = '127.0.0.1';
const CLIENT_ID = 'demo-gateway';

/** Preferred ports of {@link startDemo}; each falls back to an ephemeral port when taken. 0: ephemeral. */
export interface DemoPorts {
  gateway?: number;
  idp?: number;
  emulator?: number;
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Default: all 0 (ephemeral), as tests want. */
  ports?: DemoPorts;
  /** Listen on `ports.gateway` or fail, instead of falling back to a free port (PORT was asked for). */
  exactGatewayPort?: boolean;
  /** The gateway's logger; default a silent one. */
  logger?: Logger;
  /** The gateway's deadline per OneTalk call (`ONETALK_TIMEOUT_MS`); tests shorten it to provoke 504s. */
  onetalkTimeoutMs?: number;
  /** More gateway variables (e.g. session lifetimes), over the generated ones. */
  env?: Record<string, string>;
  /** The gateway's clock; tests move it forward to let sessions expire without waiting. */
  now?: () => number;
}

/** A running demo. */
export interface Demo {
  /** The page to open, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  readonly config: Config;
  readonly gateway: Gateway;
  readonly idp: DevIdp;
  readonly emulator: RunningEmulator;
  /** Stops the gateway, the IdP and the emulator. */
  close(): Promise<void>;
}

const secret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EADDRINUSE';
}

/** Runs `start` on `port`; if that port is taken, on an ephemeral one instead. */
async function withPortFallback<T>(port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if (port === 0 || !isAddressInUse(err)) throw err;
    return start(0);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject).listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts IdP, emulator and gateway; resolves once the gateway's OIDC discovery has succeeded, so
 * the first click on "Sign in" works. On failure, whatever had started is stopped again.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const ports = options.ports ?? {};
  const stops: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };

  try {
    // The gateway listens first: its origin is part of the IdP's client registration.
    const server = createServer();
    const gatewayPort = options.exactGatewayPort
      ? await listen(server, ports.gateway ?? 0)
      : await withPortFallback(ports.gateway ?? 0, (port) => listen(server, port));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const url = `http://${HOST}:${gatewayPort}`;

    const clientSecret = secret();
    const idp = await withPortFallback(ports.idp ?? 0, (port) =>
      startDevIdp({
        port,
        host: HOST,
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: clientSecret,
            redirect_uris: [`${url}/auth/callback`],
            post_logout_redirect_uris: [`${url}/`],
            // Signing out at the IdP also ends the gateway sessions of that IdP session.
            backchannel_logout_uri: `${url}${BACKCHANNEL_LOGOUT_PATH}`,
          },
        ],
      }),
    );
    stops.push(() => idp.close());

    const apiKey = secret();
    const emulator = await withPortFallback(ports.emulator ?? 0, (port) => startEmulator({ port, host: HOST, apiKey }));
    stops.push(() => emulator.close());

    const config = loadConfig({
      NODE_ENV: 'development',
      PUBLIC_URL: url,
      SESSION_SECRET: secret(),
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: clientSecret,
      ONETALK_API_KEY: apiKey,
      ONETALK_BASE_URL: emulator.url,
      ...(options.onetalkTimeoutMs === undefined ? {} : { ONETALK_TIMEOUT_MS: String(options.onetalkTimeoutMs) }),
      ...options.env,
    });
    const demoRouter = createDemoRouter({
      emulatorUrl: emulator.url,
      widgetScriptUrl: emulator.launcherUrl,
      widgetKey: DEV_WIDGET_KEY,
      idpUrl: idp.issuer,
    });
    const gateway = createApp(config, {
      logger: options.logger ?? createLogger('silent'),
      demoRouter,
      ...(options.now ? { now: options.now } : {}),
    });
    stops.push(() => gateway.close());
    server.on('request', gateway.app);
    await gateway.oidc.whenReady();

    return { url: `${url}/`, config, gateway, idp, emulator, close };
  } catch (err) {
    await close();
    throw err;
  }
}
