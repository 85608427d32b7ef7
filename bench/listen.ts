import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server bound to an ephemeral loopback port before its handler exists. */
export interface Bound {
  readonly server: Server;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Installs the request handler (the app is built after the IdP knows our redirect URI). */
  serve(handler: RequestListener): void;
  close(): Promise<void>;
}

/**
 * Binds first, serves later: a relying party's redirect URI must be registered at the IdP,
 * which is started once for all scenarios, before the app itself can be built.
 */
export async function bind(): Promise<Bound> {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    serve(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
