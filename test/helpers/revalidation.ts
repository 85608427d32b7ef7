/**
 * A whole system (real oidc-provider with rotating refresh tokens, OneTalk emulator, gateway) set
 * up for session re-validation tests, in either session store. The gateway's clock is injectable
 * (`advance`), so a session becomes due for re-validation, or outlives a grace period, without
 * any waiting.
 */
import { randomUUID } from 'node:crypto';
import { unsign } from 'cookie-signature';
import { TokenSealer, type SessionTokens } from '../../src/session/index.js';
import { DEMO_USERS, type DevUser } from '../../src/demo/users.js';
import { controlIdp, type IdpControl } from './idp-control.js';
import { startSystem, TEST_SESSION_SECRET, type System } from './gateway.js';
import type { CookieClient } from './cookie-client.js';
import { readyzBecomes } from './net.js';
import { dropKeys, TEST_REDIS_URL } from './redis.js';

export type StoreMode = 'memory' | 'redis';
export const STORE_MODES: readonly StoreMode[] = ['memory', 'redis'];

/** `SESSION_REVALIDATE_MS` and `SESSION_REVALIDATE_GRACE_MS` of these systems (moved past by the clock, never waited for). */
export const PERIOD_MS = 60_000;
export const GRACE_MS = 5 * 60_000;

export interface RevalidationSystem {
  system: System;
  idp: IdpControl;
  /** The IdP's accounts; a test may change their claims, as an IdP administrator would. */
  users: DevUser[];
  /** The gateway's clock (hand it to a second instance). */
  now(): number;
  /** Moves the gateway's clock forward. */
  advance(ms: number): void;
  /** The session id the browser's cookie carries. */
  sessionIdOf(browser: CookieClient): Promise<string>;
  /** The session's tokens as stored (opened with the test's session secret), or undefined. */
  tokensOf(id: string): Promise<SessionTokens | undefined>;
  close(): Promise<void>;
}

/** Accounts with plain profiles, one per test that ends or changes a user at the IdP. */
const EXTRA_USERS: DevUser[] = ['dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory'].map((id) => ({
  id,
  claims: { sub: id, name: `${id[0]!.toUpperCase()}${id.slice(1)} Example`, email: `${id}@example.com`, email_verified: true },
}));

export async function startRevalidationSystem(mode: StoreMode, env: Record<string, string | undefined> = {}): Promise<RevalidationSystem> {
  const users = [...DEMO_USERS, ...EXTRA_USERS].map((u) => ({ id: u.id, claims: { ...u.claims } }));
  const prefix = `test:${randomUUID()}:`;
  let skew = 0;
  const now = (): number => Date.now() + skew;
  const system = await startSystem({
    idpOptions: { refreshTokens: true, users },
    env: {
      OIDC_SCOPES: 'openid profile email phone offline_access',
      OIDC_AUTH_PARAMS: 'prompt=consent',
      SESSION_REVALIDATE_MS: String(PERIOD_MS),
      SESSION_REVALIDATE_GRACE_MS: String(GRACE_MS),
      RATE_LIMIT_TICKETS_PER_MINUTE: '1000',
      ...(mode === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
      ...env,
    },
    deps: { now },
  });
  await readyzBecomes(system.url, 200, 10_000);
  const sealer = new TokenSealer([TEST_SESSION_SECRET]);
  return {
    system,
    idp: controlIdp(system.idp),
    users,
    now,
    advance(ms) {
      skew += ms;
    },
    async sessionIdOf(browser) {
      const cookie = (await browser.cookies(system.url)).find((c) => c.key === 'onetalk.sid');
      const id = cookie && unsign(decodeURIComponent(cookie.value), TEST_SESSION_SECRET);
      if (!id) throw new Error('the browser holds no session cookie');
      return id;
    },
    async tokensOf(id) {
      const sealed = await system.gateway.sessionStore.tokens(id);
      return sealed === undefined ? undefined : sealer.open(id, sealed);
    },
    async close() {
      await system.close();
      if (mode === 'redis') await dropKeys(prefix);
    },
  };
}

/** Parsed JSON log lines of the system. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };
export const logLines = (system: System): LogLine[] => system.logs.map((l) => JSON.parse(l) as LogLine);

/** Polls until `predicate` holds; a wait that runs out fails the test. */
export async function waitFor(predicate: () => boolean, what: string, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
