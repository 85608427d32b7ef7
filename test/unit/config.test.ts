import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import defaults from '../../config/defaults.json' with { type: 'json' };
import { loadConfig } from '../../src/config/index.js';
import { DEFAULT_PATHS, DEFAULT_POLICY } from '../../src/onetalk/index.js';
import { problemsOf, VALID_ENV } from '../helpers/config-env.js';

const SECRET = 's'.repeat(32);
const valid = VALID_ENV;


describe('loadConfig', () => {
  describe('defaults, each stated once', () => {
    it('takes the OneTalk paths and upstream policy from the client itself', () => {
      const config = loadConfig(valid);
      expect(config.onetalk.policy).to.deep.equal(DEFAULT_POLICY);
      expect(config.onetalk.paths).to.deep.equal(DEFAULT_PATHS);
    });

    it('keeps in config/defaults.json only values the config reads, none of the client\'s', () => {
      const dir = new URL('../../src/config/', import.meta.url);
      const source = readdirSync(dir).map((file) => readFileSync(new URL(file, dir), 'utf8')).join('\n');
      const unread = Object.keys(defaults).filter((key) => !source.includes(`defaults.${key}`));
      expect(unread, 'keys no module of src/config reads').to.deep.equal([]);
      const restated = Object.keys(defaults).filter((key) => /^onetalk(MaxRetries|Retry|Breaker|MaxConcurrent|MaxQueue)/.test(key));
      expect(restated, 'upstream policy restated beside DEFAULT_POLICY').to.deep.equal([]);
    });
  });

  describe('with the minimal valid environment', () => {
    const config = loadConfig(valid);

    it('applies the documented defaults', () => {
      expect(config.port).to.equal(3000);
      expect(config.oidc.scopes).to.deep.equal(['openid', 'profile', 'email', 'phone']);
      expect(config.onetalk.baseUrl).to.equal('https://onetalk-api.taptalk.io');
      expect(config.onetalk.timeoutMs).to.equal(5000);
      expect(config.onetalk.paths).to.deep.equal({
        requestAuthTicket: '/v1/user/request_auth_ticket',
        syncContact: '/api/integration/v1/user/sync_contact',
      });
      expect(config.profile.customerUserIdPrefix).to.equal('');
      expect(config.profile.requireVerifiedPhone).to.equal(true);
      expect(config.session.idleTimeoutMs).to.equal(30 * 60 * 1000);
      expect(config.session.absoluteTimeoutMs).to.equal(12 * 3600 * 1000);
      expect(config.allowedOrigins).to.deep.equal([]);
      expect(config.redis).to.deep.equal({ connection: undefined, keyPrefix: 'onetalk:', replicaWaitMs: 0 });
      expect(config.rateLimit).to.deep.equal({ ticketsPerMinute: 30, loginsPerIpPerMinute: 600, loginsPerUserPerMinute: 10 });
      expect(config.shutdownGraceMs).to.equal(10_000);
      expect(config.trustProxy).to.equal(false);
      expect(config.logLevel).to.equal('info');
    });

    it('derives the redirect URI from PUBLIC_URL and secure cookies from https', () => {
      expect(config.redirectUri).to.equal('https://chat.example.com/auth/callback');
      expect(config.secureCookies).to.equal(true);
      expect(config.oidc.allowInsecureRequests).to.equal(false);
    });

    it('is frozen all the way down', () => {
      expect(Object.isFrozen(config)).to.equal(true);
      expect(Object.isFrozen(config.onetalk)).to.equal(true);
      expect(Object.isFrozen(config.session.secrets)).to.equal(true);
      expect(() => {
        (config.onetalk as { apiKey: string }).apiKey = 'x';
      }).to.throw(TypeError);
    });
  });

  it('names every missing variable in one error', () => {
    expect(problemsOf({})).to.deep.equal([
      'PUBLIC_URL: is required',
      'SESSION_SECRET: is required',
      'OIDC_ISSUER_URL: is required',
      'OIDC_CLIENT_ID: is required',
      'OIDC_CLIENT_SECRET: is required (OIDC_CLIENT_AUTH is client_secret_basic)',
      'ONETALK_API_KEY: is required',
    ]);
  });

  const cases: Array<[string, Record<string, string>, string]> = [
    ['http PUBLIC_URL off loopback', { PUBLIC_URL: 'http://chat.example.com' }, 'PUBLIC_URL: must use https (plain http is allowed only for a loopback PUBLIC_URL host)'],
    ['PUBLIC_URL with a path', { PUBLIC_URL: 'https://chat.example.com/app' }, 'PUBLIC_URL: must be an origin without a path (the gateway serves /auth and /api at its root)'],
    ['PUBLIC_URL not a URL', { PUBLIC_URL: 'chat.example.com' }, 'PUBLIC_URL: must be an absolute URL'],
    ['http issuer off loopback', { OIDC_ISSUER_URL: 'http://idp.example.com' }, 'OIDC_ISSUER_URL: must use https (plain http is allowed only for a loopback issuer host)'],
    ['http OneTalk off loopback', { ONETALK_BASE_URL: 'http://onetalk.example.com' }, 'ONETALK_BASE_URL: must use https (plain http is allowed only for a loopback ONETALK_BASE_URL host)'],
    ['a short session secret', { SESSION_SECRET: 'short' }, 'SESSION_SECRET: every secret must be at least 32 characters'],
    ['a short rotated secret', { SESSION_SECRET: `${SECRET},short` }, 'SESSION_SECRET: every secret must be at least 32 characters'],
    ['a port out of range', { PORT: '70000' }, 'PORT: must be at most 65535'],
    ['a port that is not a number', { PORT: 'eighty' }, 'PORT: must be a whole number'],
    ['a timeout of zero', { ONETALK_TIMEOUT_MS: '0' }, 'ONETALK_TIMEOUT_MS: must be at least 100'],
    ['scopes without openid', { OIDC_SCOPES: 'profile email' }, 'OIDC_SCOPES: must include openid'],
    ['an origin with a path', { ALLOWED_ORIGINS: 'https://shop.example.com/page' }, 'ALLOWED_ORIGINS: "https://shop.example.com/page" is not an origin (scheme://host[:port], no path)'],
    ['a non-redis REDIS_URL', { REDIS_URL: 'http://cache:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    ['an API key with a space', { ONETALK_API_KEY: 'key 123' }, 'ONETALK_API_KEY: must be visible ASCII characters without spaces'],
    ['a verification flag that is not a boolean', { PHONE_REQUIRE_VERIFIED: 'maybe' }, 'PHONE_REQUIRE_VERIFIED: must be true or false'],
    ['a Redis key prefix with spaces', { REDIS_KEY_PREFIX: 'my app' }, 'REDIS_KEY_PREFIX: must be 1..64 characters of letters, digits, : _ . -'],
    ['a rate limit of zero', { RATE_LIMIT_TICKETS_PER_MINUTE: '0' }, 'RATE_LIMIT_TICKETS_PER_MINUTE: must be at least 1'],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ['an unknown phone region', { PHONE_DEFAULT_REGION: 'XX' }, 'PHONE_DEFAULT_REGION: must be an ISO 3166-1 alpha-2 region, e.g. ID or US'],
    ['a prefix leaving no room for sub', { CUSTOMER_USER_ID_PREFIX: 'p'.repeat(100) }, 'CUSTOMER_USER_ID_PREFIX: must be shorter than 100 characters (customerUserID is 1..100)'],
    ['a ticket path without a slash', { ONETALK_TICKET_PATH: 'v1/ticket' }, 'ONETALK_TICKET_PATH: must be a path starting with /'],
    ['an http embedding origin off loopback', { ALLOWED_ORIGINS: 'http://shop.example.com' }, 'ALLOWED_ORIGINS: "http://shop.example.com" must use https (plain http is allowed only for a loopback origin)'],
    ['a wildcard embedding origin', { ALLOWED_ORIGINS: 'https://*.example.com' }, 'ALLOWED_ORIGINS: "https://*.example.com" is a wildcard, which never matches: list each origin'],
    ['an encoded wildcard origin', { ALLOWED_ORIGINS: 'https://%2A.example.com' }, 'ALLOWED_ORIGINS: "https://%2A.example.com" is a wildcard, which never matches: list each origin'],
    ['an http wildcard origin', { ALLOWED_ORIGINS: 'http://*.example.com:8080' }, 'ALLOWED_ORIGINS: "http://*.example.com:8080" is a wildcard, which never matches: list each origin'],
    [
      'TRUST_PROXY=true',
      { TRUST_PROXY: 'true' },
      'TRUST_PROXY: true would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their addresses/subnets (e.g. loopback, 10.0.0.0/8)',
    ],
    [
      'TRUST_PROXY=TRUE',
      { TRUST_PROXY: ' TRUE ' },
      'TRUST_PROXY: true would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their addresses/subnets (e.g. loopback, 10.0.0.0/8)',
    ],
    [
      'a TRUST_PROXY that is no address',
      { TRUST_PROXY: 'loopback, proxy.internal, 10.0.0.0/33' },
      'TRUST_PROXY: "proxy.internal, 10.0.0.0/33" is not a hop count, an address, a subnet, or one of loopback, linklocal, uniquelocal',
    ],
    ['a per-IP sign-in limit of zero', { RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: '0' }, 'RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE: must be at least 1'],
    ['a per-user sign-in limit of zero', { RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE: '0' }, 'RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE: must be at least 1'],
    [
      'the removed RATE_LIMIT_LOGINS_PER_MINUTE, naming what replaced it',
      { RATE_LIMIT_LOGINS_PER_MINUTE: '30' },
      'RATE_LIMIT_LOGINS_PER_MINUTE: is no longer read: use RATE_LIMIT_LOGINS_PER_IP_PER_MINUTE (sign-in starts per client IP from browsers without a login cookie, default 600) and RATE_LIMIT_LOGINS_PER_USER_PER_MINUTE (per user, from browsers that signed in before, default 10)',
    ],
  ];
  for (const [name, override, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(problemsOf({ ...valid, ...override })).to.deep.equal([message]);
    });
  }

  it('reports several bad variables together without echoing secret values', () => {
    const problems = problemsOf({ ...valid, SESSION_SECRET: 'tiny-secret-value', PORT: '-1', OIDC_ISSUER_URL: 'ftp://x' });
    expect(problems).to.have.length(3);
    expect(problems.join('\n')).not.to.include('tiny-secret-value');
  });

  it('names every refused embedding origin, each with its reason', () => {
    expect(problemsOf({ ...valid, ALLOWED_ORIGINS: 'https://ok.example.com, http://a.example.com, https://*.b.example.com' })).to.deep.equal([
      'ALLOWED_ORIGINS: "http://a.example.com" must use https (plain http is allowed only for a loopback origin)',
      'ALLOWED_ORIGINS: "https://*.b.example.com" is a wildcard, which never matches: list each origin',
    ]);
  });

  it('accepts plain http embedding origins on loopback hosts', () => {
    const config = loadConfig({ ...valid, ALLOWED_ORIGINS: 'http://localhost:8080, http://127.0.0.1:5173, http://[::1]:3000, http://shop.localhost' });
    expect(config.allowedOrigins).to.deep.equal(['http://localhost:8080', 'http://127.0.0.1:5173', 'http://[::1]:3000', 'http://shop.localhost']);
  });

  it('takes TRUST_PROXY as off, a hop count, or addresses and subnets', () => {
    const trust = (value: string) => loadConfig({ ...valid, TRUST_PROXY: value }).trustProxy;
    expect(trust('false')).to.equal(false);
    expect(trust('')).to.equal(false);
    expect(trust('2')).to.equal(2);
    expect(trust('loopback, 10.0.0.0/8, 192.168.1.1/255.255.255.0, fd00::/8, 203.0.113.7')).to.equal(
      'loopback, 10.0.0.0/8, 192.168.1.1/255.255.255.0, fd00::/8, 203.0.113.7',
    );
    expect(trust('linklocal,uniquelocal')).to.equal('linklocal,uniquelocal');
  });

  it('reports a removed variable together with the schema\'s problems', () => {
    expect(problemsOf({ ...valid, PORT: 'x', RATE_LIMIT_LOGINS_PER_MINUTE: '30' }).map((p) => p.split(':')[0])).to.deep.equal([
      'PORT',
      'RATE_LIMIT_LOGINS_PER_MINUTE',
    ]);
  });

  it('allows plain http towards loopback hosts only, and says so', () => {
    const config = loadConfig({
      ...valid,
      PUBLIC_URL: 'http://localhost:3000',
      OIDC_ISSUER_URL: 'http://127.0.0.1:4000',
      ONETALK_BASE_URL: 'http://[::1]:4010',
    });
    expect(config.secureCookies).to.equal(false);
    expect(config.oidc.allowInsecureRequests).to.equal(true);
    expect(config.onetalk.baseUrl).to.equal('http://[::1]:4010');
    expect(config.redirectUri).to.equal('http://localhost:3000/auth/callback');
  });

  it('parses rotation lists, origins, trust proxy and the region', () => {
    const other = 'o'.repeat(40);
    const config = loadConfig({
      ...valid,
      SESSION_SECRET: ` ${SECRET} , ${other} `,
      ALLOWED_ORIGINS: 'https://shop.example.com, http://localhost:8080,https://shop.example.com',
      TRUST_PROXY: '1',
      PHONE_DEFAULT_REGION: 'id',
      CUSTOMER_USER_ID_PREFIX: 'company:',
    });
    expect(config.session.secrets).to.deep.equal([SECRET, other]);
    expect(config.allowedOrigins).to.deep.equal(['https://shop.example.com', 'http://localhost:8080']);
    expect(config.trustProxy).to.equal(1);
    expect(config.profile.defaultRegion).to.equal('ID');
    expect(config.profile.customerUserIdPrefix).to.equal('company:');
    expect(loadConfig({ ...valid, PHONE_REQUIRE_VERIFIED: 'false' }).profile.requireVerifiedPhone).to.equal(false);
    expect(loadConfig({ ...valid, TRUST_PROXY: 'loopback' }).trustProxy).to.equal('loopback');
  });
});
