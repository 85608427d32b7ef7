import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/demo/start.js';
import { launchChromium, requireChromium, signInThroughIdp, type TestBrowser } from '../helpers/browser.js';
import { signInAt } from './widget-support.js';

// The module as the page imports it; `import()` inside page.evaluate is typed through this.
type LivechatModule = typeof import('../../public/livechat.js');

const TICKET_PATH = '/v1/user/request_auth_ticket';

interface Outcome {
  ok: boolean;
  code?: string;
  status?: number;
  loginUrl?: string;
  /** What the sleep seam was asked to wait, in ms. */
  delays: number[];
  /** Statuses the gateway answered, in order. */
  statuses: number[];
  /** Tickets handed to onTicket. */
  tickets: string[];
  /** loginUrl values handed to onLoginRequired. */
  loginRequired: string[];
}

/**
 * Runs one getTicket() in the page with the real gateway behind the real fetch, recording every
 * answer and every backoff (the sleep seam does not wait, and calls `window.onSleep` when the
 * test exposed one, to change the emulator between attempts).
 */
function getTicketInPage(page: Page, options: { maxAttempts?: number; maxDelayMs?: number } = {}): Promise<Outcome> {
  return page.evaluate(async (opts) => {
    const spec = '/livechat.js';
    const { createLivechatClient } = (await import(spec)) as LivechatModule;
    const out: Outcome = { ok: false, delays: [], statuses: [], tickets: [], loginRequired: [] };
    const hook = (window as { onSleep?: () => Promise<void> }).onSleep;
    const client = createLivechatClient({
      gatewayUrl: location.origin,
      baseDelayMs: 100,
      ...opts,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        out.statuses.push(res.status);
        return res;
      },
      sleep: async (ms) => {
        out.delays.push(ms);
        await hook?.();
      },
      onTicket: (ticket) => void out.tickets.push(ticket),
      onLoginRequired: (loginUrl) => void out.loginRequired.push(loginUrl),
    });
    try {
      await client.getTicket();
      out.ok = true;
    } catch (err) {
      const { code, status, loginUrl } = err as { code?: string; status?: number; loginUrl?: string };
      Object.assign(out, { code, status, loginUrl });
    }
    return out;
  }, options);
}

/**
 * Like {@link getTicketInPage}, but with a scripted fetch: each answer is `[status, headers]`
 * or 'network' for a failed connection. For what the real system cannot easily produce.
 */
function getTicketScripted(page: Page, script: Array<[number, Record<string, string>] | 'network'>, maxAttempts = 4): Promise<Outcome> {
  return page.evaluate(
    async ({ script, maxAttempts }) => {
      const spec = '/livechat.js';
      const { createLivechatClient } = (await import(spec)) as LivechatModule;
      const out: Outcome = { ok: false, delays: [], statuses: [], tickets: [], loginRequired: [] };
      const answers = [...script];
      const client = createLivechatClient({
        gatewayUrl: location.origin,
        maxAttempts,
        fetch: async () => {
          const next = answers.shift() ?? 'network';
          if (next === 'network') throw new TypeError('Failed to fetch');
          const [status, headers] = next;
          out.statuses.push(status);
          const body = status === 200 ? { ticket: 'scripted', expiresAt: new Date().toISOString() } : { code: `scripted_${status}`, title: 'x' };
          return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
        },
        sleep: async (ms) => void out.delays.push(ms),
      });
      try {
        await client.getTicket();
        out.ok = true;
      } catch (err) {
        const { code, status } = err as { code?: string; status?: number };
        Object.assign(out, { code, status });
      }
      return out;
    },
    { script, maxAttempts },
  );
}

describe('the widget client (/livechat.js) in Chromium', function () {
  this.timeout(60_000);
  let demo: Demo;
  let browser: TestBrowser;

  const ticketCalls = () => demo.emulator.requests.filter((r) => r.path === TICKET_PATH);

  before(async function () {
    requireChromium(this);
    // A short OneTalk deadline, so a slow emulator turns into the gateway's 504 quickly; not so
    // short that a loaded machine turns an ordinary answer into one.
    demo = await startDemo({ onetalkTimeoutMs: 1_000 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  describe('when signed in', () => {
    let context: BrowserContext;
    let page: Page;
    // Whatever a test wants done between two attempts (see getTicketInPage).
    let onSleep: () => void = () => {};

    before(async () => {
      context = await browser.newContext();
      page = await context.newPage();
      await page.exposeFunction('onSleep', () => onSleep());
      // Straight back to a same-origin page without the demo's script (/demo/blank), so only the test asks for
      // tickets. Landing on the demo page first let its own ticket request reach the emulator
      // after the first test's reset(), which then counted 3 ticket calls instead of 2.
      await signInAt(page, demo, 'alice', '/demo/blank');
    });
    after(async () => {
      await context?.close();
    });
    beforeEach(() => {
      demo.emulator.reset();
      onSleep = () => {};
    });

    it('shares one request among concurrent calls, and mints a new ticket for a later call', async () => {
      const result = await page.evaluate(async () => {
        const spec = '/livechat.js';
        const { createLivechatClient } = (await import(spec)) as LivechatModule;
        const handed: string[] = [];
        const client = createLivechatClient({ gatewayUrl: location.origin, onTicket: (t) => void handed.push(t) });
        const [a, b] = await Promise.all([client.getTicket(), client.getTicket()]);
        const later = await client.getTicket();
        return { a: a.ticket, b: b.ticket, later: later.ticket, handed };
      });
      expect(result.b).to.equal(result.a);
      expect(result.later).to.not.equal(result.a);
      expect(result.handed).to.deep.equal([result.a, result.later]);
      expect(ticketCalls()).to.have.length(2);
    });

    it('retries a 503 (no OneTalk tier) a bounded number of times, then reports the gateway\'s code', async () => {
      demo.emulator.settings.tierSelected = false;
      const out = await getTicketInPage(page, { maxAttempts: 3 });
      expect(out).to.include({ ok: false, code: 'upstream_not_configured', status: 503 });
      expect(out.statuses).to.deep.equal([503, 503, 503]);
      expect(ticketCalls()).to.have.length(3);
      // Exponential backoff with full jitter: attempt n waits at most baseDelayMs * 2^(n-1).
      expect(out.delays).to.have.length(2);
      out.delays.forEach((ms, i) => expect(ms).to.be.within(0, 100 * 2 ** i));
    });

    it('gets a ticket when a retry after a 503 succeeds', async () => {
      demo.emulator.settings.tierSelected = false;
      onSleep = () => void (demo.emulator.settings.tierSelected = true);
      const out = await getTicketInPage(page);
      expect(out.ok).to.equal(true);
      expect(out.statuses).to.deep.equal([503, 200]);
      expect(out.tickets).to.have.length(1);
    });

    it('retries a 504 (OneTalk too slow) and gets a ticket once OneTalk is fast again', async () => {
      demo.emulator.settings.latencyMs = 3_000;
      onSleep = () => void (demo.emulator.settings.latencyMs = 0);
      const out = await getTicketInPage(page);
      expect(out.ok).to.equal(true);
      expect(out.statuses).to.deep.equal([504, 200]);
    });

    it('hands the ticket to nobody and retries nothing on a failure that is not transient (502)', async () => {
      const out = await getTicketScripted(page, [[502, {}], [200, {}]]);
      expect(out).to.include({ ok: false, code: 'scripted_502', status: 502 });
      expect(out.statuses).to.deep.equal([502]);
      expect(out.delays).to.deep.equal([]);
    });

    it('waits at least as long as Retry-After asks', async () => {
      const out = await getTicketScripted(page, [[503, { 'Retry-After': '3' }], [200, {}]]);
      expect(out.ok).to.equal(true);
      expect(out.delays).to.deep.equal([3000]);
    });

    it('retries the gateway\'s own rate limit (429) after the Retry-After it names', async () => {
      const out = await getTicketScripted(page, [[429, { 'Retry-After': '2' }], [200, {}]]);
      expect(out.ok).to.equal(true);
      expect(out.statuses).to.deep.equal([429, 200]);
      expect(out.delays).to.deep.equal([2000]);
    });

    it('gives up at once when Retry-After asks for more than maxDelayMs', async () => {
      const out = await getTicketScripted(page, [[503, { 'Retry-After': '60' }], [200, {}]]);
      expect(out).to.include({ ok: false, status: 503 });
      expect(out.statuses).to.deep.equal([503]);
      expect(out.delays).to.deep.equal([]);
    });

    it('retries network errors a bounded number of times', async () => {
      const out = await getTicketScripted(page, ['network', 'network', 'network', [200, {}]], 3);
      expect(out).to.include({ ok: false, code: 'network_error', status: 0 });
      expect(out.delays).to.have.length(2);
    });
  });

  describe('when signed out', () => {
    let context: BrowserContext;
    let page: Page;

    beforeEach(async () => {
      context = await browser.newContext();
      page = await context.newPage();
      await page.goto(`${demo.url}demo/blank`);
    });
    afterEach(async () => {
      await context?.close();
    });

    it('reports 401 once, with the login URL and a returnTo for this page, and does not retry', async () => {
      const out = await getTicketInPage(page);
      const expected = `${demo.config.publicOrigin}/auth/login?returnTo=%2Fdemo%2Fblank`;
      expect(out).to.include({ ok: false, code: 'login_required', status: 401, loginUrl: expected });
      expect(out.loginRequired).to.deep.equal([expected]);
      expect(out.statuses).to.deep.equal([401]);
    });

    it('navigates to sign-in when redirectOnLoginRequired is set, and sign-in returns to the page', async () => {
      await Promise.all([
        page.waitForURL((url) => url.origin === new URL(demo.idp.issuer).origin),
        page.evaluate(async () => {
          const spec = '/livechat.js';
          const { createLivechatClient } = (await import(spec)) as LivechatModule;
          void createLivechatClient({ gatewayUrl: location.origin, redirectOnLoginRequired: true }).getTicket().catch(() => {});
        }),
      ]);
      await page.fill('input[name=login]', 'bob');
      await page.fill('input[name=password]', 'any password');
      await Promise.all([page.waitForURL(`${demo.url}demo/blank`), page.click('button[type=submit]')]);
      const out = await getTicketInPage(page);
      expect(out.ok).to.equal(true);
    });

    it('signOut() runs clearIdentity first, and signs out even when that hook fails', async () => {
      await signInThroughIdp(page, demo, 'alice');
      // signOut asks the gateway by fetch (X-CSRF) and navigates itself; the form post is only
      // its fallback, so the one logout request seen must be a fetch.
      const logoutRequests: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/auth/logout') logoutRequests.push(request.resourceType());
      });
      await Promise.all([
        page.waitForURL((url) => url.origin === new URL(demo.idp.issuer).origin, { timeout: 15_000 }),
        page.evaluate(async () => {
          const spec = '/livechat.js';
          const { createLivechatClient } = (await import(spec)) as LivechatModule;
          const client = createLivechatClient({
            gatewayUrl: location.origin,
            clearIdentity: () => {
              sessionStorage.setItem('cleared', 'yes');
              throw new Error('widget storage is broken');
            },
          });
          void client.signOut().catch(() => {});
        }),
      ]);
      await page.waitForURL(demo.url, { timeout: 15_000 });
      expect(await page.evaluate(() => sessionStorage.getItem('cleared'))).to.equal('yes');
      expect(logoutRequests).to.deep.equal(['fetch']);
      const session = await page.evaluate(() => fetch('/auth/session').then((r) => r.json() as Promise<{ authenticated: boolean }>));
      expect(session.authenticated).to.equal(false);
    });
  });
});
