import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/index.js';
import { checkIntervalFor, createHttpServer } from '../../src/http/listener.js';
import { minimalEnv, spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/net.js';

/** A raw client: what it was sent and when the server closed the connection. */
interface RawClient {
  socket: Socket;
  /** Resolves with the answer and how long after connecting the server closed. */
  closed: Promise<{ answer: string; afterMs: number }>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  const opened = Date.now();
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  // A refused socket may reset: that is an outcome here, read from `closed`, not an error.
  socket.on('error', () => {});
  const closed = new Promise<{ answer: string; afterMs: number }>((resolve) => socket.once('close', () => resolve({ answer, afterMs: Date.now() - opened })));
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, closed };
}

/** Writes `head`, then one more byte every `everyMs` until the server closes the connection. */
async function trickle(port: number, head: string, everyMs = 50): Promise<{ answer: string; afterMs: number }> {
  const client = await rawClient(port);
  client.socket.write(head);
  const timer = setInterval(() => client.socket.write('a'), everyMs);
  try {
    return await client.closed;
  } finally {
    clearInterval(timer);
  }
}

describe('server timeouts and the connection cap (a real process)', function () {
  this.timeout(30_000);
  let gateway: GatewayProcess;

  before(async () => {
    const port = await freePort();
    gateway = await spawnGateway({
      env: minimalEnv(port, {
        HTTP_HEADERS_TIMEOUT_MS: '600',
        HTTP_REQUEST_TIMEOUT_MS: '1200',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '400',
        HTTP_MAX_CONNECTIONS: '4',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      }),
    });
  });
  after(() => gateway?.kill());

  // First, while no other test's sockets are still closing: the cap counts every open socket.
  it('frees sockets that never send a byte, so silent clients cannot hold the cap', async () => {
    const silent = await Promise.all([1, 2, 3, 4].map(() => rawClient(gateway.port)));
    // The cap is full: one more connection is closed at once, unanswered.
    const extra = await rawClient(gateway.port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    expect((await extra.closed).answer).to.equal('');
    // The silent ones are cut at the headers timeout; then a real request is served again.
    for (const client of silent) expect((await client.closed).afterMs).to.be.below(3000);
    const res = await fetch(`${gateway.url}/healthz`);
    expect(res.status).to.equal(200);
  });

  it('cuts off a client trickling its headers with 408 once HTTP_HEADERS_TIMEOUT_MS is over', async () => {
    const { answer, afterMs } = await trickle(gateway.port, 'GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: ');
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    // Not before the timeout; well within it plus one check interval (loose: shared machine).
    expect(afterMs).to.be.within(550, 3000);
  });

  it('cuts off a client trickling its body (a back-channel logout) once HTTP_REQUEST_TIMEOUT_MS is over', async () => {
    const head = 'POST /auth/backchannel-logout HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nlogout_token=';
    const { answer, afterMs } = await trickle(gateway.port, head);
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    expect(afterMs).to.be.within(1100, 4000);
  });

  it('closes an idle keep-alive socket after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const client = await rawClient(gateway.port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    const { answer, afterMs } = await client.closed;
    expect(answer).to.match(/^HTTP\/1\.1 200 /);
    // The server kept the socket for a next request, then closed it for idling, not for the request.
    expect(answer).to.match(/\r\nConnection: keep-alive\r\n/i);
    expect(afterMs).to.be.within(300, 3000);
  });
});

describe('server timeout defaults (no balancer in front)', () => {
  const config = loadConfig(minimalEnv(3000));
  const server = createHttpServer(() => {}, config.http);

  it('gives a client 10 s for its headers, 30 s for the whole request, 5 s of keep-alive idling, 10,000 sockets', () => {
    expect(server.headersTimeout).to.equal(10_000);
    expect(server.requestTimeout).to.equal(30_000);
    expect(server.keepAliveTimeout).to.equal(5_000);
    expect(server.maxConnections).to.equal(10_000);
  });

  it('cuts a header trickle off within 20 s, counting how often Node checks', () => {
    expect(config.http.headersTimeoutMs + checkIntervalFor(config.http)).to.be.at.most(20_000);
  });
});
