import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { requestTicket, startSystem, TEST_API_KEY, type System } from '../helpers/gateway.js';

/** An upstream that answers whatever the test says, and counts what it received. */
class OddUpstream {
  received = 0;
  private answer: (res: ServerResponse) => void = (res) => res.end();
  readonly server: Server = createServer((req: IncomingMessage, res) => {
    this.received += 1;
    req.resume();
    req.on('end', () => this.answer(res));
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  respond(answer: (res: ServerResponse) => void): void {
    this.received = 0;
    this.answer = answer;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Problem {
  code: string;
  status: number;
  detail?: string;
}

async function problem(res: Response): Promise<Problem> {
  expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  return (await res.json()) as Problem;
}

describe('POST /api/livechat/ticket when OneTalk fails', function () {
  describe('against the emulator', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { ONETALK_TIMEOUT_MS: '400' } });
    });
    after(async () => {
      await system.close();
    });
    beforeEach(() => system.emulator.reset());

    it('maps "no tier selected" (499/49900) to 503, logs the upstream message, forwards none of it', async () => {
      const browser = await system.signIn('alice');
      system.emulator.settings.tierSelected = false;
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(503);
      const body = await problem(res);
      expect(body.code).to.equal('upstream_not_configured');
      expect(JSON.stringify(body)).not.to.include('Please select a tier');
      expect(system.emulator.requests).to.have.length(1);
      expect(system.logs.join('')).to.include('Please select a tier');
    });

    it('maps a timeout to 504 within the deadline', async () => {
      const browser = await system.signIn('alice');
      system.emulator.settings.latencyMs = 3000;
      const started = Date.now();
      const res = await requestTicket(system, browser);
      const elapsed = Date.now() - started;
      expect(res.status).to.equal(504);
      expect((await problem(res)).code).to.equal('upstream_timeout');
      expect(elapsed).to.be.below(2500);
    });

    it('maps a refused contact (tied to another customer user ID) to 502, not a 4xx', async () => {
      const browser = await system.signIn('alice');
      const seeded = system.emulator.store.seed({ customerUserID: 'someone-else', fullName: 'Other', phone: '6281234567890' });
      expect(seeded.ok).to.equal(true);
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(502);
      expect((await problem(res)).code).to.equal('upstream_rejected');
      expect(system.emulator.requests).to.have.length(1);
    });
  });

  describe('when the browser goes away mid-call', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { ONETALK_TIMEOUT_MS: '10000', METRICS_TOKEN: 'm'.repeat(32) } });
    });
    after(async () => {
      await system.close();
    });

    it('cancels the upstream call instead of holding it until the deadline', async () => {
      const browser = await system.signIn('alice');
      system.emulator.settings.latencyMs = 5000;
      const leave = new AbortController();
      const pending = browser
        .request(`${system.url}/api/livechat/ticket`, { method: 'POST', headers: { 'x-csrf': '1' }, signal: leave.signal })
        .catch((err: unknown) => err);
      await new Promise((resolve) => setTimeout(resolve, 300));
      leave.abort();
      expect(await pending).to.be.instanceOf(Error);
      const aborted = async () => {
        const res = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${'m'.repeat(32)}` } });
        return /onetalk_upstream_requests_total\{[^}]*outcome="[^"]*abort[^"]*"[^}]*\} 1/i.test(await res.text());
      };
      const deadline = Date.now() + 3000;
      while (!(await aborted())) {
        if (Date.now() > deadline) expect.fail('the upstream call was not cancelled within 3 s (its deadline is 10 s)');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  });

  describe('with a key OneTalk refuses', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { ONETALK_API_KEY: 'wrong-key-for-this-org' } });
    });
    after(async () => {
      await system.close();
    });

    it('answers 502 and never shows either key', async () => {
      const browser = await system.signIn('alice');
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(502);
      const text = JSON.stringify(await problem(res));
      expect(text).to.include('upstream_credentials_refused');
      expect(text).not.to.include('wrong-key-for-this-org');
      expect(text).not.to.include(TEST_API_KEY);
      expect(system.emulator.requests[0]?.status).to.equal(401);
      expect(system.logs.join('')).not.to.include('wrong-key-for-this-org');
    });
  });

  describe('against an odd upstream', () => {
    const upstream = new OddUpstream();
    let system: System;
    before(async () => {
      const base = await upstream.start();
      system = await startSystem({ env: { ONETALK_BASE_URL: base, ONETALK_TIMEOUT_MS: '500' } });
    });
    after(async () => {
      await system.close();
      await upstream.close();
    });

    const cases: Array<[string, (res: ServerResponse) => void, number, string]> = [
      ['a body that is not JSON', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'), 502, 'upstream_bad_response'],
      [
        'a success without a ticket',
        (res) =>
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 200, error: { code: '', message: '', field: '' }, data: { success: true, userID: 'u1' } })),
        502,
        'upstream_bad_response',
      ],
      [
        'a parameter error (40002)',
        (res) =>
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 400, error: { code: '40002', message: 'Full name is required', field: 'fullName' }, data: {} })),
        502,
        'upstream_rejected',
      ],
      ['a 500 page', (res) => res.writeHead(500).end('oops'), 503, 'upstream_unavailable'],
      ['a 429 with Retry-After', (res) => res.writeHead(429, { 'retry-after': '7' }).end(), 503, 'upstream_rate_limited'],
    ];
    for (const [name, answer, status, code] of cases) {
      it(`maps ${name} to ${status} ${code}`, async () => {
        const browser = await system.signIn('alice');
        upstream.respond(answer);
        const res = await requestTicket(system, browser);
        expect(res.status).to.equal(status);
        expect((await problem(res)).code).to.equal(code);
        expect(upstream.received).to.equal(1);
        if (code === 'upstream_rate_limited') expect(res.headers.get('retry-after')).to.equal('7');
      });
    }
  });

  describe('when OneTalk is unreachable', () => {
    let system: System;
    before(async () => {
      const dead = createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const port = (dead.address() as AddressInfo).port;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      system = await startSystem({ env: { ONETALK_BASE_URL: `http://127.0.0.1:${port}` } });
    });
    after(async () => {
      await system.close();
    });

    it('answers 503 upstream_unavailable', async () => {
      const browser = await system.signIn('alice');
      const res = await requestTicket(system, browser);
      expect(res.status).to.equal(503);
      expect((await problem(res)).code).to.equal('upstream_unavailable');
    });
  });
});
