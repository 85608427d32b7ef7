import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/demo/start.js';
import type { BrowserContext } from 'playwright-core';
import { artifactPath, launchChromium, requireChromium, signInThroughIdp, type TestBrowser } from '../helpers/browser.js';

const TICKET_PATH = '/v1/user/request_auth_ticket';
const IDENTITY_KEY = 'demo.onetalk.identity';

/** The ticket calls the emulator received, oldest first. */
function ticketCalls(demo: Demo) {
  return demo.emulator.requests.filter((r) => r.path === TICKET_PATH);
}

/** Waits until the page shows that the emulator accepted a ticket. */
async function waitForAccepted(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ticket=accepted]', { timeout: 15_000 });
}

/** What the widget's ticket request answers when made from the page, as the widget makes it. */
function ticketStatusFromPage(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const res = await fetch('/api/livechat/ticket', { method: 'POST', credentials: 'include', headers: { 'X-CSRF': '1' } });
    return res.status;
  });
}

describe('the demo in Chromium', function () {
  this.timeout(60_000);
  let demo: Demo;
  let browser: TestBrowser;
  // One browser profile for the whole story: signed out, signed in, two tabs, signed out again.
  let context: BrowserContext;

  before(async function () {
    requireChromium(this);
    demo = await startDemo();
    browser = await launchChromium();
    context = await browser.newContext();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(() => {
    if (demo) demo.emulator.settings.latencyMs = 0;
  });

  describe('before sign-in', () => {
    it('shows the shop signed out, and starting a chat is refused with 401 and a sign-in link', async () => {
      const page = await context.newPage();
      await page.goto(demo.url);
      await page.waitForSelector('body[data-state=signed-out]');
      expect(await page.isVisible('#sign-in')).to.equal(true);
      const [response] = await Promise.all([
        page.waitForResponse((res) => res.url().endsWith('/api/livechat/ticket')),
        page.click('#start-chat'),
      ]);
      expect(response.status()).to.equal(401);
      await page.waitForSelector('#login-required', { state: 'visible' });
      const loginUrl = new URL((await page.getAttribute('#login-link', 'href')) ?? '', demo.url);
      expect(loginUrl.pathname).to.equal('/auth/login');
      expect(loginUrl.searchParams.get('returnTo')).to.equal('/');
      expect(ticketCalls(demo)).to.have.length(0);
      await page.close();
    });
  });

  describe('signing in through the IdP form', () => {
    it('comes back to the page, which shows the ticket the emulator accepted for alice', async () => {
      const page = await context.newPage();
      const before = ticketCalls(demo).length;
      await signInThroughIdp(page, demo, 'alice');
      await waitForAccepted(page);

      const contact = demo.emulator.store.findByCustomerUserID('alice');
      expect(contact, 'the emulator stored alice').to.not.equal(undefined);
      expect(await page.textContent('#user-name')).to.equal('Alice Liddell');
      expect(await page.textContent('#onetalk-user-id')).to.equal(contact?.userID);
      expect(await page.textContent('#contact-customer-user-id')).to.equal('alice');
      expect(await page.textContent('#contact-full-name')).to.equal('Alice Liddell');
      expect(await page.textContent('#contact-email')).to.equal('alice@example.com');
      expect(await page.textContent('#contact-phone')).to.equal('6281234567890');
      expect(ticketCalls(demo)).to.have.length(before + 1);
      expect(await page.evaluate((key) => localStorage.getItem(key), IDENTITY_KEY)).to.include(contact?.userID ?? '?');
      await page.screenshot({ path: await artifactPath('demo-signed-in.png'), fullPage: true });
      await page.close();
    });
  });

  describe('two tabs opened at once', () => {
    // With 400 ms of upstream latency, unserialised requests would arrive within a few ms of
    // each other; serialised, the second arrives only after the first was answered.
    const LATENCY_MS = 400;

    async function openTwoTabs(prepare?: (page: Page) => Promise<void>): Promise<void> {
      demo.emulator.settings.latencyMs = LATENCY_MS;
      const before = ticketCalls(demo).length;
      const pages = [await context.newPage(), await context.newPage()];
      for (const page of pages) await prepare?.(page);
      await Promise.all(pages.map((page) => page.goto(demo.url)));
      // Each tab redeems its own ticket at the emulator; redemption is single-use, so both
      // being accepted also proves the tabs did not share one ticket.
      await Promise.all(pages.map(waitForAccepted));
      const calls = ticketCalls(demo).slice(before);
      expect(calls, 'one ticket per tab').to.have.length(2);
      const [first, second] = calls.map((call) => Date.parse(call.at));
      expect((second ?? 0) - (first ?? 0)).to.be.at.least(LATENCY_MS - 20);
      for (const page of pages) await page.close();
    }

    it('each get a working ticket, minted one after the other (Web Locks)', async () => {
      await openTwoTabs();
    });

    it('are serialised through BroadcastChannel where Web Locks are missing', async () => {
      await openTwoTabs(async (page) => {
        await page.addInitScript(() => {
          delete (Navigator.prototype as { locks?: unknown }).locks;
        });
      });
    });
  });

  describe('signing out', () => {
    it('clears the chat identity, ends the gateway and IdP sessions, and a ticket is then refused', async () => {
      const page = await context.newPage();
      await page.goto(demo.url);
      await waitForAccepted(page);
      // The form POST goes to the gateway, then the IdP's end-session page, then back to /.
      await Promise.all([
        page.waitForURL((url) => url.href === demo.url && !url.search, { timeout: 15_000 }),
        page.click('#sign-out button'),
      ]);
      await page.waitForSelector('body[data-state=signed-out]');
      expect(await page.textContent('#notice')).to.include('chat identity was cleared');
      expect(await page.evaluate((key) => localStorage.getItem(key), IDENTITY_KEY)).to.equal(null);
      expect(await ticketStatusFromPage(page)).to.equal(401);

      const [response] = await Promise.all([
        page.waitForResponse((res) => res.url().endsWith('/api/livechat/ticket')),
        page.click('#start-chat'),
      ]);
      expect(response.status()).to.equal(401);
      await page.waitForSelector('#login-required', { state: 'visible' });
      await page.screenshot({ path: await artifactPath('demo-signed-out.png'), fullPage: true });

      // The IdP session ended too: signing in asks for credentials again.
      await page.click('#sign-in');
      await page.waitForSelector('input[name=login]');
      await page.close();
    });
  });
});
