/** Small network helpers the integration suites share. */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/** The kernel's ephemeral range (what `listen(0)` and every outgoing connection draw from). */
function ephemeralRange(): [low: number, high: number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA range.
  }
  return [49152, 65535];
}

async function kernelPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    // No host: the wildcard address, as the gateway listens (IPv6 and IPv4 where both exist).
    probe.listen(port, () => probe.close(() => resolve(true)));
  });

/**
 * A port nobody listens on right now, for a process that a test starts later (it must know the
 * port ahead, for `PUBLIC_URL`, say). It lies below the kernel's ephemeral range, so that in the
 * meantime no `listen(0)` and no outgoing connection of another test file can take it: a port
 * from that range, released for a moment, was once the source port of someone's fetch when the
 * gateway came to bind it.
 */
export async function freePort(): Promise<number> {
  const high = Math.min(ephemeralRange()[0], 65536) - 1;
  const low = Math.max(1024, high - 20_000);
  // An ephemeral range that starts low leaves no room below it: take one from the kernel then.
  if (high - low < 1000) return kernelPort();
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
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
