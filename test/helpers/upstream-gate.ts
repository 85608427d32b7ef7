/**
 * A gate in front of the OneTalk emulator: every upstream call stops at the gate until the test
 * opens it, then goes on to the emulator unchanged. A test can so hold a ticket request exactly
 * "in flight at the upstream", wait for that event, do something else, and let it finish.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamGate {
  /** Point `ONETALK_BASE_URL` here. */
  readonly url: string;
  /** Resolves when the next upstream call (counting from now) has reached the gate. */
  arrival(): Promise<void>;
  /** Lets every held call and every later one through to the emulator. */
  open(): void;
  /** Holds calls again from now on. */
  shut(): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Waits until `arrival` (the call reached the gate), failing at once if `response` settles first:
 * a request answered before it ever reached OneTalk (a 503, a 401) would otherwise leave the test
 * waiting for an arrival that never comes.
 */
export async function reachedUpstream(arrival: Promise<void>, response: Promise<Response>): Promise<void> {
  await Promise.race([
    arrival,
    response.then((res) => {
      throw new Error(`answered ${res.status} before its upstream call reached the gate`);
    }),
  ]);
}

/** Starts a gate (shut) that forwards to `target()` (the emulator's URL, known later). */
export async function startUpstreamGate(target: () => string): Promise<UpstreamGate> {
  let opened = false;
  let waiting: Array<() => void> = [];
  let arrivals: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      for (const notify of arrivals.splice(0)) notify();
      if (!opened) await new Promise<void>((resolve) => waiting.push(resolve));
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers.set(name, value);
      }
      const upstream = await fetch(new URL(req.url ?? '/', target()), {
        method: req.method ?? 'GET',
        headers,
        ...(payload.length > 0 ? { body: new Uint8Array(payload) } : {}),
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const open = (): void => {
    opened = true;
    for (const release of waiting.splice(0)) release();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    arrival: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    open,
    shut() {
      opened = false;
    },
    async close() {
      open();
      arrivals = [];
      waiting = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
