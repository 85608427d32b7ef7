import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createMetricsServer } from '../../src/ops/metrics.js';
import { requestTicket, startSystem, TEST_API_KEY, type System } from '../helpers/gateway.js';

const TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';

/** The value of the first sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

async function scrape(url: string, token: string | undefined = TOKEN): Promise<string> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  expect(res.headers.get('cache-control')).to.equal('no-store');
  return res.text();
}

describe('GET /metrics', function () {
  describe('with METRICS_TOKEN set', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { METRICS_TOKEN: TOKEN } });
    });
    after(async () => {
      await system.close();
    });

    const refusals: Array<[string, Record<string, string>]> = [
      ['without a token', {}],
      ['with a wrong token', { authorization: `Bearer ${TOKEN}x` }],
      ['with a token of another length', { authorization: 'Bearer short' }],
      ['with another scheme', { authorization: `Basic ${TOKEN}` }],
    ];
    for (const [name, headers] of refusals) {
      it(`answers 401 problem+json ${name}`, async () => {
        const res = await fetch(`${system.url}/metrics`, { headers });
        expect(res.status).to.equal(401);
        expect(res.headers.get('www-authenticate')).to.equal('Bearer realm="metrics"');
        expect(((await res.json()) as { code: string }).code).to.equal('metrics_unauthorized');
      });
    }

    it('shows request durations by route pattern and status, never the raw URL', async () => {
      const browser = await system.signIn('alice');
      expect((await requestTicket(system, browser)).status).to.equal(200);
      await fetch(`${system.url}/no/such/path-4f2a?secret=1`);
      await requestTicket(system, system.browser()); // 401 from inside the ticket router
      const text = await scrape(system.url);
      const ticket200 = { route: '/api/livechat/ticket', status_code: '200', method: 'POST' };
      expect(sample(text, 'http_request_duration_seconds_count', ticket200)).to.equal(1);
      expect(sample(text, 'http_request_duration_seconds_count', { route: '/api/livechat/ticket', status_code: '401' })).to.equal(1);
      expect(sample(text, 'http_request_duration_seconds_count', { route: '/auth/callback', status_code: '303' })).to.equal(1);
      expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })).to.be.at.least(1);
      expect(text).not.to.include('path-4f2a');
      expect(text).not.to.include('secret');
      expect(text).not.to.include(TEST_API_KEY);
    });

    it('shows upstream calls by endpoint and outcome, the breaker state, logins and sessions', async () => {
      const text = await scrape(system.url);
      expect(sample(text, 'onetalk_upstream_requests_total', { endpoint: 'requestAuthTicket', outcome: 'ok' })).to.equal(1);
      expect(sample(text, 'onetalk_upstream_request_duration_seconds_count', { endpoint: 'requestAuthTicket', outcome: 'ok' })).to.equal(1);
      expect(sample(text, 'onetalk_circuit_breaker_state', { state: 'closed' })).to.equal(1);
      expect(sample(text, 'onetalk_circuit_breaker_state', { state: 'open' })).to.equal(0);
      expect(sample(text, 'onetalk_upstream_in_flight')).to.equal(0);
      expect(sample(text, 'auth_logins_total', { result: 'succeeded' })).to.equal(1);
      expect(sample(text, 'auth_logins_total', { result: 'failed' })).to.equal(0);
      expect(sample(text, 'sessions_active')).to.be.at.least(1);
      expect(sample(text, 'process_resident_memory_bytes')).to.be.above(0);
      expect(sample(text, 'nodejs_eventloop_lag_seconds')).to.be.a('number');
    });

    it('counts a failed sign-in', async () => {
      await fetch(`${system.url}/auth/callback?state=forged&code=x`);
      expect(sample(await scrape(system.url), 'auth_logins_total', { result: 'failed' })).to.equal(1);
    });
  });

  describe('without METRICS_TOKEN or METRICS_PORT', () => {
    let system: System;
    before(async () => {
      system = await startSystem();
    });
    after(async () => {
      await system.close();
    });

    it('does not exist (404), whatever the token', async () => {
      const variants: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}` }];
      for (const headers of variants) {
        const res = await fetch(`${system.url}/metrics`, { headers });
        expect(res.status).to.equal(404);
      }
    });
  });

  describe('with METRICS_PORT set', () => {
    let system: System;
    let metricsServer: Server;
    let metricsUrl: string;
    before(async () => {
      system = await startSystem({ env: { METRICS_PORT: '9464' } });
      // What src/server.ts does on METRICS_PORT, on an ephemeral port here.
      metricsServer = createMetricsServer(system.gateway.metrics, { token: system.config.metrics.token, http: system.config.http });
      await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
      metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}`;
    });
    after(async () => {
      metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      await system.close();
    });

    it('serves /metrics on that port only', async () => {
      expect((await fetch(`${system.url}/metrics`)).status).to.equal(404);
      const text = await scrape(metricsUrl, undefined);
      expect(sample(text, 'onetalk_circuit_breaker_state', { state: 'closed' })).to.equal(1);
      expect((await fetch(`${metricsUrl}/healthz`)).status).to.equal(404);
    });
  });

  describe('when OneTalk is unreachable', () => {
    let system: System;
    before(async () => {
      system = await startSystem({
        env: { METRICS_TOKEN: TOKEN, ONETALK_BASE_URL: 'http://127.0.0.1:9', ONETALK_BREAKER_THRESHOLD: '1', ONETALK_MAX_RETRIES: '0' },
      });
    });
    after(async () => {
      await system.close();
    });

    it('shows the failures by outcome and the breaker open', async () => {
      const browser = await system.signIn('alice');
      expect((await requestTicket(system, browser)).status).to.equal(503);
      expect((await requestTicket(system, browser)).status).to.equal(503);
      const text = await scrape(system.url);
      expect(sample(text, 'onetalk_upstream_requests_total', { outcome: 'unavailable' })).to.equal(1);
      expect(sample(text, 'onetalk_upstream_requests_total', { outcome: 'circuit_open' })).to.equal(1);
      expect(sample(text, 'onetalk_circuit_breaker_state', { state: 'open' })).to.equal(1);
      expect(sample(text, 'http_request_duration_seconds_count', { route: '/api/livechat/ticket', status_code: '503' })).to.equal(2);
    });

    it('keeps each gateway in its own registry', async () => {
      const other = await startSystem({ env: { METRICS_TOKEN: TOKEN } });
      try {
        expect(sample(await scrape(other.url), 'onetalk_upstream_requests_total', { outcome: 'unavailable' })).to.equal(undefined);
      } finally {
        await other.close();
      }
    });
  });
});
