import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { ownerId } from '../../src/profile/index.js';
import { startDemo, type Demo } from '../../src/demo/start.js';
import { artifactPath, launchChromium, requireChromium, signInThroughIdp, type TestBrowser } from '../helpers/browser.js';
import {
  launcherState,
  liveWidgetUsers,
  oneTalkUserId,
  recordLauncherIdentities,
  signInQuickly,
  storageOf,
  waitForChat,
  waitForLauncher,
} from './widget-support.js';

const TICKET_PATH = '/v1/user/request_auth_ticket';

describe('the demo in Chromium', function () {
  this.timeout(60_000);
  let demo: Demo;
  let browser: TestBrowser;

  const ticketCalls = () => demo.emulator.requests.filter((r) => r.path === TICKET_PATH);
  const tokenTrades = () => demo.emulator.visitorRequests.filter((r) => r.path === '/auth/access_token/request');

  before(async function () {
    requireChromium(this);
    demo = await startDemo();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => {
    if (demo) demo.emulator.settings.latencyMs = 0;
  });

  // One browser profile for the whole story, as on a shared computer: alice, then bob.
  describe('alice, then bob, on one browser', () => {
    let context: BrowserContext;
    let page: Page;
    let shown: string[];

    before(async () => {
      context = await browser.newContext();
      shown = await recordLauncherIdentities(context);
      page = await context.newPage();
    });
    after(async () => {
      await context?.close();
    });

    it('shows the shop signed out, with the widget loaded as a guest and no ticket minted', async () => {
      await page.goto(demo.url);
      await waitForChat(page, 'anonymous');
      expect(await page.isVisible('#sign-in')).to.equal(true);
      expect(await launcherState(page)).to.deep.equal({ state: 'guest', userId: '', authenticated: false });
      expect(ticketCalls()).to.have.length(0);
      // The page loaded the widget from the emulator, as a customer page loads OneTalk's.
      expect(await page.evaluate(() => Array.from(document.scripts, (s) => s.src))).to.include(demo.emulator.launcherUrl);
    });

    it('makes the launcher alice after she signs in: one ticket, traded once, with the public widget key', async () => {
      await signInThroughIdp(page, demo, 'alice');
      await waitForChat(page, 'authenticated');
      const alice = oneTalkUserId(demo, 'alice');
      await waitForLauncher(page, alice);
      expect(await page.textContent('#user-name')).to.equal('Alice Liddell');
      expect(await page.textContent('#taplive-identity')).to.equal('You are chatting as Alice Liddell');
      expect(liveWidgetUsers(demo)).to.deep.equal([alice]);
      expect(ticketCalls()).to.have.length(1);
      expect(tokenTrades().map(({ status, secretKey, userID }) => ({ status, secretKey, userID }))).to.deep.equal([
        { status: 200, secretKey: 'valid', userID: alice },
      ]);
      // Nothing personal in localStorage: the widget's tokens and the opaque owner id only.
      const storage = await storageOf(page);
      expect(Object.keys(storage).sort()).to.deep.equal(['onetalk-gateway.widget-owner', 'taplive.auth']);
      expect(storage['onetalk-gateway.widget-owner']).to.equal(ownerId('alice', demo.config.userIdKey));
      expect(JSON.stringify(storage)).to.not.match(/alice|Liddell|example\.com/i);

      await page.click('#taplive-launcher');
      await page.fill('#taplive-input', 'Is the Darjeeling back in stock?');
      await page.click('#taplive-form button');
      await page.waitForSelector('#taplive-messages li[data-from=agent]');
      await page.screenshot({ path: await artifactPath('demo-signed-in.png'), fullPage: true });
    });

    it('makes the launcher anonymous after she signs out, and ends her widget session at OneTalk', async () => {
      await Promise.all([
        page.waitForURL((url) => url.href === demo.url && !url.search, { timeout: 15_000 }),
        page.click('#sign-out button'),
      ]);
      await waitForChat(page, 'anonymous');
      await waitForLauncher(page, undefined);
      expect(await page.isVisible('#sign-in')).to.equal(true);
      expect(liveWidgetUsers(demo)).to.deep.equal([]);
      expect(await storageOf(page)).to.deep.equal({ 'onetalk-gateway.widget-owner': 'anonymous' });
      await page.screenshot({ path: await artifactPath('demo-signed-out.png'), fullPage: true });
    });

    it('makes the launcher bob, never alice, after bob signs in on the same browser', async () => {
      const seenBefore = shown.length;
      // The IdP session ended with her sign-out: the IdP asks who signs in.
      await signInThroughIdp(page, demo, 'bob');
      await waitForChat(page, 'authenticated');
      const bob = oneTalkUserId(demo, 'bob');
      await waitForLauncher(page, bob);
      expect(await page.textContent('#taplive-identity')).to.equal('You are chatting as bob');
      await page.click('#taplive-launcher');
      await page.waitForSelector('#taplive-window:not([hidden])');
      expect(await page.$$eval('#taplive-messages li', (items) => items.map((li) => li.textContent))).to.deep.equal([]);
      expect(new Set(shown.slice(seenBefore))).to.deep.equal(new Set([bob]));
      expect(liveWidgetUsers(demo)).to.deep.equal([bob]);
    });
  });

  describe('two tabs opened at once', () => {
    // With 400 ms of upstream latency, unserialised tabs would both mint; serialised, the second
    // finds the widget (its tokens are shared through localStorage) already the user's.
    const LATENCY_MS = 400;

    async function openTwoTabs(prepare?: (page: Page) => Promise<void>): Promise<void> {
      const context = await browser.newContext();
      // Signed in at the gateway, and no page has run the widget yet: it is nobody's.
      await signInQuickly(context, demo, 'alice');
      const pages = [await context.newPage(), await context.newPage()];
      for (const page of pages) await prepare?.(page);
      demo.emulator.settings.latencyMs = LATENCY_MS;
      const before = ticketCalls().length;
      await Promise.all(pages.map((page) => page.goto(demo.url)));
      await Promise.all(pages.map((page) => waitForChat(page, 'authenticated')));
      const alice = oneTalkUserId(demo, 'alice');
      await Promise.all(pages.map((page) => waitForLauncher(page, alice)));
      expect(ticketCalls().length - before, 'one ticket for both tabs').to.equal(1);
      await context.close();
    }

    it('share one widget sign-in: one ticket (Web Locks)', async () => {
      await openTwoTabs();
    });

    it('share one widget sign-in where Web Locks are missing (BroadcastChannel)', async () => {
      await openTwoTabs(async (page) => {
        await page.addInitScript(() => {
          delete (Navigator.prototype as { locks?: unknown }).locks;
        });
      });
    });
  });
});
