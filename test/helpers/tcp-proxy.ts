/**
 * A tiny TCP proxy on loopback, for cutting a service off and bringing it back without touching
 * the service itself (the shared Redis keeps running for every other test).
 *
 * While cut, it keeps its port but resets every connection, existing and new: to a client this
 * looks like the server going away, and its reconnection attempts fail until `restore()`.
 * While frozen, connections stay open but nothing flows (held, in order, until `thaw()`): a
 * half-open connection, where the client believes it is connected and waits for answers.
 */
import { createServer, Socket, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /** True while cut. */
  readonly isCut: boolean;
  /** Resets every open connection and refuses new ones until {@link restore}. */
  cut(): void;
  /** Forwards new connections again. */
  restore(): void;
  /** Holds every byte in both directions, keeping connections open. */
  freeze(): void;
  /** Delivers what was held, in order, and forwards again. */
  thaw(): void;
  /** Stops listening and resets everything. */
  close(): Promise<void>;
}

/** Starts a proxy from an ephemeral loopback port to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let cut = false;
  let frozen = false;
  const held: Array<[Socket, Buffer]> = [];

  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy()); // resets are the point here, never a crash
  };

  const server: Server = createServer((client) => {
    track(client);
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    track(upstream);
    upstream.connect(target.port, target.host);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => (frozen ? held.push([to, chunk]) : to.write(chunk)));
    };
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const resetAll = (): void => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  return {
    port,
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      resetAll();
    },
    restore() {
      cut = false;
    },
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    async close() {
      cut = true;
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
