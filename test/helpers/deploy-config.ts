/** What the deployment checks need to know about the config schema itself. */
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { envSchema } from '../../src/config/schema.js';

export const schemaVariables = new Set(Object.keys(envSchema.shape));

/** Variables without a default: every deployment must provide them. */
export function requiredVariables(): string[] {
  try {
    loadConfig({});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.filter((p) => p.endsWith(': is required')).map((p) => p.split(':')[0] ?? '');
  }
  throw new Error('an empty environment was accepted');
}

/** Variables whose values are secrets (and the Redis URLs, which may carry a password): never in plain config. */
export function isSecretVariable(name: string): boolean {
  return /(SECRET|_KEY|TOKEN|PASSWORD)$/.test(name) || ['REDIS_URL', 'REDIS_SENTINEL_URLS', 'REDIS_CLUSTER_URLS'].includes(name);
}
