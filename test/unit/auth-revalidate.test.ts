/**
 * The re-validator's rules, one by one, with the IdP's answers scripted: the real session layer
 * and memory store, a fake clock, and a refresh that answers what each case needs (the suites in
 * test/integration run the same code against the real oidc-provider).
 */
import type { Request, Response } from 'express';
import { expect } from 'chai';
import { unsign } from 'cookie-signature';
import { IdpTokens, type RefreshOutcome } from '../../src/auth/oidc.js';
import { createRevalidator, type Revalidator } from '../../src/auth/revalidate.js';
import { defaultClaimMapping } from '../../src/profile/index.js';
import { createSessions, MemorySessionStore, TokenSealer, type LoadedSession, type Sessions, type SessionTokens } from '../../src/session/index.js';
import { until } from '../helpers/wait.js';

const SECRET = 'revalidate-unit-secret-0123456789-abcdef';
const PERIOD = 60_000;
const GRACE = 300_000;
const PROFILE = { customerUserIdPrefix: '', defaultRegion: undefined, requireVerifiedPhone: true, mapping: defaultClaimMapping };

interface Line { level: string; obj: Record<string, unknown>; msg: string }

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const refreshed = (refreshToken: string, claims?: Record<string, unknown>, idToken?: string): RefreshOutcome => ({
  kind: 'refreshed', claims, sid: undefined, tokens: new IdpTokens(idToken, refreshToken), rotated: true,
});

describe('session re-validation rules', () => {
  let t: number;
  let store: MemorySessionStore;
  let sessions: Sessions;
  let lines: Line[];
  let answers: Array<RefreshOutcome | Promise<RefreshOutcome>>;
  let presented: string[];

  const logger = {
    info: (obj: object, msg: string) => void lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg: string) => void lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  const oidc = {
    async refresh(refreshToken: string): Promise<RefreshOutcome> {
      presented.push(refreshToken);
      const answer = answers.shift();
      if (!answer) throw new Error('unexpected refresh');
      return answer;
    },
  };
  const revalidator = (options: { graceMs?: number; waitMs?: number; sessions?: Sessions } = {}): Revalidator =>
    createRevalidator({
      sessions: options.sessions ?? sessions, oidc, intervalMs: PERIOD, graceMs: options.graceMs ?? GRACE, waitMs: options.waitMs ?? 1_000,
      profile: PROFILE, now: () => t, logger, pollMs: 5,
    });

  beforeEach(() => {
    t = 1_800_000_000_000;
    store = new MemorySessionStore({ now: () => t, pruneIntervalMs: 0 });
    sessions = createSessions({ store, secrets: [SECRET], secureCookies: false, idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 12 * 3_600_000, now: () => t });
    lines = [];
    answers = [];
    presented = [];
  });

  /** Signs `sub` in with these tokens; resolves with the session as a request would load it. */
  async function signIn(tokens: SessionTokens | undefined, sub = 'alice'): Promise<LoadedSession> {
    let setCookie = '';
    const res = { append: (_name: string, value: string) => void (setCookie = value) } as unknown as Response;
    await sessions.signIn({ headers: {} } as Request, res, { claims: { sub, name: 'Alice Liddell' } }, { issuedAt: 1, ...(tokens ? { tokens } : {}) });
    const id = unsign(decodeURIComponent(/^onetalk\.sid=([^;]*)/.exec(setCookie)?.[1] ?? ''), SECRET);
    if (!id) throw new Error('no session cookie');
    return load(id);
  }
  async function load(id: string): Promise<LoadedSession> {
    const stored = await store.get(id);
    if (!stored) throw new Error('no session');
    return { id, ...stored };
  }

  it('asks the IdP only once a period has passed since the last check', async () => {
    const session = await signIn({ refreshToken: 'rt-1', idToken: 'id-1' });
    t += PERIOD - 1;
    expect(await revalidator().current(session, logger)).to.equal(session);
    expect(presented).to.deep.equal([]);
    t += 1;
    answers.push(refreshed('rt-2'));
    const fresh = await revalidator().current(session, logger);
    expect(presented).to.deep.equal(['rt-1']);
    expect(fresh?.record.revalidation).to.deep.equal({ checkedAt: t });
  });

  it('never re-validates a session whose IdP granted no refresh token, and keeps its ID token for logout', async () => {
    const session = await signIn({ idToken: 'id-only' });
    expect(session.record).not.to.have.property('revalidation');
    t += 10 * PERIOD;
    expect(await revalidator().current(session, logger)).to.equal(session);
    expect(presented).to.deep.equal([]);
    expect(await sessions.tokens(session.id)).to.deep.equal({ idToken: 'id-only' });
  });

  it('keeps the profile when the refresh brought none, and stores the rotated token with the last ID token', async () => {
    const session = await signIn({ refreshToken: 'rt-1', idToken: 'id-1' });
    t += PERIOD;
    answers.push(refreshed('rt-2'));
    const fresh = await revalidator().current(session, logger);
    expect(fresh?.record.user.claims).to.deep.equal({ sub: 'alice', name: 'Alice Liddell' });
    expect(await sessions.tokens(session.id)).to.deep.equal({ refreshToken: 'rt-2', idToken: 'id-1' });
    expect(lines.at(-1)).to.deep.include({ level: 'info', msg: 'session re-validated at the IdP' });
    expect(lines.at(-1)?.obj).to.include({ profile: 'kept' });
  });

  it('ends the session when the IdP\'s answer fails verification', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    answers.push({ kind: 'invalid', reason: 'the refreshed ID token names a different subject' });
    expect(await revalidator().current(session, logger)).to.equal(undefined);
    expect(await store.get(session.id)).to.equal(undefined);
    expect(lines.at(-1)?.obj).to.include({ revalidation: 'ended', reason: 'the refreshed ID token names a different subject' });
  });

  it('logs a refused client as an error and keeps the session within the grace', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    answers.push({ kind: 'refused', reason: 'the IdP answered 401 invalid_client', oauth: { error: 'invalid_client', status: 401 } });
    const kept = await revalidator().current(session, logger);
    expect(kept?.record.revalidation).to.deep.equal({ checkedAt: t, failingSince: t });
    expect(lines.at(-1)).to.deep.include({ level: 'error' });
    expect(lines.at(-1)?.obj).to.include({ revalidation: 'refused', idpError: 'invalid_client' });
  });

  it('with a grace of 0, ends the session at the first failure', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    answers.push({ kind: 'unavailable', reason: 'the token endpoint could not be reached in time' });
    expect(await revalidator({ graceMs: 0 }).current(session, logger)).to.equal(undefined);
    expect(await store.get(session.id)).to.equal(undefined);
  });

  it('ends a session whose tokens no longer open (sealed under a secret since dropped)', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    const rotated = createSessions({ store, secrets: ['a-completely-new-secret-0123456789-abcdef'], secureCookies: false, idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 12 * 3_600_000, now: () => t });
    t += PERIOD;
    expect(await revalidator({ sessions: rotated }).current(session, logger)).to.equal(undefined);
    expect(presented).to.deep.equal([]);
    expect(lines.at(-1)).to.deep.include({ msg: 'session ended: it can no longer be re-validated' });
  });

  it('stores the rotated token even when another writer moved the generation on during the refresh', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    const answer = deferred<RefreshOutcome>();
    answers.push(answer.promise);
    const pending = revalidator().current(session, logger);
    await until(() => presented.length === 1, 'the refresh token at the IdP');
    const other = await load(session.id);
    expect(await sessions.replace(other, { ...other.record, user: { ...other.record.user, claims: { ...other.record.user.claims, locale: 'id' } } })).to.equal(other.gen + 1);
    answer.resolve(refreshed('rt-2', { sub: 'alice', name: 'Alice P. Liddell' }));
    const fresh = await pending;
    expect(fresh?.gen).to.equal(other.gen + 2);
    expect((await sessions.tokens(session.id))?.refreshToken).to.equal('rt-2');
    expect((await load(session.id)).record.user.claims).to.deep.include({ name: 'Alice P. Liddell' });
  });

  it('never brings back a session signed out while its refresh was in flight', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    const answer = deferred<RefreshOutcome>();
    answers.push(answer.promise);
    const pending = revalidator().current(session, logger);
    await until(() => presented.length === 1, 'the refresh token at the IdP');
    await store.destroy(session.id);
    answer.resolve(refreshed('rt-2'));
    expect(await pending).to.equal(undefined);
    expect(await store.get(session.id)).to.equal(undefined);
    expect(await store.tokens(session.id)).to.equal(undefined);
  });

  describe('when another instance holds the refresh claim', () => {
    it('waits for its outcome by re-reading the session, and serves the record it wrote', async () => {
      const session = await signIn({ refreshToken: 'rt-1' });
      t += PERIOD;
      const claim = await store.claimRefresh(session.id, 60_000);
      const waiting = revalidator().current(session, logger);
      const other = await load(session.id);
      await sessions.replace(other, { ...other.record, user: { ...other.record.user, claims: { sub: 'alice', name: 'Renamed Elsewhere' } }, revalidation: { checkedAt: t } }, { refreshToken: 'rt-2' });
      const fresh = await waiting;
      expect(fresh?.record.user.claims.name).to.equal('Renamed Elsewhere');
      expect(presented).to.deep.equal([]);
      await store.releaseRefresh(session.id, claim!);
    });

    it('serves the session as it was once the wait is over, within the grace', async () => {
      const session = await signIn({ refreshToken: 'rt-1' });
      t += PERIOD;
      await store.claimRefresh(session.id, 60_000);
      expect(await revalidator({ waitMs: 100 }).current(session, logger)).to.deep.equal(session);
      expect(lines.at(-1)?.obj).to.include({ revalidation: 'pending' });
    });

    it('serves nothing once the wait for a slow IdP is over when the session ended meanwhile (a sign-out during the wait)', async () => {
      const session = await signIn({ refreshToken: 'rt-1' });
      t += PERIOD;
      const slow = deferred<RefreshOutcome>();
      answers.push(slow.promise);
      const waiting = revalidator({ waitMs: 100 }).current(session, logger);
      await until(() => presented.length === 1, 'the refresh to reach the IdP');
      await store.destroy(session.id);
      expect(await waiting).to.equal(undefined);
      slow.resolve(refreshed('rt-2'));
    });

    it('ends the session once the wait is over past the grace', async () => {
      const session = await signIn({ refreshToken: 'rt-1' });
      t += PERIOD;
      answers.push({ kind: 'unavailable', reason: 'the token endpoint could not be reached in time' });
      const failing = await revalidator().current(session, logger);
      t += GRACE;
      await store.claimRefresh(session.id, 60_000);
      expect(await revalidator({ waitMs: 100 }).current(failing!, logger)).to.equal(undefined);
      expect(await store.get(session.id)).to.equal(undefined);
    });
  });

  it('in the background, answers at once and lets the refresh finish', async () => {
    const session = await signIn({ refreshToken: 'rt-1' });
    t += PERIOD;
    const answer = deferred<RefreshOutcome>();
    answers.push(answer.promise);
    const rv = revalidator();
    rv.inBackground(session, logger);
    rv.inBackground(session, logger); // joins the same flight: one refresh
    await until(() => presented.length === 1, 'the refresh token at the IdP');
    answer.resolve(refreshed('rt-2'));
    await until(() => lines.some((l) => l.msg === 'session re-validated at the IdP'), 'the re-validated line');
    expect(presented).to.deep.equal(['rt-1']);
    expect((await sessions.tokens(session.id))?.refreshToken).to.equal('rt-2');
  });

  it('seals tokens handed over in the OIDC client\'s wrapper by their values, not its [redacted] form', async () => {
    const session = await signIn(new IdpTokens('id-1', 'rt-1'));
    expect(await sessions.tokens(session.id)).to.deep.equal({ refreshToken: 'rt-1', idToken: 'id-1' });
    expect(new TokenSealer([SECRET]).open(session.id, (await store.tokens(session.id))!)).to.deep.equal({ refreshToken: 'rt-1', idToken: 'id-1' });
  });
});

