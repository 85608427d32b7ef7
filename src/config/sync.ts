/**
 * Configuration of the bulk contact-sync CLI (`npm run sync-contacts`): the only place its
 * environment is read. It reuses the gateway schema's ONETALK_* rules verbatim, so a key or base
 * URL the gateway would refuse is refused here too, and needs none of the gateway's other
 * variables (no IdP, no session secret: the CLI signs nobody in).
 */
import { oneTalkSettings } from './onetalk.js';
import type { UpstreamPolicy } from '../onetalk/policy.js';
import { configError, issuesOf } from './problems.js';
import { envSchema } from './schema.js';

export { ConfigError } from './problems.js';

/** What the sync CLI needs to reach OneTalk. Frozen. */
export interface SyncConfig {
  readonly onetalk: {
    /** Undefined only in a dry run, which sends nothing. */
    readonly apiKey: string | undefined;
    readonly baseUrl: string;
    readonly timeoutMs: number;
    readonly paths: { readonly requestAuthTicket: string; readonly syncContact: string };
    /** The gateway's upstream policy (retries, breaker); the CLI sets the concurrency cap itself. */
    readonly policy: Omit<UpstreamPolicy, 'maxConcurrent' | 'maxQueue'>;
  };
}

/** Options of {@link loadSyncConfig}. */
export interface LoadSyncConfigOptions {
  /** A dry run validates rows only: ONETALK_API_KEY may then be absent. */
  dryRun?: boolean;
}

const onetalkSchema = envSchema.pick({
  ONETALK_API_KEY: true,
  ONETALK_BASE_URL: true,
  ONETALK_TIMEOUT_MS: true,
  ONETALK_TICKET_PATH: true,
  ONETALK_SYNC_PATH: true,
  ONETALK_MAX_RETRIES: true,
  ONETALK_RETRY_MAX_DELAY_MS: true,
  ONETALK_BREAKER_THRESHOLD: true,
  ONETALK_BREAKER_COOLDOWN_MS: true,
});

/**
 * Reads ONETALK_API_KEY, ONETALK_BASE_URL, ONETALK_TIMEOUT_MS, the ONETALK_*_PATH variables and
 * the retry and breaker knobs, by the gateway's own rules and defaults.
 * @throws ConfigError naming every invalid variable at once (the key's value is never echoed).
 */
export function loadSyncConfig(env: NodeJS.ProcessEnv = process.env, options: LoadSyncConfigOptions = {}): SyncConfig {
  // In a dry run an absent key is fine, but a present one must still be well-formed: a typo
  // found now is one less surprise on the real run.
  const schema = options.dryRun ? onetalkSchema.partial({ ONETALK_API_KEY: true }) : onetalkSchema;
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw configError(issuesOf(parsed.error));
  const e = parsed.data;
  const { paths, policy, ...rest } = oneTalkSettings(e);
  return Object.freeze({
    onetalk: Object.freeze({ apiKey: e.ONETALK_API_KEY, ...rest, paths: Object.freeze(paths), policy: Object.freeze(policy) }),
  });
}
