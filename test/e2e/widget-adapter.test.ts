import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { DEV_WIDGET_KEY } from '../../src/emulator/index.js';
import { startDemo, type Demo } from '../../src/demo/start.js';
import { launchChromium, requireChromium, type TestBrowser } from '../helpers/browser.js';
import { eventually, oneTalkUserId, signInAt, waitForLauncher } from './widget-support.js';

// The module as the page imports it; `import()` inside page.evaluate is typed through this.
type AdapterModule = typeof import('../../public/livechat-onetalk.js');

const TICKET_PATH = '/v1/user/request_auth_ticket';

interface ConnectOptions {
  widgetKey?: string;
  /** Expose the stand-in under this global with these method names instead. */
  renamed?: { global: string; authenticate: string; isAuthenticated: string; logout: string };
  /** Make the stand-in call authenticateWithAuthTicket's callback. */
  callCallback?: boolean;
  /** Make launcherLogout do nothing at all. */
  brokenLogout?: boolean;
  adapter?: Record<string, unknown>;
}

interface Connected {
  ok: boolean;
  status?: string;
  code?: string;
  ms: number;
}

/**
 * A page at the gateway's origin holding only the stand-in launcher, and no demo script: the test
 * connects the adapter itself, with the options it needs. The page is the gateway's /healthz (a
 * page served by Playwright would not count as loopback, and Chromium would refuse it the
 * emulator); its CSP, which allows no foreign script, is bypassed by the context.
 */
async function widgetPage(context: BrowserContext, demo: Demo): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${demo.url}healthz`);
  // Each test starts with a widget that holds nothing: no tokens, no recorded owner.
  await page.evaluate(() => localStorage.clear());
  await page.evaluate(
    (src) =>
      new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`could not load ${src}`));
        document.head.append(script);
      }),
    demo.emulator.launcherUrl,
  );
  return page;
}

/** Reloads the widget page: the same page, the launcher loaded again, no adapter yet. */
async function reloadWidgetPage(page: Page, demo: Demo): Promise<void> {
  await page.reload();
  await page.evaluate(
    (src) =>
      new Promise((resolve) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        document.head.append(script);
      }),
    demo.emulator.launcherUrl,
  );
}

function connect(page: Page, options: ConnectOptions = {}): Promise<Connected> {
  return page.evaluate(async (opts) => {
    const spec = '/livechat-onetalk.js';
    const { connectOneTalkWidget } = (await import(spec)) as AdapterModule;
    const win = window as unknown as Record<string, unknown> & { TapTalkLive: Record<string, (...a: unknown[]) => unknown> };
    const widget = win.TapTalkLive;
    if (opts.callCallback) win.TapTalkLiveStandIn = { callCallback: true };
    if (opts.brokenLogout) widget.launcherLogout = () => undefined;
    const names = opts.renamed;
    if (names) {
      win[names.global] = {
        [names.authenticate]: widget.authenticateWithAuthTicket,
        [names.isAuthenticated]: widget.isAuthenticated,
        [names.logout]: widget.launcherLogout,
      };
    }
    const started = Date.now();
    const connection = connectOneTalkWidget({
      gatewayUrl: location.origin,
      init: () => widget.init(opts.widgetKey),
      ...(names && {
        widgetGlobal: names.global,
        methods: { authenticate: names.authenticate, isAuthenticated: names.isAuthenticated, logout: names.logout },
      }),
      ...opts.adapter,
    });
    (window as unknown as { connection: unknown }).connection = connection;
    try {
      const state = await connection.ready;
      return { ok: true, status: state.status, ms: Date.now() - started };
    } catch (error) {
      return { ok: false, code: (error as { code?: string }).code, ms: Date.now() - started };
    }
  }, { widgetKey: DEV_WIDGET_KEY, ...options });
}

describe('the OneTalk widget adapter (/livechat-onetalk.js) in Chromium', function () {
  this.timeout(60_000);
  let demo: Demo;
  let browser: TestBrowser;
  let context: BrowserContext;
  let alice: string;

  const ticketCalls = () => demo.emulator.requests.filter((r) => r.path === TICKET_PATH).length;
  const authenticated = (page: Page) => page.evaluate(() => (window as unknown as { TapTalkLive: { isAuthenticated(): boolean } }).TapTalkLive.isAuthenticated());

  before(async function () {
    requireChromium(this);
    demo = await startDemo();
    browser = await launchChromium();
    context = await browser.browser.newContext({ bypassCSP: true });
    // As test/helpers/browser.ts does: tsx's keepNames helper, for callbacks run in the page.
    await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
    const page = await context.newPage();
    await signInAt(page, demo, 'alice', '/healthz');
    await page.close();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });
  afterEach(async () => {
    // A page left open would keep its adapter running, and re-sign the shared storage in.
    for (const page of context.pages()) await page.close();
  });
  beforeEach(() => {
    demo.emulator.reset();
    demo.emulator.settings.tierSelected = true;
  });

  it('authenticates the widget from its own callback when it calls back', async () => {
    const page = await widgetPage(context, demo);
    // Polling every minute: only the callback can settle this within the test.
    const out = await connect(page, { callCallback: true, adapter: { pollMs: 60_000 } });
    expect(out).to.include({ ok: true, status: 'authenticated' });
    alice = oneTalkUserId(demo, 'alice');
    await waitForLauncher(page, alice);
    expect(ticketCalls()).to.equal(1);
  });

  it('fails after authTimeoutMs when the widget never signs in and never calls back', async () => {
    const page = await widgetPage(context, demo);
    // A wrong widget key: the visitor API refuses, and the stand-in (like the real one) stays silent.
    const out = await connect(page, { widgetKey: 'not-the-widget-key', adapter: { authTimeoutMs: 400 } });
    expect(out).to.include({ ok: false, code: 'widget_timeout' });
    expect(out.ms).to.be.within(400, 10_000);
    expect(await authenticated(page)).to.equal(false);
    expect(demo.emulator.visitorRequests.map((r) => [r.path, r.status, r.secretKey])).to.deep.equal([['/auth/access_token/request', 401, 'invalid']]);
    expect(await page.evaluate(() => (window as unknown as { connection: { state: { status: string } } }).connection.state.status)).to.equal('error');
  });

  it('reports widget_refused when the widget calls back without having signed in', async () => {
    const page = await widgetPage(context, demo);
    const out = await connect(page, { widgetKey: 'not-the-widget-key', callCallback: true });
    expect(out).to.include({ ok: false, code: 'widget_refused' });
  });

  it('uses configured method names for another widget version', async () => {
    const page = await widgetPage(context, demo);
    const out = await connect(page, {
      renamed: { global: 'ChatV2', authenticate: 'signInWithTicket', isAuthenticated: 'hasSession', logout: 'signOut' },
    });
    expect(out).to.include({ ok: true, status: 'authenticated' });
    expect(await authenticated(page)).to.equal(true);
  });

  it('reports widget_missing when the widget never appears', async () => {
    const page = await widgetPage(context, demo);
    const out = await connect(page, { adapter: { widgetGlobal: 'NoSuchWidget', widgetTimeoutMs: 300 } });
    expect(out).to.include({ ok: false, code: 'widget_missing' });
    expect(ticketCalls()).to.equal(0);
  });

  it('re-authenticates with a fresh ticket when the widget\'s own token refresh fails', async () => {
    const page = await widgetPage(context, demo);
    expect(await connect(page, { adapter: { watchMs: 100 } })).to.include({ ok: true, status: 'authenticated' });
    alice = oneTalkUserId(demo, 'alice');
    const [first] = demo.emulator.visitors.list();
    // OneTalk ends the widget's session; its access token has expired, so its next call refreshes,
    // is refused, and the widget forgets its tokens.
    demo.emulator.visitors.revoke();
    await page.evaluate(() => {
      const auth = JSON.parse(localStorage.getItem('taplive.auth') ?? '{}') as { accessTokenExpiry: number };
      localStorage.setItem('taplive.auth', JSON.stringify({ ...auth, accessTokenExpiry: 0 }));
    });
    await page.click('#taplive-launcher');
    await eventually('the refused refresh', () => demo.emulator.visitorRequests.some((r) => r.path === '/auth/access_token/refresh' && r.status === 401));
    await eventually('a second ticket', () => ticketCalls() === 2);
    await waitForLauncher(page, alice);
    const sessions = demo.emulator.visitors.list();
    expect(sessions.map((v) => v.userID)).to.deep.equal([alice]);
    expect(sessions[0]?.id).to.not.equal(first?.id);
  });

  it('leaves the widget alone while it cannot tell who is signed in, and settles once it can', async () => {
    const page = await widgetPage(context, demo);
    expect(await connect(page)).to.include({ ok: true, status: 'authenticated' });
    await page.route(`${demo.url}auth/session`, (route) =>
      route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ code: 'session_store_unavailable', title: 'x' }) }),
    );
    await reloadWidgetPage(page, demo);
    const out = await connect(page, { adapter: { watchMs: 200 } });
    expect(out).to.include({ ok: false, code: 'session_store_unavailable' });
    // Tokens it cannot attribute stay, and the widget is not started on them.
    expect(await authenticated(page)).to.equal(true);
    expect(await page.$('#taplive-launcher')).to.equal(null);
    await page.unroute(`${demo.url}auth/session`);
    await page.waitForSelector('#taplive-launcher[data-state=authenticated]', { timeout: 10_000 });
    expect(ticketCalls()).to.equal(1);
  });

  it('never authenticates on top of someone else\'s tokens when launcherLogout fails', async () => {
    const page = await widgetPage(context, demo);
    expect(await connect(page)).to.include({ ok: true, status: 'authenticated' });
    // The tokens now belong to nobody recorded (as if another user's): they must go first.
    await page.evaluate(() => localStorage.setItem('onetalk-gateway.widget-owner', 'someone-else'));
    await reloadWidgetPage(page, demo);
    const out = await connect(page, { brokenLogout: true, adapter: { logoutTimeoutMs: 300 } });
    expect(out).to.include({ ok: false, code: 'widget_logout_timeout' });
    expect(ticketCalls()).to.equal(1);
    expect(await page.$('#taplive-launcher')).to.equal(null);
  });

  it('reports the gateway\'s code when no ticket can be minted, and leaves the widget anonymous', async () => {
    demo.emulator.settings.tierSelected = false;
    const page = await widgetPage(context, demo);
    const out = await connect(page, { adapter: { maxAttempts: 1 } });
    expect(out).to.include({ ok: false, code: 'upstream_not_configured' });
    expect(await authenticated(page)).to.equal(false);
    expect(await page.getAttribute('#taplive-launcher', 'data-state')).to.equal('guest');
  });
});
