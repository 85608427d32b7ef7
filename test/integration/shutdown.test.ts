import { once } from 'node:events';
import { Agent, get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { createGracefulShutdown, type GracefulShutdown } from '../../src/ops/shutdown.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { tryConnect } from '../helpers/net.js';
import { startUpstreamGate, type UpstreamGate } from '../helpers/upstream-gate.js';

function portOf(system: System): number {
  return Number(new URL(system.url).port);
}

async function openSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sends until it closes the connection. */
async function readToEnd(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}


describe('graceful shutdown (in-process)', function () {
  let system: System;
  let graceful: GracefulShutdown;
  /** Holds OneTalk calls (shut until a test opens it), so a ticket request is in flight for as long as a test needs. */
  let gate: UpstreamGate;

  async function start(graceMs: number, drainDelayMs = 0): Promise<void> {
    gate = await startUpstreamGate(() => system.emulator.url);
    system = await startSystem({ env: { ONETALK_BASE_URL: gate.url } });
    graceful = createGracefulShutdown({
      server: system.server,
      graceMs,
      drainDelayMs,
      logger: system.gateway.logger,
      startDraining: () => system.gateway.startDraining(),
      close: () => system.gateway.close(),
    });
  }
  afterEach(async () => {
    await system.close();
    await gate.close();
  });

  it('turns /readyz 503 at once, lets the in-flight ticket request finish, refuses new connections', async () => {
    await start(5000);
    const alice = await system.signIn('alice');
    // A readiness probe whose request line is already on the wire: a busy connection, not idle.
    // Written first, so the server has read it before the ticket request below reaches OneTalk.
    const probe = await openSocket(portOf(system));
    probe.write('GET /readyz HTTP/1.1\r\nHost: gateway\r\n');
    const arrived = gate.arrival();
    const ticket = requestTicket(system, alice);
    await arrived; // the ticket request is now waiting for OneTalk

    const done = graceful.shutdown('test');
    expect(system.gateway.draining).to.equal(true);
    expect(await tryConnect(portOf(system))).to.equal('ECONNREFUSED');

    const answer = readToEnd(probe);
    probe.write('\r\n');
    const raw = await answer;
    expect(raw).to.match(/^HTTP\/1\.1 503 /);
    expect(raw).to.match(/\r\nconnection: close\r\n/i);
    expect(raw).to.include('"failing":"draining"');

    gate.open();
    const res = await ticket;
    expect(res.status).to.equal(200);
    expect(await res.json()).to.have.property('ticket');
    expect(system.emulator.requests).to.have.length(1);
    expect(await done).to.deep.equal({ drained: true, closed: true });
    const started = system.logs.map((l) => JSON.parse(l) as { msg: string; inFlight?: number }).find((l) => l.msg === 'shutting down');
    expect(started?.inFlight).to.equal(1);
  });

  it('does not wait for idle keep-alive connections', async () => {
    await start(5000);
    const agent = new Agent({ keepAlive: true });
    let socketClosed: Promise<unknown> | undefined;
    await new Promise<void>((resolve) => {
      get(`${system.url}/healthz`, { agent }, (res) => {
        socketClosed = once(res.socket, 'close');
        res.resume();
        res.once('end', resolve); // the response is done; the socket idles in the agent's pool
      });
    });
    const started = Date.now();
    expect(await graceful.shutdown('test')).to.deep.equal({ drained: true, closed: true });
    await socketClosed;
    expect(Date.now() - started).to.be.below(500);
    agent.destroy();
  });

  it('destroys what is still open when the grace period is over', async () => {
    await start(300);
    const alice = await system.signIn('alice');
    const arrived = gate.arrival();
    const ticket = requestTicket(system, alice).then(
      (res) => res.status,
      (err: unknown) => (err instanceof Error ? err.name : 'error'),
    );
    await arrived; // in flight, held at OneTalk past the grace period
    const started = Date.now();
    expect(await graceful.shutdown('test')).to.deep.equal({ drained: false, closed: true });
    expect(Date.now() - started).to.be.within(250, 1000);
    expect(await ticket).to.equal('TypeError'); // fetch failed: the socket was destroyed
    expect(system.logs.some((l) => l.includes('grace period over'))).to.equal(true);
  });

  it('keeps the listener through the drain delay, and a second signal (forceNow) cuts the delay short', async () => {
    await start(5000, 20_000);
    const done = graceful.shutdown('SIGTERM');
    expect(system.gateway.draining).to.equal(true);
    expect(await tryConnect(portOf(system))).to.equal('connected');
    const started = Date.now();
    graceful.forceNow();
    expect(await done).to.deep.equal({ drained: false, closed: true });
    expect(Date.now() - started).to.be.below(2000);
    expect(await tryConnect(portOf(system))).to.equal('ECONNREFUSED');
  });

  it('is one shutdown however often it is asked for', async () => {
    await start(1000);
    const first = graceful.shutdown('SIGTERM');
    expect(graceful.shutdown('SIGINT')).to.equal(first);
    await first;
    expect(system.logs.filter((l) => l.includes('"shutting down"'))).to.have.length(1);
  });
});
