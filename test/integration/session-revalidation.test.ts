/**
 * The IdP stays in charge: sessions are re-validated with their refresh token at the real
 * oidc-provider, in both session stores. Time is the gateway's injectable clock: a session is made
 * due, or carried past its grace, by moving it, never by sleeping.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import type { CookieClient } from '../helpers/cookie-client.js';
import { requestTicket } from '../helpers/gateway.js';
import {
  GRACE_MS, logLines, PERIOD_MS, startRevalidationSystem, STORE_MODES, waitFor, type RevalidationSystem,
} from '../helpers/revalidation.js';

const WAIT_MS = 600;

for (const mode of STORE_MODES) {
  describe(`session re-validation at the IdP (${mode} sessions)`, function () {
    this.timeout(30_000);
    let rv: RevalidationSystem;
    /** Every response body and header the tests saw, to prove no refresh token ever left. */
    const answers: string[] = [];
    /** Every refresh token the sessions held, read from the store. */
    const refreshTokens = new Set<string>();

    before(async () => {
      rv = await startRevalidationSystem(mode, { SYNC_CONTACT_ON_LOGIN: 'true', SESSION_REVALIDATE_WAIT_MS: String(WAIT_MS) });
    });
    after(() => rv?.close());
    afterEach(() => {
      rv.idp.outage = false;
      rv.idp.release();
    });

    const url = () => rv.system.url;
    const seen = async (res: Response): Promise<Response> => {
      const headers: string[] = [];
      res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
      answers.push(`${headers.join('\n')}\n\n${await res.clone().text()}`);
      return res;
    };
    const ticket = async (browser: CookieClient) => seen(await requestTicket(rv.system, browser));
    const session = async (browser: CookieClient) => (await (await seen(await browser.get(`${url()}/auth/session`))).json()) as Record<string, unknown>;
    const ticketCalls = () => rv.system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.requestAuthTicket);
    const syncCalls = () => rv.system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.syncContact);
    const linesWith = (text: string) => logLines(rv.system).filter((l) => l.msg.includes(text));

    /** Signs `login` in and notes the refresh token its session holds. */
    async function signedIn(login: string): Promise<{ browser: CookieClient; id: string }> {
      const browser = await rv.system.signIn(login);
      const id = await rv.sessionIdOf(browser);
      await noteTokens(id);
      return { browser, id };
    }
    async function noteTokens(id: string): Promise<void> {
      const token = (await rv.tokensOf(id))?.refreshToken;
      if (token) refreshTokens.add(token);
    }
    const revalidation = async (id: string) => (await rv.system.gateway.sessionStore.get(id))?.record.revalidation;

    it('keeps a signed-in session\'s record under 2 KB, with the tokens sealed under their own key', async () => {
      const { id } = await signedIn('carol'); // the longest profile of the demo users
      const stored = await rv.system.gateway.sessionStore.get(id);
      const json = JSON.stringify(stored?.record);
      expect(Buffer.byteLength(json, 'utf8')).to.be.at.most(2048);
      const tokens = await rv.tokensOf(id);
      expect(tokens?.refreshToken).to.be.a('string');
      expect(decodeJwt(tokens?.idToken ?? '')).to.include({ sub: 'carol', aud: 'gateway' });
      const sealed = (await rv.system.gateway.sessionStore.tokens(id)) ?? '';
      for (const raw of [tokens!.refreshToken!, tokens!.idToken!]) expect(json + sealed).not.to.include(raw);
      expect(stored?.record.revalidation).to.have.keys('checkedAt');
    });

    it('ends the session of a user revoked at the IdP within one re-validation period, and no sooner asks the IdP', async () => {
      const { browser, id } = await signedIn('dave');
      const before = rv.idp.refreshes;
      expect((await ticket(browser)).status).to.equal(200);
      expect(await rv.system.idp.revokeGrants('dave')).to.be.greaterThan(0);

      rv.advance(PERIOD_MS - 5_000); // not due yet: served from the session, the IdP is not asked
      expect((await ticket(browser)).status).to.equal(200);
      expect(rv.idp.refreshes).to.equal(before);

      rv.advance(5_000);
      const minted = ticketCalls().length;
      const res = await ticket(browser);
      expect(res.status).to.equal(401);
      expect(await res.json()).to.include({ code: 'not_signed_in' });
      expect(res.headers.getSetCookie().some((c) => /^onetalk\.sid=;/.test(c))).to.equal(true);
      expect(ticketCalls().length).to.equal(minted);
      expect(rv.idp.refreshes).to.equal(before + 1);
      expect(await rv.system.gateway.sessionStore.get(id)).to.equal(undefined);
      expect(await rv.system.gateway.sessionStore.tokens(id)).to.equal(undefined);
      expect(linesWith('session ended: the IdP no longer accepts its grant')[0]).to.include({ level: 40, idpError: 'invalid_grant' });
    });

    it('brings a name changed at the IdP to OneTalk in the next ticket request, and syncs the contact again', async () => {
      const { browser, id } = await signedIn('erin');
      await waitFor(() => syncCalls().some((c) => (c.body as Record<string, unknown>).customerUserID === 'erin'), 'the sign-in sync');
      rv.advance(PERIOD_MS); // a refresh with nothing changed: no sync
      expect((await ticket(browser)).status).to.equal(200);
      expect(ticketCalls().at(-1)?.body).to.include({ customerUserID: 'erin', fullName: 'Erin Example' });
      await noteTokens(id);

      rv.users.find((u) => u.id === 'erin')!.claims.name = 'Erin Renamed';
      rv.advance(PERIOD_MS);
      expect((await ticket(browser)).status).to.equal(200);
      expect(ticketCalls().at(-1)?.body).to.include({ customerUserID: 'erin', fullName: 'Erin Renamed' });
      const shown = (await session(browser)) as { authenticated: boolean; user?: Record<string, unknown> };
      expect(shown.authenticated).to.equal(true);
      expect(shown.user).to.include({ name: 'Erin Renamed', email: 'erin@example.com' });
      await noteTokens(id);

      const erinSyncs = () => syncCalls().filter((c) => (c.body as Record<string, unknown>).customerUserID === 'erin');
      await waitFor(() => erinSyncs().length >= 2, 'the sync after the profile changed');
      expect(erinSyncs().map((c) => (c.body as Record<string, unknown>).fullName)).to.deep.equal(['Erin Example', 'Erin Renamed']);
      expect(linesWith('session re-validated at the IdP').map((l) => l.profile)).to.include.members(['unchanged', 'changed']);
    });

    describe('while the IdP cannot be reached', () => {
      it('keeps users signed in within the grace, counted from the first failure, and signs them out after it', async () => {
        const { browser, id } = await signedIn('frank');
        rv.idp.outage = true;
        rv.advance(PERIOD_MS);
        expect((await ticket(browser)).status).to.equal(200);
        const first = await revalidation(id);
        expect(first?.failingSince).to.be.a('number');
        expect(linesWith('the IdP could not re-validate the session; it stays within the grace').at(-1)).to.include({ revalidation: 'unavailable' });

        rv.advance(GRACE_MS - PERIOD_MS); // due again, still failing, still within the grace
        expect((await ticket(browser)).status).to.equal(200);
        expect((await revalidation(id))?.failingSince).to.equal(first?.failingSince);

        rv.advance(PERIOD_MS);
        const res = await ticket(browser);
        expect(res.status).to.equal(401);
        expect(await res.json()).to.include({ code: 'not_signed_in' });
        expect(await session(browser)).to.deep.equal({ authenticated: false });
        expect(linesWith('within SESSION_REVALIDATE_GRACE_MS').at(-1)).to.include({ revalidation: 'ended' });
      });

      it('forgets the failure once the IdP answers again', async () => {
        const { browser, id } = await signedIn('grace');
        rv.idp.outage = true;
        rv.advance(PERIOD_MS);
        expect((await ticket(browser)).status).to.equal(200);
        expect((await revalidation(id))?.failingSince).to.be.a('number');
        rv.idp.outage = false;
        rv.advance(PERIOD_MS);
        expect((await ticket(browser)).status).to.equal(200);
        expect(await revalidation(id)).to.have.keys('checkedAt');
        await noteTokens(id);
      });

      it('holds a ticket no longer than SESSION_REVALIDATE_WAIT_MS when the IdP is slow, and finishes the refresh in the background', async () => {
        const { browser, id } = await signedIn('heidi');
        const before = rv.idp.refreshes;
        rv.idp.hold();
        rv.advance(PERIOD_MS);
        const started = performance.now();
        const res = await ticket(browser);
        const waited = performance.now() - started;
        expect(res.status).to.equal(200);
        expect(waited).to.be.at.least(WAIT_MS - 50).and.below(WAIT_MS + 2_000);
        expect(linesWith('the IdP did not re-validate the session in time').at(-1)).to.include({ revalidation: 'pending' });

        const checkedAt = (await revalidation(id))?.checkedAt;
        const done = linesWith('session re-validated at the IdP').length;
        rv.idp.release();
        await rv.idp.refreshed(before + 1);
        await waitFor(() => linesWith('session re-validated at the IdP').length > done, 'the background refresh to be stored');
        expect((await revalidation(id))?.checkedAt).to.be.greaterThan(checkedAt ?? Infinity);
        await noteTokens(id);
      });

      it('gives no ticket to a session signed out while its request waited for a slow IdP', async () => {
        const { browser, id } = await signedIn('judy');
        const cookie = await browser.jar.getCookieString(url());
        rv.idp.hold();
        rv.advance(PERIOD_MS);
        const arrived = rv.idp.tokenRequest();
        const calls = ticketCalls().length;
        const pending = ticket(browser);
        await arrived;
        // Another tab signs out while this request waits for the IdP's answer.
        const out = await fetch(`${url()}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf': '1', accept: 'application/json' } });
        expect(out.status).to.equal(200);
        expect(await rv.system.gateway.sessionStore.get(id)).to.equal(undefined);

        const res = await pending;
        expect(res.status).to.equal(401);
        expect(await res.json()).to.include({ code: 'not_signed_in' });
        expect(ticketCalls().length).to.equal(calls);
      });
    });

    it('logs out at the IdP too: the latest ID token goes as id_token_hint, and the next sign-in asks for the password', async () => {
      const { browser, id } = await signedIn('ivan');
      rv.advance(PERIOD_MS);
      expect((await ticket(browser)).status).to.equal(200); // the ID token is now the refreshed one
      const tokens = await rv.tokensOf(id);
      await noteTokens(id);

      const res = await seen(await browser.post(`${url()}/auth/logout`, { headers: { 'x-csrf': '1' } }));
      expect(res.status).to.equal(303);
      const endSession = new URL(res.headers.get('location') ?? '');
      expect(endSession.origin).to.equal(rv.system.idp.issuer);
      expect(endSession.searchParams.get('id_token_hint')).to.equal(tokens?.idToken);
      expect(decodeJwt(endSession.searchParams.get('id_token_hint') ?? '')).to.include({ sub: 'ivan', aud: 'gateway' });
      expect(await rv.system.gateway.sessionStore.tokens(id)).to.equal(undefined);

      // The IdP accepts the hint (else it would stop at an error page) and ends its own session.
      expect((await browser.signOutAt(endSession)).href).to.equal(`${url()}/`);
      const login = await browser.get(`${url()}/auth/login`);
      const page = (await browser.follow(login, { stopAt: (next) => next.origin === url() })).at(-1);
      expect(page?.status).to.equal(200);
      expect(await page!.response.text()).to.include('name="password"');
    });

    describe('after all of the above', () => {
      it('never showed a refresh token in a log line or a response', neverShown);
    });

    function neverShown(): void {
      expect(refreshTokens.size).to.be.at.least(6);
      const logs = rv.system.logs.join('\n');
      for (const token of refreshTokens) {
        expect(logs, 'a refresh token reached a log line').not.to.include(token);
        for (const answer of answers) expect(answer, 'a refresh token reached a response').not.to.include(token);
      }
    }
  });
}
