import { Agent as UndiciAgent } from 'undici';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { inspect } from 'node:util';
import { expect } from 'chai';
import pino from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import { createOneTalkClient } from '../../src/onetalk/index.js';
import type { OneTalkClient, OneTalkClientOptions, OneTalkError } from '../../src/onetalk/index.js';
import { EXAMPLE_USER, failure } from '../helpers/onetalk.js';
import { freePort } from '../helpers/net.js';

const KEY = 'sk-NEVER-LEAK-1234567890';
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const TICKET = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.secret-ticket';
const USER = EXAMPLE_USER;
const ok = (data: object) => JSON.stringify({ status: 200, error: { code: '', message: '', field: '' }, data });
const TICKET_OK = ok({ success: true, message: 'Contact updated successfully', userID: 'u-1', ticket: TICKET });
const SYNC_OK = ok({ success: true, message: 'Contact updated successfully', userID: 'u-1' });
/** The document's three error bodies, verbatim. */
const DOC_40002 = '{\n"status": 400,\n"error": {\n"code": "40002",\n"message": "Customer user ID is required",\n"field": "customerUserID"\n},\n"data": {}\n}';
const DOC_40001 = '{\n"status": 400,\n"error": {\n"code": "40001",\n"message": "Request headers are required (API-Key)",\n"field": ""\n},\n"data": {}\n}';
const DOC_49900 = '{\n"status": 499,\n"error": {\n"code": "49900",\n"message": "Please select a tier",\n"field": ""\n},\n"data": {}\n}';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real upstream on 127.0.0.1:0 that records each request, then lets `reply` answer it. */
class Upstream {
  readonly received: Received[] = [];
  readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  constructor(private reply: Reply) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        this.reply(req, res);
      });
    });
  }
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => (this.timers.delete(t), fn()), ms);
    this.timers.add(t);
  }
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const answer = (status: number, body: string, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
};

/** An undici dispatcher whose sockets pose as forever connecting: a connection that never opens. */
function neverConnecting(): { dispatcher: UndiciAgent; created: net.Socket[] } {
  const created: net.Socket[] = [];
  const dispatcher = new UndiciAgent({
    connect: (_options, callback) => {
      const socket = new net.Socket();
      // A plain unconnected socket fails the first write at once (ERR_SOCKET_CLOSED); a socket
      // that is "connecting" queues writes, exactly like a SYN that is never answered.
      (socket as { connecting: boolean }).connecting = true;
      created.push(socket);
      callback(null, socket);
    },
  });
  return { dispatcher, created };
}

let upstreams: Upstream[] = [];
let clients: OneTalkClient[] = [];
let logLines: string[] = [];

async function upstream(reply: Reply): Promise<Upstream> {
  const u = await new Upstream(reply).listen();
  upstreams.push(u);
  return u;
}
function client(baseUrl: string, extra: Partial<OneTalkClientOptions> = {}): OneTalkClient {
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  const c = createOneTalkClient({ baseUrl, apiKey: KEY, timeoutMs: 2000, logger, now: () => NOW, ...extra });
  clients.push(c);
  return c;
}
/** A base URL nothing listens on. */
const deadPort = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

describe('onetalk/client against loopback upstreams', () => {
  let handlesBefore = 0;
  before(() => (handlesBefore = tcpHandles()));
  afterEach(async () => {
    for (const c of clients) c.close();
    await Promise.all(upstreams.map((u) => u.close()));
    clients = [];
    upstreams = [];
    logLines = [];
  });
  after(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // let destroyed handles finish closing
    expect(tcpHandles(), 'TCP handles left open').to.be.at.most(handlesBefore);
  });

  describe('requestAuthTicket when OneTalk answers the documented success', () => {
    it('sends exactly the documented request and returns the ticket with a conservative expiry', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      const result = await client(u.url).requestAuthTicket(USER);
      expect(result).to.deep.equal({ userID: 'u-1', ticket: TICKET, expiresAt: '2030-01-01T01:00:00.000Z' });
      expect(u.received).to.have.length(1);
      const [got] = u.received;
      expect(got).to.include({ method: 'POST', url: '/v1/user/request_auth_ticket' });
      expect(got?.headers).to.include({
        'api-key': KEY,
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': `onetalk-gateway/${pkg.version}`,
      });
      // alias "" is absent, keys in the document's order
      expect(got?.body).to.equal(
        '{"customerUserID":"company:123","fullName":"John Doe","email":"john@example.com","phone":"6281234567890","photoURL":"http://www.example.com/photo/john_doe.jpg"}',
      );
    });

    it('uses an overridden path under a base URL with a trailing slash', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      const c = client(`${u.url}/`, { paths: { requestAuthTicket: '/api/integration/v1/user/request_auth_ticket' } });
      await c.requestAuthTicket(USER);
      expect(u.received[0]?.url).to.equal('/api/integration/v1/user/request_auth_ticket');
    });
  });

  describe('syncContact when OneTalk answers the documented success', () => {
    it('posts to the sync path and returns userID and message', async () => {
      const u = await upstream(answer(200, SYNC_OK));
      expect(await client(u.url).syncContact(USER)).to.deep.equal({ userID: 'u-1', message: 'Contact updated successfully' });
      expect(u.received[0]).to.include({ method: 'POST', url: '/api/integration/v1/user/sync_contact' });
      expect(JSON.parse(u.received[0]?.body ?? '')).to.not.have.property('alias');
    });
  });

  describe('when OneTalk answers an error', () => {
    // [label, reply, code, upstreamStatus, upstreamCode]
    const cases: Array<[string, Reply, string, number, string?]> = [
      ['the document 40002 body', answer(400, DOC_40002), 'ONETALK_PARAM_VALIDATION', 400, '40002'],
      ['the document 40001 body', answer(400, DOC_40001), 'ONETALK_HEADER_VALIDATION', 400, '40001'],
      ['the document 49900 body', answer(499, DOC_49900), 'ONETALK_TIER_NOT_SELECTED', 499, '49900'],
      ['401', answer(401, '{"status":401,"error":{"code":"40100","message":"Invalid API-Key","field":""},"data":{}}'), 'ONETALK_KEY_REFUSED', 401, '40100'],
      ['the emulator 409 conflict', answer(409, '{"status":409,"error":{"code":"40902","message":"Contact is tied to another customer user ID","field":"phone"},"data":{}}'), 'ONETALK_REJECTED', 409, '40902'],
      ['500 HTML', answer(500, '<html><body>Internal Server Error</body></html>', { 'Content-Type': 'text/html' }), 'ONETALK_UNAVAILABLE', 500],
      ['200 non-JSON', answer(200, 'OK'), 'ONETALK_BAD_RESPONSE', 200],
      ['200 wrong shape', answer(200, '{"ticket":"abc"}'), 'ONETALK_BAD_RESPONSE', 200],
      ['200 success without ticket', answer(200, SYNC_OK), 'ONETALK_BAD_RESPONSE', 200],
      ['a redirect (not followed)', answer(302, '', { Location: 'http://127.0.0.1:1/elsewhere' }), 'ONETALK_BAD_RESPONSE', 302],
    ];
    for (const [label, reply, code, upstreamStatus, upstreamCode] of cases) {
      it(`${label} → ${code}`, async () => {
        const u = await upstream(reply);
        const err = await failure(client(u.url).requestAuthTicket(USER));
        expect(err).to.include({ code, endpoint: 'requestAuthTicket', upstreamStatus });
        expect(err.upstreamCode).to.equal(upstreamCode);
        expect(u.received).to.have.length(1);
      });
    }

    it('names the field of a 40002', async () => {
      const u = await upstream(answer(400, DOC_40002));
      const err = await failure(client(u.url).syncContact(USER));
      expect(err).to.include({ code: 'ONETALK_PARAM_VALIDATION', endpoint: 'syncContact', field: 'customerUserID' });
    });

    it('reads Retry-After of a 429 in seconds and as an HTTP-date', async () => {
      const inSeconds = await upstream(answer(429, '', { 'Retry-After': '30' }));
      expect((await failure(client(inSeconds.url).requestAuthTicket(USER))).retryAfterMs).to.equal(30_000);
      const asDate = await upstream(answer(429, '', { 'Retry-After': new Date(NOW + 120_000).toUTCString() }));
      const err = await failure(client(asDate.url).requestAuthTicket(USER));
      expect(err).to.include({ code: 'ONETALK_RATE_LIMITED', upstreamStatus: 429, retryAfterMs: 120_000 });
    });

    it('refuses an oversized answer → ONETALK_BAD_RESPONSE', async () => {
      const u = await upstream(answer(200, 'x'.repeat(2 * 1024 * 1024)));
      expect((await failure(client(u.url).requestAuthTicket(USER))).code).to.equal('ONETALK_BAD_RESPONSE');
    });
  });

  describe('when the transport fails', () => {
    it('gives up on a slow server at the deadline → ONETALK_TIMEOUT', async () => {
      const u = await upstream((_req, res) => u.later(1500, () => res.end(TICKET_OK)));
      const started = performance.now();
      const err = await failure(client(u.url, { timeoutMs: 300 }).requestAuthTicket(USER));
      expect(err.code).to.equal('ONETALK_TIMEOUT');
      expect(performance.now() - started).to.be.within(290, 600);
    });

    it('gives up on a connection that never opens → ONETALK_TIMEOUT', async () => {
      const { dispatcher, created } = neverConnecting();
      const started = performance.now();
      const err = await failure(client('http://127.0.0.1:9', { timeoutMs: 300, dispatcher }).requestAuthTicket(USER));
      expect(err.code).to.equal('ONETALK_TIMEOUT');
      expect(performance.now() - started).to.be.within(290, 600);
      // The socket the call waited on is gone; undici may already be dialling a fresh one for its pool.
      expect(created[0]?.destroyed).to.equal(true);
      await dispatcher.destroy();
    });

    it('reports a refused connection → ONETALK_UNAVAILABLE', async () => {
      const err = await failure(client(await deadPort()).requestAuthTicket(USER));
      expect(err.code).to.equal('ONETALK_UNAVAILABLE');
      expect((err.cause as Error & { code?: string }).code).to.equal('ECONNREFUSED');
    });

    it('reports a reset connection → ONETALK_UNAVAILABLE', async () => {
      const u = await upstream((req) => req.socket.destroy());
      const err = await failure(client(u.url).syncContact(USER));
      expect(err.code).to.equal('ONETALK_UNAVAILABLE');
      expect((err.cause as Error & { code?: string }).code).to.equal('ECONNRESET');
    });

    it("stops when the caller's signal fires → ONETALK_ABORTED", async () => {
      const u = await upstream(() => undefined); // never answers
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = performance.now();
      const err = await failure(client(u.url).requestAuthTicket(USER, { signal: controller.signal }));
      expect(err.code).to.equal('ONETALK_ABORTED');
      expect(performance.now() - started).to.be.below(500);
    });

    it('sends nothing when the signal has already fired', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      const err = await failure(client(u.url).requestAuthTicket(USER, { signal: AbortSignal.abort() }));
      expect(err.code).to.equal('ONETALK_ABORTED');
      expect(u.received).to.have.length(0);
    });
  });

  describe('when the input or the client is unusable', () => {
    it('refuses invalid input before sending anything → ONETALK_INVALID_INPUT', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      const err = await failure(client(u.url).requestAuthTicket({ ...USER, fullName: 'n'.repeat(251) }));
      expect(err).to.include({ code: 'ONETALK_INVALID_INPUT', field: 'fullName', message: 'fullName must be at most 250 characters' });
      expect(u.received).to.have.length(0);
    });

    it('refuses calls after close → ONETALK_UNAVAILABLE', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      const c = client(u.url);
      c.close();
      expect((await failure(c.syncContact(USER))).code).to.equal('ONETALK_UNAVAILABLE');
      expect(u.received).to.have.length(0);
    });

    it('refuses unusable options without echoing the key', () => {
      expect(() => createOneTalkClient({ baseUrl: 'ftp://x', apiKey: KEY, timeoutMs: 1 })).to.throw(TypeError, /baseUrl/);
      expect(() => createOneTalkClient({ baseUrl: 'http://x', apiKey: `${KEY}\r\nX: y`, timeoutMs: 1 })).to.throw(TypeError).that.satisfies(
        (e: Error) => !e.message.includes(KEY),
      );
      expect(() => createOneTalkClient({ baseUrl: 'http://x', apiKey: KEY, timeoutMs: 0 })).to.throw(TypeError, /timeoutMs/);
    });
  });

  describe('logging', () => {
    it('writes one debug line per call with endpoint, status, outcome and duration only', async () => {
      const u = await upstream(answer(200, TICKET_OK));
      await client(u.url).requestAuthTicket(USER);
      expect(logLines).to.have.length(1);
      const line = JSON.parse(logLines[0] ?? '') as Record<string, unknown>;
      expect(line).to.include({ level: 20, msg: 'onetalk call', endpoint: 'requestAuthTicket', upstreamStatus: 200, outcome: 'ok' });
      expect(line['durationMs']).to.be.a('number');
      expect(logLines[0]).to.not.include(TICKET).and.not.include(USER.email ?? '@');
    });
  });

  describe('the API key never leaks', () => {
    // Each scenario triggers one error kind; the key must not be reachable from any of them.
    const scenarios: Array<[string, () => Promise<OneTalkError>]> = [
      ['INVALID_INPUT', async () => failure(client((await upstream(answer(200, ''))).url).requestAuthTicket({ ...USER, phone: '0812' }))],
      ['PARAM_VALIDATION', async () => failure(client((await upstream(answer(400, DOC_40002))).url).requestAuthTicket(USER))],
      ['HEADER_VALIDATION', async () => failure(client((await upstream(answer(400, DOC_40001))).url).requestAuthTicket(USER))],
      ['TIER_NOT_SELECTED', async () => failure(client((await upstream(answer(499, DOC_49900))).url).syncContact(USER))],
      ['KEY_REFUSED (echoing the key)', async () => {
        const echo: Reply = (req, res) => answer(401, JSON.stringify({ status: 401, error: { code: '40100', message: `bad key ${String(req.headers['api-key'])}`, field: String(req.headers['api-key']) }, data: {} }))(req, res);
        return failure(client((await upstream(echo)).url).requestAuthTicket(USER));
      }],
      ['REJECTED', async () => failure(client((await upstream(answer(409, `{"status":409,"error":{"code":"40901","message":"${KEY}","field":""},"data":{}}`))).url).syncContact(USER))],
      ['RATE_LIMITED', async () => failure(client((await upstream(answer(429, '', { 'Retry-After': '1' }))).url).syncContact(USER))],
      ['UNAVAILABLE (500)', async () => failure(client((await upstream(answer(500, `<html>${KEY}</html>`))).url).syncContact(USER))],
      ['UNAVAILABLE (refused)', async () => failure(client(await deadPort()).syncContact(USER))],
      ['UNAVAILABLE (reset)', async () => failure(client((await upstream((req) => req.socket.destroy())).url).syncContact(USER))],
      ['TIMEOUT', async () => failure(client((await upstream(() => undefined)).url, { timeoutMs: 100 }).syncContact(USER))],
      ['ABORTED', async () => failure(client((await upstream(() => undefined)).url).syncContact(USER, { signal: AbortSignal.timeout(50) }))],
      ['BAD_RESPONSE', async () => failure(client((await upstream(answer(200, `not json ${KEY}`))).url).requestAuthTicket(USER))],
    ];
    for (const [label, trigger] of scenarios) {
      it(`not from ${label}`, async () => {
        const err = await trigger();
        expect(err.code).to.equal(`ONETALK_${label.split(' ')[0]}`);
        const surfaces = [err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), String(err.cause), ...logLines];
        for (const surface of surfaces) expect(surface).to.not.include(KEY);
        expect(logLines.length).to.be.at.least(1);
      });
    }
  });
});
