import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ownerIdKeyFromApiKey } from '../../src/profile/index.js';
import { VALID_ENV } from '../helpers/config-env.js';

const valid = VALID_ENV;

describe('USER_ID_SECRET (the key of the opaque user id)', () => {
  it('is derived from ONETALK_API_KEY when absent or empty', () => {
    expect(loadConfig(valid).userIdKey).to.equal(ownerIdKeyFromApiKey('key-123'));
    expect(loadConfig({ ...valid, USER_ID_SECRET: '' }).userIdKey).to.equal(ownerIdKeyFromApiKey('key-123'));
  });

  it('is USER_ID_SECRET when set, so the API key can rotate without changing any id', () => {
    const secret = 'u'.repeat(40);
    expect(loadConfig({ ...valid, USER_ID_SECRET: secret }).userIdKey).to.equal(secret);
    expect(loadConfig({ ...valid, USER_ID_SECRET: secret, ONETALK_API_KEY: 'key-456' }).userIdKey).to.equal(secret);
  });

  it('does not change when SESSION_SECRET rotates', () => {
    const rotated = loadConfig({ ...valid, SESSION_SECRET: `${'n'.repeat(32)},${'s'.repeat(32)}` });
    expect(rotated.userIdKey).to.equal(loadConfig(valid).userIdKey);
  });

  it('refuses a secret shorter than 32 characters, without echoing it', () => {
    try {
      loadConfig({ ...valid, USER_ID_SECRET: 'short-user-id-secret' });
      expect.fail('accepted a short USER_ID_SECRET');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems).to.deep.equal(['USER_ID_SECRET: must be at least 32 characters']);
      expect((err as Error).message).to.not.include('short-user-id-secret');
    }
  });

  it('stays a plain string in the frozen config', () => {
    const config = loadConfig(valid);
    expect(config.userIdKey).to.be.a('string');
    expect(Object.isFrozen(config)).to.equal(true);
  });
});
