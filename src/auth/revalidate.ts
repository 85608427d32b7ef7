/**
 * Session re-validation: the IdP stays in charge of who is signed in. A session whose IdP granted
 * a refresh token is refreshed at the IdP at most every `SESSION_REVALIDATE_MS`; the answer ends
 * it (`invalid_grant`: disabled user, withdrawn consent, destroyed grant), refreshes its profile,
 * or, while the IdP cannot answer, keeps it until `SESSION_REVALIDATE_GRACE_MS` after the first
 * failure. Many IdPs (Entra ID, Google) send no back-channel logout: this is how the gateway
 * learns about a revocation there.
 *
 * One refresh per session at a time, across instances: an in-process single flight, and the
 * store's refresh claim between instances. Refresh tokens may rotate, and oidc-provider (like
 * other IdPs) revokes the whole grant when a spent one is presented again: two refreshers with
 * the same token would sign the user out. A request that finds another instance refreshing waits,
 * bounded, by re-reading the session until its generation moves.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../onetalk/index.js';
import { mapClaims, pickSessionClaims, type MapOptions } from '../profile/index.js';
import type { LoadedSession, SessionRecord, Sessions, SessionTokens } from '../session/index.js';
import type { LoginSync, LoginSyncLogger } from './contact-on-sign-in.js';
import type { OidcClient, RefreshOutcome } from './oidc.js';

/** The slice of a pino logger used here (the request's `req.log`, or the app's). */
export interface RevalidationLogger extends LoginSyncLogger {
  error(obj: object, msg: string): void;
}

/** Options of {@link createRevalidator}. */
export interface RevalidatorOptions {
  sessions: Pick<Sessions, 'store' | 'tokens' | 'replace'>;
  oidc: Pick<OidcClient, 'refresh'>;
  /** `SESSION_REVALIDATE_MS`: a session is refreshed at most this often. */
  intervalMs: number;
  /** `SESSION_REVALIDATE_GRACE_MS`: how long after the first failure an unanswered session lives on. */
  graceMs: number;
  /** `SESSION_REVALIDATE_WAIT_MS`: the longest a request waits for a refresh (its own or another instance's). */
  waitMs: number;
  /** The gateway's claim mapping: which claims the session keeps, and what OneTalk gets. */
  profile: Omit<MapOptions, 'endpoint'>;
  /** Clock for due dates and the grace, epoch ms (tests move it). */
  now: () => number;
  /** The fallback logger, for refreshes that outlive the request that started them. */
  logger: RevalidationLogger;
  /** Set when SYNC_CONTACT_ON_LOGIN is on: runs again when a refresh changed the mapped fields. */
  loginSync?: LoginSync | undefined;
  /**
   * How long a refresh claim lives, in ms. It must outlast the longest refresh (the token and
   * userinfo calls, 10 s each at most by the OIDC client's timeout), or a second refresher could
   * present a token the first one already spent. Default 60 000.
   */
  claimTtlMs?: number;
  /** How often a request waiting on another instance re-reads the session, in ms. Default 50. */
  pollMs?: number;
}

/** Re-validates sessions; routes call it right after `sessions.read`. */
export interface Revalidator {
  /**
   * Whether the session is due for a refresh now. Cheap: routes ask first, so a request that
   * needs none never makes a logger for the revalidator.
   */
  due(session: LoadedSession): boolean;
  /**
   * The session to serve, after a refresh when one is due: waits for it at most
   * `SESSION_REVALIDATE_WAIT_MS`. Undefined when the session ended (revoked or unverifiable at
   * the IdP, or still unanswered past the grace): the request is then not signed in.
   * Past the bound within the grace, the session is served as it was read, and the refresh
   * carries on in the background.
   */
  current(session: LoadedSession, log?: RevalidationLogger): Promise<LoadedSession | undefined>;
  /** Starts a due refresh without waiting for it (session reads that must stay fast). */
  inBackground(session: LoadedSession, log?: RevalidationLogger): void;
}

type Result = { kind: 'current'; session: LoadedSession } | { kind: 'ended' } | { kind: 'pending' };

const ENDED: Result = { kind: 'ended' };
const PENDING: Result = { kind: 'pending' };
/** Replacements retried when another writer moved the generation on while the refresh ran. */
const WRITE_ATTEMPTS = 5;

/** Builds the re-validator. One per app: its single flight is per process. */
export function createRevalidator(options: RevalidatorOptions): Revalidator {
  const { sessions, oidc, intervalMs, graceMs, waitMs, profile, now } = options;
  const { store } = sessions;
  const claimTtlMs = options.claimTtlMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  const flights = new Map<string, Promise<Result>>();

  const isDue = (record: SessionRecord, t: number): boolean => {
    const state = record.revalidation;
    if (state === undefined) return false; // no refresh token: re-validation is off
    // Past the grace a session is due at once: only an answer from the IdP keeps it.
    return t - state.checkedAt >= intervalMs || (state.failingSince !== undefined && t - state.failingSince >= graceMs);
  };
  const withinGrace = (record: SessionRecord, t: number): boolean => {
    const since = record.revalidation?.failingSince;
    return since === undefined || t - since < graceMs;
  };
  const loaded = (id: string, stored: { gen: number; record: SessionRecord }): LoadedSession => ({ id, gen: stored.gen, record: stored.record });

  async function end(id: string, log: RevalidationLogger, line: object, msg: string): Promise<Result> {
    await store.destroy(id);
    log.warn({ revalidation: 'ended', ...line }, msg);
    return ENDED;
  }

  /**
   * Writes `change(record)` at the generation last read. Only the holder of the refresh claim
   * refreshes, but other writers may move the generation on: re-read and apply the change to
   * the newer record, so a rotated refresh token is never dropped while the session lives.
   */
  async function write(session: LoadedSession, change: (record: SessionRecord) => SessionRecord, tokens?: SessionTokens): Promise<Result> {
    let current = session;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const record = change(current.record);
      const gen = await sessions.replace(current, record, tokens);
      if (gen !== undefined) return { kind: 'current', session: { id: current.id, gen, record } };
      const latest = await store.get(current.id);
      if (!latest) return ENDED; // signed out meanwhile: stays so, the refresh's result is dropped
      current = loaded(current.id, latest);
    }
    throw new Error(`re-validation could not write session state after ${WRITE_ATTEMPTS} attempts`);
  }

  /** Profile fields OneTalk would get, to tell whether a refresh changed them. */
  const mapped = (claims: Record<string, string>): string => {
    const result = mapClaims(claims, profile);
    return JSON.stringify(result.ok ? result.user : result.code);
  };

  async function apply(session: LoadedSession, tokens: SessionTokens, outcome: RefreshOutcome, log: RevalidationLogger): Promise<Result> {
    const t = now();
    const { id } = session;
    switch (outcome.kind) {
      case 'refreshed': {
        const before = session.record.user.claims;
        // `sub` is pinned by refresh(); no fresh profile this time → keep the one we have.
        const claims = outcome.claims ? { ...pickSessionClaims(outcome.claims, profile.mapping), sub: before.sub as string } : before;
        // Every refreshed token set is stored: a rotated refresh token replaces a spent one. The
        // IdP may send no new ID token; the last one stays the logout hint.
        // (sessions.replace keeps only the fields that are set.)
        const next: SessionTokens = {
          refreshToken: outcome.tokens.refreshToken ?? tokens.refreshToken,
          idToken: outcome.tokens.idToken ?? tokens.idToken,
        };
        const result = await write(session, (record) => ({ ...record, user: { ...record.user, claims }, revalidation: { checkedAt: t } }), next);
        if (result.kind !== 'current') return result;
        const changed = mapped(before) !== mapped(claims);
        log.info(
          { revalidation: 'refreshed', rotated: outcome.rotated, profile: outcome.claims ? (changed ? 'changed' : 'unchanged') : 'kept', ...(outcome.profileError ? { profileError: outcome.profileError } : {}) },
          'session re-validated at the IdP',
        );
        if (changed && outcome.claims) options.loginSync?.(outcome.claims, log);
        return result;
      }
      case 'revoked':
        return end(id, log, { reason: outcome.reason, idpError: outcome.oauth.error, idpStatus: outcome.oauth.status }, 'session ended: the IdP no longer accepts its grant');
      case 'invalid':
        return end(id, log, { reason: outcome.reason }, 'session ended: the IdP\'s answer to its re-validation failed verification');
      case 'unavailable':
      case 'refused': {
        const failingSince = session.record.revalidation?.failingSince ?? t;
        const line = { reason: outcome.reason, failingForMs: t - failingSince, ...(outcome.kind === 'refused' && outcome.oauth ? { idpError: outcome.oauth.error, idpStatus: outcome.oauth.status } : {}) };
        if (t - failingSince >= graceMs) {
          return end(id, log, line, 'session ended: the IdP could not re-validate it within SESSION_REVALIDATE_GRACE_MS');
        }
        // A refusal of the gateway itself is a configuration problem for a person, not the user's.
        if (outcome.kind === 'refused') log.error({ revalidation: 'refused', ...line }, 'the IdP refused the gateway\'s refresh; the session stays within the grace');
        else log.warn({ revalidation: 'unavailable', ...line }, 'the IdP could not re-validate the session; it stays within the grace');
        return write(session, (record) => ({ ...record, revalidation: { checkedAt: t, failingSince } }));
      }
    }
  }

  /** The claim holder's refresh. */
  async function refresh(id: string, log: RevalidationLogger): Promise<Result> {
    // Read again under the claim: another instance may have finished a refresh just now.
    const latest = await store.get(id);
    if (!latest) return ENDED;
    const session = loaded(id, latest);
    if (!isDue(session.record, now())) return { kind: 'current', session };
    const tokens = await sessions.tokens(id);
    const sub = session.record.user.claims.sub;
    if (!tokens?.refreshToken || sub === undefined) {
      // Tokens gone, or sealed under a secret no longer listed: the IdP cannot be asked, so the
      // gateway can no longer tell whether this user may stay.
      return end(id, log, { reason: 'its refresh token cannot be read' }, 'session ended: it can no longer be re-validated');
    }
    return apply(session, tokens, await oidc.refresh(tokens.refreshToken, sub), log);
  }

  /** Another instance holds the claim: wait for its outcome by re-reading the session, bounded. */
  async function awaitOther(session: LoadedSession): Promise<Result> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const latest = await store.get(session.id);
      if (!latest) return ENDED;
      if (latest.gen !== session.gen) return { kind: 'current', session: loaded(session.id, latest) };
      if (performance.now() + pollMs > deadline) return PENDING;
      await sleep(pollMs);
    }
  }

  async function run(session: LoadedSession, log: RevalidationLogger): Promise<Result> {
    const claim = await store.claimRefresh(session.id, claimTtlMs);
    if (claim === undefined) return awaitOther(session);
    try {
      return await refresh(session.id, log);
    } finally {
      // A release that fails leaves the claim to expire by itself.
      await store.releaseRefresh(session.id, claim).catch(() => undefined);
    }
  }

  /** The session's refresh in this process, joined by every request that finds it due meanwhile. */
  function flight(session: LoadedSession, log: RevalidationLogger): Promise<Result> {
    let current = flights.get(session.id);
    if (!current) {
      current = run(session, log).finally(() => flights.delete(session.id));
      // Handled here, so a refresh whose requests stopped waiting can never be an unhandled rejection.
      current.catch((err: unknown) => log.warn({ revalidation: 'error', err }, 'session re-validation failed'));
      flights.set(session.id, current);
    }
    return current;
  }

  /** The flight's result, or PENDING once `waitMs` has passed. */
  function bounded(result: Promise<Result>): Promise<Result> {
    return withTimeout(result, waitMs, () => PENDING);
  }

  return {
    due: (session) => isDue(session.record, now()),

    async current(session, log = options.logger) {
      if (!isDue(session.record, now())) return session;
      const result = await bounded(flight(session, log));
      if (result.kind === 'current') return result.session;
      if (result.kind === 'ended') return undefined;
      if (withinGrace(session.record, now())) {
        // Read again: the wait is long enough for a sign-out to complete meanwhile, and a session
        // that ended must not get a ticket because its request was waiting for the IdP.
        const latest = await store.get(session.id);
        if (!latest) return undefined;
        log.warn({ revalidation: 'pending', waitedMs: waitMs }, 'the IdP did not re-validate the session in time; serving it as it was');
        return loaded(session.id, latest);
      }
      // Already failing for longer than the grace, and still no answer: the session is over.
      await end(session.id, log, { reason: `no answer within ${waitMs} ms, past the grace` }, 'session ended: the IdP could not re-validate it within SESSION_REVALIDATE_GRACE_MS');
      return undefined;
    },

    inBackground(session, log = options.logger) {
      if (isDue(session.record, now())) void flight(session, log).catch(() => undefined);
    },
  };
}
