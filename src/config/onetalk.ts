import { DEFAULT_POLICY } from '../onetalk/policy.js';
import type { Env } from './schema.js';

/** The ONETALK_* variables both the gateway and the sync CLI read (the key aside). */
export type OneTalkEnv = Pick<
  Env,
  | 'ONETALK_BASE_URL'
  | 'ONETALK_TIMEOUT_MS'
  | 'ONETALK_TICKET_PATH'
  | 'ONETALK_SYNC_PATH'
  | 'ONETALK_MAX_RETRIES'
  | 'ONETALK_RETRY_MAX_DELAY_MS'
  | 'ONETALK_BREAKER_THRESHOLD'
  | 'ONETALK_BREAKER_COOLDOWN_MS'
>;

/**
 * OneTalk's address, deadline, paths and retry/breaker policy from parsed variables: one place,
 * so the gateway and the sync CLI cannot drift apart. The key and the concurrency cap are each
 * caller's own.
 */
export function oneTalkSettings(e: OneTalkEnv) {
  return {
    baseUrl: e.ONETALK_BASE_URL.href.replace(/\/$/, ''),
    timeoutMs: e.ONETALK_TIMEOUT_MS,
    paths: { requestAuthTicket: e.ONETALK_TICKET_PATH, syncContact: e.ONETALK_SYNC_PATH },
    policy: {
      maxRetries: e.ONETALK_MAX_RETRIES,
      retryBaseDelayMs: DEFAULT_POLICY.retryBaseDelayMs,
      retryMaxDelayMs: e.ONETALK_RETRY_MAX_DELAY_MS,
      breakerThreshold: e.ONETALK_BREAKER_THRESHOLD,
      breakerCooldownMs: e.ONETALK_BREAKER_COOLDOWN_MS,
      breakerWindowMs: DEFAULT_POLICY.breakerWindowMs,
    },
  };
}
