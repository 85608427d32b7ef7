/**
 * The gateway as the benchmark runs it: built by `createApp` from a `loadConfig` environment,
 * exactly as `src/server.ts` does, with production defaults (NODE_ENV=production, LOG_LEVEL
 * info, every middleware on), and signed in once through the shared IdP.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevClient } from '../../src/demo/idp.js';
import { createApp, type Gateway } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { signIn } from '../browser.js';
import { bind } from '../listen.js';

/** A running, signed-in gateway. */
export interface BenchGateway {
  readonly url: string;
  readonly config: Config;
  readonly gateway: Gateway;
  /** `Cookie` header of alice's signed-in session. */
  readonly cookie: string;
  close(): Promise<void>;
}

/** A gateway whose port is bound and whose IdP client is known, not yet built. */
export interface PreparedGateway {
  readonly client: DevClient;
  start(idp: { readonly issuer: string }, env?: Record<string, string>): Promise<BenchGateway>;
}

const READY_WITHIN_MS = 15_000;

/** Polls `/readyz` (OIDC discovery done, session store answering) with a deadline. */
async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`gateway at ${url} not ready within ${READY_WITHIN_MS} ms (${res?.status ?? 'no answer'})`);
    await sleep(100);
  }
}

/** Binds a port for a gateway registered at the IdP as `clientId`. */
export async function prepareGateway(clientId: string): Promise<PreparedGateway> {
  const bound = await bind();
  const clientSecret = randomBytes(24).toString('base64url');
  return {
    client: {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [`${bound.url}/auth/callback`],
      post_logout_redirect_uris: [`${bound.url}/`],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    async start(idp, env = {}) {
      const config = loadConfig({
        NODE_ENV: 'production',
        PUBLIC_URL: bound.url,
        SESSION_SECRET: randomBytes(32).toString('hex'),
        OIDC_ISSUER_URL: idp.issuer,
        OIDC_CLIENT_ID: clientId,
        OIDC_CLIENT_SECRET: clientSecret,
        ONETALK_API_KEY: 'bench-unused-key',
        LOG_LEVEL: 'info',
        // Per-session and upstream caps would turn a throughput test into a test of the caps.
        RATE_LIMIT_TICKETS_PER_MINUTE: '100000',
        ONETALK_MAX_CONCURRENT: '100000',
        ONETALK_MAX_QUEUE: '1000000',
        ...env,
      });
      const gateway = createApp(config);
      bound.serve(gateway.app);
      const close = async (): Promise<void> => {
        await bound.close();
        await gateway.close();
      };
      try {
        await waitUntilReady(bound.url);
        const cookie = await signIn(`${bound.url}/auth/login`, 'alice', (name) => name === 'onetalk.sid');
        const check = await fetch(`${bound.url}/auth/session`, { headers: { cookie } });
        const body = (await check.json()) as { authenticated?: boolean };
        if (body.authenticated !== true) throw new Error(`${clientId}: GET /auth/session is not signed in after sign-in`);
        return { url: bound.url, config, gateway, cookie, close };
      } catch (err) {
        await close();
        throw err;
      }
    },
  };
}
