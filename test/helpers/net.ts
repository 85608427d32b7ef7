/** Small network helpers the integration suites share. */
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';

/** A loopback port nobody listens on right now (listen on 0, note the port, close). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls `/readyz` until it answers `status`, as a load balancer would. */
export async function readyzBecomes(url: string, status: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`);
    await res.arrayBuffer();
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`/readyz stayed ${res.status}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The error code a fresh TCP connection to `host:port` gets, or 'connected'. */
export async function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  const socket = connect(port, host);
  try {
    await once(socket, 'connect');
    return 'connected';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  } finally {
    socket.destroy();
  }
}
