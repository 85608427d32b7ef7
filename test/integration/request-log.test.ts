import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import helmet from 'helmet';
import { apiSecurityHeaders, createLogger, documentSecurityHeaders, installRequestLog, securityHeaderList } from '../../src/http/index.js';
import { until } from '../helpers/wait.js';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  req?: Record<string, unknown>;
  res?: { statusCode: number };
  problem?: string;
  route?: string;
}

async function serve(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('installRequestLog', () => {
  const lines: Line[] = [];
  const observed: Array<[string, string | undefined, number]> = [];
  let url: string;
  let close: () => Promise<void>;
  let childMade = 0;
  let hanging = 0;

  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Line);
        done();
      },
    });
    const logger = createLogger('info', sink);
    const app = express();
    app.use(installRequestLog(app, logger, (method, route, status) => observed.push([method, route, status])));
    app.get('/quiet', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/talks', (req, res) => {
      childMade += 1;
      req.log.warn({ headers: { cookie: 'onetalk.sid=secret-session' } }, 'something to say');
      res.json({ id: req.id });
    });
    app.get('/fails', (_req, res) => {
      res.locals.problem = 'not_signed_in';
      res.status(401).json({});
    });
    app.get('/hangs', () => {
      hanging += 1; // and never answers
    });
    ({ url, close } = await serve(app));
  });
  after(() => close());
  beforeEach(() => {
    lines.length = 0;
    observed.length = 0;
  });

  it('writes one access line per request, with the request id it echoes and the URL with secrets replaced', async () => {
    const res = await fetch(`${url}/quiet?code=auth-code-SECRET&x=1`, { headers: { 'user-agent': 'probe/1', cookie: 'onetalk.sid=secret' } });
    await res.arrayBuffer();
    await until(() => lines.length === 1, '1 log line(s)');
    const [line] = lines;
    expect(line).to.include({ msg: 'request completed', level: 30, reqId: res.headers.get('x-request-id') });
    expect(line?.req).to.include({ method: 'GET', url: '/quiet?code=%5Bredacted%5D&x=1', userAgent: 'probe/1' });
    expect(line?.res).to.deep.equal({ statusCode: 200 });
    expect(JSON.stringify(lines)).not.to.include('SECRET').and.not.to.include('onetalk.sid');
    expect(observed).to.deep.equal([['GET', '/quiet', 200]]);
  });

  it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await fetch(`${url}/quiet`, { headers: { 'x-request-id': 'edge-123.abc' } });
    expect(kept.headers.get('x-request-id')).to.equal('edge-123.abc');
    const replaced = await fetch(`${url}/quiet`, { headers: { 'x-request-id': 'bad id<script>' } });
    expect(replaced.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('gives a route that logs a child carrying the request id, and redacts what it logs', async () => {
    const res = await fetch(`${url}/talks`);
    const { id } = (await res.json()) as { id: string };
    await until(() => lines.length === 2, '2 log line(s)');
    const said = lines.find((l) => l.msg === 'something to say');
    expect(said).to.include({ reqId: id, level: 40 });
    expect(JSON.stringify(said)).to.include('[redacted]').and.not.to.include('secret-session');
    expect(childMade).to.equal(1);
  });

  it('logs an error answer at warn with its problem code, and an abandoned request as aborted', async () => {
    await (await fetch(`${url}/fails`)).arrayBuffer();
    await until(() => lines.length === 1, '1 log line(s)');
    expect(lines[0]).to.include({ level: 40, problem: 'not_signed_in', msg: 'request completed' });

    const req = httpRequest(`${url}/hangs`);
    req.on('error', () => {});
    req.end();
    await until(() => hanging === 1, 'the hanging request');
    req.destroy();
    await until(() => lines.length === 2, '2 log line(s)');
    expect(lines[1]).to.include({ level: 40, msg: 'request aborted' });
    expect(observed.at(-1)).to.deep.equal(['GET', '/hangs', 200]);
  });
});

describe('security headers', () => {
  const pick = (res: Response): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    res.headers.forEach((value, name) => {
      if (!['date', 'connection', 'keep-alive', 'content-length', 'x-powered-by'].includes(name)) out.push([name, value]);
    });
    return out;
  };

  it('gives a page exactly the headers helmet gives it, computed once', async () => {
    const withHelmet = express().use(helmet()).get('/', (_req, res) => void res.end('x'));
    const precomputed = express().use(apiSecurityHeaders, documentSecurityHeaders).get('/', (_req, res) => void res.end('x'));
    const a = await serve(withHelmet);
    const b = await serve(precomputed);
    try {
      expect(pick(await fetch(b.url))).to.deep.equal(pick(await fetch(a.url)));
      expect(securityHeaderList().length).to.be.greaterThan(8);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('gives an API answer a shorter set that is at least as strict where data is concerned', async () => {
    const api = await serve(express().use(apiSecurityHeaders).get('/', (_req, res) => void res.json({})));
    try {
      const res = await fetch(api.url);
      expect(res.headers.get('content-security-policy')).to.equal("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(res.headers.get('cross-origin-resource-policy')).to.equal('same-origin');
      expect(res.headers.get('strict-transport-security')).to.match(/^max-age=\d+; includeSubDomains$/);
      expect(res.headers.get('x-frame-options')).to.equal(null); // frame-ancestors 'none' says it for JSON
    } finally {
      await api.close();
    }
  });
});

