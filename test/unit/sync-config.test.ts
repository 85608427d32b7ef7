import { expect } from 'chai';
import { ConfigError, loadSyncConfig } from '../../src/config/sync.js';

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
    expect(config.onetalk.policy.maxRetries).to.be.a('number');
    expect(Object.isFrozen(config.onetalk)).to.equal(true);
  });

  it('names every bad variable at once, by the gateway\'s own rules, without echoing the key', () => {
    const problems = problemsOf({ ONETALK_API_KEY: 'has space', ONETALK_BASE_URL: 'http://onetalk.example.com', ONETALK_TIMEOUT_MS: '5s' });
    expect(problems).to.have.length(3);
    expect(problems.join('\n')).to.include('ONETALK_BASE_URL: must use https');
    expect(problems.join('\n')).to.include('ONETALK_TIMEOUT_MS: must be a whole number');
    expect(problems.join('\n')).not.to.include('has space');
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
