import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { portFromEnv } from '../../src/config/port.js';
import { problemsOf, VALID_ENV } from '../helpers/config-env.js';

const valid = VALID_ENV;
const TOKEN = 't'.repeat(32);


describe('loadConfig: the listener, shutdown and metrics exposure', () => {
  describe('defaults', () => {
    const config = loadConfig(valid);

    it('sets timeouts safe with nothing in front, and a connection cap', () => {
      expect(config.http).to.deep.equal({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 10_000 });
    });

    it('drains for 5 s before closing the listener, within a 10 s grace', () => {
      expect(config.shutdownDrainDelayMs).to.equal(5000);
      expect(config.shutdownGraceMs).to.equal(10_000);
    });

    it('binds METRICS_PORT to loopback', () => {
      expect(config.metrics.host).to.equal('127.0.0.1');
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      ...valid,
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_MAX_CONNECTIONS: '50',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
      METRICS_TOKEN: TOKEN,
    });
    expect(config.http).to.deep.equal({ headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 65_000, maxConnections: 50 });
    expect(config.shutdownDrainDelayMs).to.equal(0);
    expect(config.metrics).to.deep.equal({ token: TOKEN, port: 9464, host: '0.0.0.0' });
  });

  it('refuses a headers timeout above the request timeout (Node would throw at start-up)', () => {
    expect(problemsOf({ ...valid, HTTP_HEADERS_TIMEOUT_MS: '40000' })).to.deep.equal(['HTTP_HEADERS_TIMEOUT_MS: must not be above HTTP_REQUEST_TIMEOUT_MS']);
  });

  it('refuses out-of-range values, each by name', () => {
    expect(
      problemsOf({ ...valid, HTTP_HEADERS_TIMEOUT_MS: '0', HTTP_MAX_CONNECTIONS: '0', SHUTDOWN_DRAIN_DELAY_MS: '-1', HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' }),
    ).to.deep.equal([
      'HTTP_HEADERS_TIMEOUT_MS: must be at least 100',
      'HTTP_KEEP_ALIVE_TIMEOUT_MS: must be a whole number',
      'HTTP_MAX_CONNECTIONS: must be at least 1',
      'SHUTDOWN_DRAIN_DELAY_MS: must be a whole number',
    ]);
  });

  describe('METRICS_HOST', () => {
    const refusal = 'METRICS_HOST: is not a loopback address: set METRICS_TOKEN too (anyone who reaches the port could read the metrics)';

    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'fd00::1']) {
      it(`refuses ${host} without METRICS_TOKEN`, () => {
        expect(problemsOf({ ...valid, METRICS_PORT: '9464', METRICS_HOST: host })).to.deep.equal([refusal]);
      });
    }

    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      it(`accepts loopback ${host} without a token`, () => {
        expect(loadConfig({ ...valid, METRICS_PORT: '9464', METRICS_HOST: host }).metrics.host).to.equal(host);
      });
    }

    it('refuses a name that is not an address', () => {
      expect(problemsOf({ ...valid, METRICS_PORT: '9464', METRICS_HOST: 'metrics.example.com', METRICS_TOKEN: TOKEN })).to.deep.equal([
        'METRICS_HOST: must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or localhost',
      ]);
    });

    it('names the missing token together with every other problem', () => {
      const problems = problemsOf({ ...valid, PUBLIC_URL: undefined, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' });
      expect(problems).to.include(refusal);
      expect(problems).to.include('PUBLIC_URL: is required');
    });
  });
});

describe('portFromEnv (the container health check)', () => {
  it('reads PORT alone, with its default', () => {
    expect(portFromEnv({ PORT: '8080' })).to.equal(8080);
    expect(portFromEnv({})).to.equal(3000);
  });

  it('refuses a bad PORT by name', () => {
    expect(() => portFromEnv({ PORT: 'eighty' })).to.throw(ConfigError, 'PORT: must be a whole number');
  });
});
