import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/demo/start.js';
import { launchChromium, requireChromium, type TestBrowser } from '../helpers/browser.js';
import {
  eventually,
  liveWidgetUsers,
  oneTalkUserId,
  recordLauncherIdentities,
  returnToTab,
  signInAt,
  signInQuickly,
  storageOf,
  waitForChat,
  waitForLauncher,
} from './widget-support.js';

const TICKET_PATH = '/v1/user/request_auth_ticket';
// The shortest lifetimes the gateway accepts; the test moves the gateway's clock instead of waiting.
const IDLE_MS = 60_000;
const ABSOLUTE_MS = 180_000;

/**
 * The widget's chat identity follows the gateway's sign-in whatever ended or changed the session:
 * each case runs the demo page in Chromium against the real gateway, IdP and emulator.
 */
describe('the widget\'s identity follows the sign-in (Chromium)', function () {
  this.timeout(60_000);
  let demo: Demo;
  let browser: TestBrowser;
  let context: BrowserContext;
  // The gateway's clock runs this far ahead of real time.
  let skewMs = 0;

  const ticketCalls = () => demo.emulator.requests.filter((r) => r.path === TICKET_PATH).length;
  const visitorCalls = () => demo.emulator.visitorRequests.map((r) => r.path);

  /** Alice signed in, on the demo page, her launcher authenticated. */
  async function aliceOnTheDemo(): Promise<{ page: Page; alice: string }> {
    await signInQuickly(context, demo, 'alice');
    const page = await context.newPage();
    await page.goto(demo.url);
    await waitForChat(page, 'authenticated');
    const alice = oneTalkUserId(demo, 'alice');
    await waitForLauncher(page, alice);
    return { page, alice };
  }

  /** Asks the gateway from the page, which also counts as activity for the idle timeout. */
  const signedIn = (page: Page): Promise<boolean> =>
    page.evaluate(() => fetch('/auth/session').then((r) => r.json()).then((body: { authenticated: boolean }) => body.authenticated));

  before(async function () {
    requireChromium(this);
    demo = await startDemo({
      now: () => Date.now() + skewMs,
      env: { SESSION_IDLE_TIMEOUT_MS: String(IDLE_MS), SESSION_ABSOLUTE_TIMEOUT_MS: String(ABSOLUTE_MS) },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });
  beforeEach(async () => {
    skewMs = 0;
    demo.emulator.reset();
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context?.close();
  });

  describe('signing out in another tab', () => {
    it('makes this tab\'s launcher anonymous at once, without minting for the ended session', async () => {
      const { page: here } = await aliceOnTheDemo();
      const there = await context.newPage();
      await there.goto(demo.url);
      await waitForChat(there, 'authenticated');
      const tickets = ticketCalls();
      await Promise.all([there.waitForURL((url) => url.href === demo.url && !url.search, { timeout: 15_000 }), there.click('#sign-out button')]);
      // No reload, no tab switch here: the other tab's sign-out is the only signal.
      await waitForLauncher(here, undefined);
      await waitForChat(here, 'anonymous');
      expect(await here.isVisible('#sign-in')).to.equal(true);
      expect(ticketCalls(), 'no ticket minted after the sign-out').to.equal(tickets);
      expect(liveWidgetUsers(demo)).to.deep.equal([]);
      expect(visitorCalls()).to.include('/client/logout');
    });
  });

  describe('a back-channel logout', () => {
    it('is noticed when the tab becomes visible again: the launcher turns anonymous', async () => {
      const { page, alice } = await aliceOnTheDemo();
      const logoutToken = await demo.idp.signLogoutToken({ aud: demo.config.oidc.clientId, sub: 'alice' });
      const res = await fetch(`${demo.url}auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: logoutToken }) });
      expect(res.status).to.equal(200);
      expect(await signedIn(page)).to.equal(false);
      // The browser heard nothing: the widget is still alice's until the next check.
      await waitForLauncher(page, alice);
      const tickets = ticketCalls();
      await returnToTab(page);
      await waitForLauncher(page, undefined);
      await waitForChat(page, 'anonymous');
      expect(ticketCalls()).to.equal(tickets);
      expect(liveWidgetUsers(demo)).to.deep.equal([]);
    });

    it('is noticed on the next page load', async () => {
      const { page } = await aliceOnTheDemo();
      const logoutToken = await demo.idp.signLogoutToken({ aud: demo.config.oidc.clientId, sub: 'alice' });
      await fetch(`${demo.url}auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: logoutToken }) });
      await page.reload();
      await waitForChat(page, 'anonymous');
      await waitForLauncher(page, undefined);
      await eventually('alice\'s widget session to end at OneTalk', () => liveWidgetUsers(demo).length === 0);
    });
  });

  describe('session expiry', () => {
    it('after the idle timeout: the launcher turns anonymous when the tab is visible again', async () => {
      const { page, alice } = await aliceOnTheDemo();
      skewMs = IDLE_MS + 1_000;
      await waitForLauncher(page, alice);
      await returnToTab(page);
      await waitForLauncher(page, undefined);
      await waitForChat(page, 'anonymous');
      expect(liveWidgetUsers(demo)).to.deep.equal([]);
    });

    it('after the absolute timeout, however active the user was', async () => {
      const { page } = await aliceOnTheDemo();
      // Active every 50 s (well within the idle timeout) until past the absolute one.
      for (const at of [50_000, 100_000, 150_000]) {
        skewMs = at;
        expect(await signedIn(page), `still signed in at +${at / 1000} s`).to.equal(true);
      }
      skewMs = ABSOLUTE_MS + 10_000;
      await returnToTab(page);
      await waitForLauncher(page, undefined);
      await waitForChat(page, 'anonymous');
      expect(liveWidgetUsers(demo)).to.deep.equal([]);
    });
  });

  describe('another user signing in on the same browser', () => {
    it('logs alice\'s chat out before bob\'s opens: the launcher is bob, never alice', async () => {
      const shown = await recordLauncherIdentities(context);
      const { page, alice } = await aliceOnTheDemo();
      await page.click('#taplive-launcher');
      await page.fill('#taplive-input', 'a message only alice may see');
      await page.click('#taplive-form button');
      await page.waitForSelector('#taplive-messages li[data-from=agent]');
      await page.close();

      // Alice walks away without signing out, and bob signs in, through the IdP's pages, in the
      // same browser: the gateway session becomes his, the widget still holds alice's tokens.
      const seen = shown.length;
      const callsBefore = demo.emulator.visitorRequests.length;
      const page2 = await context.newPage();
      await signInAt(page2, demo, 'bob', '/');
      await waitForChat(page2, 'authenticated');
      const bob = oneTalkUserId(demo, 'bob');
      await waitForLauncher(page2, bob);
      expect(new Set(shown.slice(seen)), 'identities the launcher showed after bob signed in').to.deep.equal(new Set([bob]));
      await page2.click('#taplive-launcher');
      await page2.waitForSelector('#taplive-window:not([hidden])');
      expect(await page2.textContent('#taplive-window')).to.not.include('a message only alice may see');
      // The browser holds bob's tokens only; alice's are gone from it.
      const { accessToken } = JSON.parse((await storageOf(page2))['taplive.auth'] ?? '{}') as { accessToken?: string };
      expect(demo.emulator.visitors.byAccessToken(accessToken ?? '')).to.deep.equal({ ok: true, userID: bob, customerUserID: 'bob' });
      // launcherLogout ran before the widget started; alice's widget session ends at OneTalk.
      await eventually('alice\'s widget session to end at OneTalk', () => !liveWidgetUsers(demo).includes(alice));
      const calls = demo.emulator.visitorRequests.slice(callsBefore);
      expect(calls.some((c) => c.path === '/client/logout' && c.userID === alice && c.status === 200)).to.equal(true);
      expect(liveWidgetUsers(demo)).to.deep.equal([bob]);
    });
  });

  describe('an existing install', () => {
    it('logs out widget tokens that have no recorded owner before anything else', async () => {
      const { page, alice } = await aliceOnTheDemo();
      // As before this module existed: the widget holds tokens, nobody recorded whose.
      await page.evaluate(() => localStorage.removeItem('onetalk-gateway.widget-owner'));
      const before = demo.emulator.visitorRequests.length;
      await page.reload();
      await waitForChat(page, 'authenticated');
      await waitForLauncher(page, alice);
      const after = demo.emulator.visitorRequests.slice(before).map((c) => c.path);
      expect(after.indexOf('/client/logout')).to.be.greaterThan(-1).and.lessThan(after.indexOf('/auth/access_token/request'));
      expect(Object.keys(await storageOf(page)).sort()).to.deep.equal(['onetalk-gateway.widget-owner', 'taplive.auth']);
    });
  });
});
