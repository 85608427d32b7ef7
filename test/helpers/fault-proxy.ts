/**
 * A TCP proxy on 127.0.0.1 that sits between the gateway and the OneTalk emulator and breaks
 * the conversation on request: refuse connections, never answer, reset or cut a response
 * half-way, trickle it, or answer by itself (a 429, a truncated JSON body).
 *
 * Faults are chosen per request by a substring of the request's bytes (e.g. one user's
 * `customerUserID`), so a parallel request from another user passes untouched. The gateway's
 * client sends headers and a small body in one write, so one chunk holds the whole request.
 * A faulted connection is always closed afterwards, so a keep-alive socket never carries a
 * fault over to the next request.
 */
import net from 'node:net';

export type Fault =
  /** Read the request, never answer (headers that never come). */
  | { kind: 'hang' }
  /** Forward the response's headers and `bodyBytes` of its body, then RST the connection. */
  | { kind: 'reset'; bodyBytes: number }
  /** Forward the headers and `bodyBytes` of the body, then close cleanly (FIN): a cut body. */
  | { kind: 'cut'; bodyBytes: number }
  /** Forward the response one byte every `intervalMs`. */
  | { kind: 'trickle'; intervalMs: number }
  /** Answer with these raw bytes instead of the upstream, then close. */
  | { kind: 'respond'; raw: string };

interface Rule {
  fault: Fault;
  match: string | undefined;
  remaining: number;
}

/** A raw HTTP/1.1 answer that closes its connection. */
export function rawResponse(status: number, headers: Record<string, string>, body = ''): string {
  const lines = [`HTTP/1.1 ${status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export class FaultProxy {
  /** The emulator's port; may be set after start (the proxy connects lazily). */
  targetPort = 0;
  /** Connections accepted so far. */
  accepted = 0;
  /** Requests a fault was applied to. */
  faulted = 0;
  readonly #sockets = new Set<net.Socket>();
  readonly #faultedSockets = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #rules: Rule[] = [];
  #server = this.#newServer();
  #port = 0;

  async start(): Promise<this> {
    await this.#listen(0);
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Sockets open on either side (gateway ↔ proxy, proxy ↔ emulator). */
  get open(): number {
    return this.#sockets.size;
  }

  /** Sockets still open that belong to a faulted exchange. */
  get faultedOpen(): number {
    return this.#faultedSockets.size;
  }

  /** Applies `fault` to the next `times` requests containing `match` (every request if absent). */
  inject(fault: Fault, options: { match?: string; times?: number } = {}): void {
    this.#rules.push({ fault, match: options.match, remaining: options.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes every rule; later requests pass. */
  clear(): void {
    this.#rules = [];
  }

  /**
   * Stops listening and drops every open connection (idle keep-alive ones included, or the
   * gateway would simply reuse them): new connections are refused until {@link accept}.
   */
  refuse(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async accept(): Promise<void> {
    this.#server = this.#newServer();
    await this.#listen(this.#port);
  }

  /** Destroys every socket and timer and stops listening. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    if (this.#server.listening) await this.refuse();
    for (const s of this.#sockets) s.destroy();
  }

  #newServer(): net.Server {
    return net.createServer((client) => this.#onConnection(client));
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  #track(socket: net.Socket, faulted = false): net.Socket {
    this.#sockets.add(socket);
    if (faulted) this.#faultedSockets.add(socket);
    // Errors are the point of this proxy: swallow them, and count the socket closed.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#faultedSockets.delete(socket);
    });
    return socket;
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => (this.#timers.delete(t), fn()), ms);
    this.#timers.add(t);
  }

  /** The fault for a request chunk, consuming one use of the matching rule. */
  #faultFor(chunk: Buffer): Fault | undefined {
    const text = chunk.toString('latin1');
    const rule = this.#rules.find((r) => r.remaining > 0 && (r.match === undefined || text.includes(r.match)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.faulted += 1;
    return rule.fault;
  }

  #onConnection(client: net.Socket): void {
    this.accepted += 1;
    this.#track(client);
    let upstream: net.Socket | undefined;
    let faulty = false;
    client.on('data', (chunk: Buffer) => {
      if (faulty) return; // a hanging request's later bytes are read and dropped
      const fault = this.#faultFor(chunk);
      if (fault) {
        faulty = true;
        upstream?.destroy();
        this.#faultedSockets.add(client);
        this.#apply(fault, client, chunk);
        return;
      }
      if (!upstream) {
        upstream = this.#track(net.connect(this.targetPort, '127.0.0.1'));
        upstream.on('data', (data: Buffer) => client.write(data));
        // A keep-alive socket the emulator closes ends the gateway's too; not once faulted.
        upstream.once('close', () => {
          if (!faulty) client.end();
        });
        client.once('close', () => upstream?.destroy());
      }
      upstream.write(chunk);
    });
  }

  #apply(fault: Fault, client: net.Socket, request: Buffer): void {
    if (fault.kind === 'hang') return;
    if (fault.kind === 'respond') {
      client.end(fault.raw);
      return;
    }
    const upstream = this.#track(net.connect(this.targetPort, '127.0.0.1'), true);
    client.once('close', () => upstream.destroy());
    upstream.write(request);
    let seen = Buffer.alloc(0);
    upstream.on('data', (data: Buffer) => {
      seen = Buffer.concat([seen, data]);
      if (fault.kind === 'trickle') return;
      const headerEnd = seen.indexOf('\r\n\r\n');
      if (headerEnd < 0 || seen.length < headerEnd + 4 + fault.bodyBytes) return;
      upstream.destroy();
      client.write(seen.subarray(0, headerEnd + 4 + fault.bodyBytes), () => {
        if (fault.kind === 'reset') client.resetAndDestroy();
        else client.end();
      });
    });
    if (fault.kind === 'trickle') {
      let sent = 0;
      const drip = () => {
        if (client.destroyed) return;
        if (sent < seen.length) client.write(seen.subarray(sent, ++sent));
        this.#later(fault.intervalMs, drip);
      };
      this.#later(fault.intervalMs, drip);
    }
  }
}
