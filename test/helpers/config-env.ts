/** What the config test files share: a valid production-like environment and its problems. */
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The smallest environment loadConfig accepts (https everywhere, every required variable). */
export const VALID_ENV: Readonly<Record<string, string>> = Object.freeze({
  PUBLIC_URL: 'https://chat.example.com',
  SESSION_SECRET: 's'.repeat(32),
  OIDC_ISSUER_URL: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'gateway',
  OIDC_CLIENT_SECRET: 'client-secret',
  ONETALK_API_KEY: 'key-123',
});

/** The problems loadConfig names for `env`; fails the test when it accepts it. */
export function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  expect.fail('loadConfig accepted an invalid environment');
}
