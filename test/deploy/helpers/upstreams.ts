/**
 * What every deployment test puts around the gateway: the development IdP (real oidc-provider)
 * and the OneTalk emulator, on loopback, registered for one public gateway URL.
 */
import { startDevIdp, type DevIdp } from '../../../src/demo/idp.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { gatewayEnv, TEST_API_KEY, TEST_CLIENT_SECRET } from '../../helpers/test-env.js';

export interface Upstreams {
  idp: DevIdp;
  emulator: RunningEmulator;
  /** The gateway variables that point at them (and the session secret every instance shares). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts IdP and emulator for a gateway whose users see it at `publicUrl`. */
export async function startUpstreams(publicUrl: string): Promise<Upstreams> {
  const idp = await startDevIdp({
    clients: [
      {
        client_id: 'gateway',
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: [`${publicUrl}/auth/callback`],
        post_logout_redirect_uris: [`${publicUrl}/`],
      },
    ],
  });
  const emulator = await startEmulator({ apiKey: TEST_API_KEY });
  return {
    idp,
    emulator,
    env: gatewayEnv(publicUrl, idp.issuer, emulator.url),
    async close() {
      await emulator.close();
      await idp.close();
    },
  };
}
