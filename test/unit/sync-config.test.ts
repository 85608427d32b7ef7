import { expect } from 'chai';
import { loadConfig, ConfigError as GatewayConfigError } from '../../src/config/index.js';
import { ConfigError, loadSyncConfig } from '../../src/config/sync.js';
import { DEFAULT_POLICY } from '../../src/onetalk/index.js';

const problemsOf = (env: NodeJS.ProcessEnv, dryRun = false): readonly string[] => {
  try {
    loadSyncConfig(env, { dryRun });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe('loadSyncConfig (the sync CLI\'s environment)', () => {
  it('needs only the API key, with the gateway\'s defaults for the rest, frozen', () => {
    const config = loadSyncConfig({ ONETALK_API_KEY: 'k-1' });
    expect(config.onetalk).to.deep.include({
      apiKey: 'k-1',
      baseUrl: 'https://onetalk-api.taptalk.io',
      timeoutMs: 5000,
      paths: { requestAuthTicket: '/v1/user/request_auth_ticket', syncContact: '/api/integration/v1/user/sync_contact' },
    });
    const { maxConcurrent: _cap, maxQueue: _queue, ...policy } = DEFAULT_POLICY;
    expect(config.onetalk.policy).to.deep.equal(policy);
    expect(Object.isFrozen(config.onetalk)).to.equal(true);
  });

  it('names every bad variable at once, by the gateway\'s own rules, without echoing the key', () => {
    const problems = problemsOf({ ONETALK_API_KEY: 'has space', ONETALK_BASE_URL: 'http://onetalk.example.com', ONETALK_TIMEOUT_MS: '5s' });
    expect(problems).to.have.length(3);
    expect(problems.join('\n')).to.include('ONETALK_BASE_URL: must use https');
    expect(problems.join('\n')).to.include('ONETALK_TIMEOUT_MS: must be a whole number');
    expect(problems.join('\n')).not.to.include('has space');
  });

  it('words and orders its problems exactly as the gateway does for the same variables', () => {
    const env = { ONETALK_API_KEY: 'has space', ONETALK_TIMEOUT_MS: '5s', ONETALK_MAX_RETRIES: '9', ONETALK_SYNC_PATH: 'no-slash' };
    let gateway: readonly string[] = [];
    try {
      loadConfig({ PUBLIC_URL: 'https://chat.example.com', SESSION_SECRET: 's'.repeat(32), OIDC_ISSUER_URL: 'https://idp.example.com', OIDC_CLIENT_ID: 'g', OIDC_CLIENT_SECRET: 'c', ...env });
    } catch (e) {
      if (e instanceof GatewayConfigError) gateway = e.problems;
    }
    expect(gateway).to.have.length(4);
    expect(problemsOf(env)).to.deep.equal(gateway);
  });

  it('refuses a missing key, except in a dry run', () => {
    expect(problemsOf({})).to.deep.equal(['ONETALK_API_KEY: is required']);
    expect(problemsOf({}, true)).to.deep.equal([]);
    expect(loadSyncConfig({}, { dryRun: true }).onetalk.apiKey).to.equal(undefined);
  });

  it('ignores the gateway\'s other variables: the CLI signs nobody in', () => {
    expect(problemsOf({ ONETALK_API_KEY: 'k', PUBLIC_URL: 'not a url', SESSION_SECRET: 'short' })).to.deep.equal([]);
  });
});
