/**
 * What the widget e2e suites share: signing in at a chosen page, reading the stand-in launcher's
 * state, and recording every identity the launcher ever showed in a browser profile.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { Demo } from '../../src/demo/start.js';
import { CookieClient } from '../helpers/cookie-client.js';

/** The stand-in launcher as the page shows it, plus what the widget itself says. */
export interface LauncherState {
  state: string | undefined;
  userId: string | undefined;
  authenticated: boolean;
}

/**
 * Signs `login` in through the IdP's form, starting at `/auth/login?returnTo=…`, and waits to be
 * back at `returnTo`. Starting there (not from the demo page's button) means no page runs before
 * the test wants it to.
 */
export async function signInAt(page: Page, demo: Demo, login: string, returnTo = '/'): Promise<void> {
  const target = new URL(returnTo, demo.url).href;
  await page.goto(`${demo.url}auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  await page.waitForURL((url) => url.origin === new URL(demo.idp.issuer).origin);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await Promise.all([page.waitForURL(target), page.click('button[type=submit]')]);
}

/**
 * Signs `login` in through the same redirect flow, run from the test rather than the browser's
 * pages (faster), and hands the resulting session cookie to `context`: for tests about what
 * happens after sign-in, not about the sign-in pages.
 */
export async function signInQuickly(context: BrowserContext, demo: Demo, login: string): Promise<void> {
  const client = new CookieClient();
  const start = await client.get(`${demo.url}auth/login?returnTo=%2Fhealthz`);
  const authorize = start.headers.get('location');
  if (start.status !== 303 || !authorize) throw new Error(`login did not redirect: ${start.status}`);
  const done = await client.get(await client.signInAt(authorize, login));
  if (done.status !== 303) throw new Error(`callback failed: ${done.status}`);
  const cookies = (await client.jar.getCookies(demo.url)).filter((cookie) => cookie.key === 'onetalk.sid');
  if (cookies.length !== 1) throw new Error('no session cookie after sign-in');
  await context.addCookies(cookies.map((cookie) => ({ name: cookie.key, value: cookie.value, url: demo.url, httpOnly: true, sameSite: 'Lax' as const })));
}

export function launcherState(page: Page): Promise<LauncherState> {
  return page.evaluate(() => {
    const launcher = document.getElementById('taplive-launcher');
    const widget = (window as { TapTalkLive?: { isAuthenticated(): boolean } }).TapTalkLive;
    return { state: launcher?.dataset.state, userId: launcher?.dataset.userId, authenticated: Boolean(widget?.isAuthenticated()) };
  });
}

/** Waits until the launcher shows `userId` (authenticated) or, with `undefined`, a guest. */
export async function waitForLauncher(page: Page, userId: string | undefined, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const launcher = document.getElementById('taplive-launcher');
      const widget = (window as { TapTalkLive?: { isAuthenticated(): boolean } }).TapTalkLive;
      if (!launcher || !widget) return false;
      return want === null
        ? launcher.dataset.state === 'guest' && !widget.isAuthenticated()
        : launcher.dataset.state === 'authenticated' && launcher.dataset.userId === want && widget.isAuthenticated();
    },
    userId ?? null,
    { timeout },
  );
}

/** Waits until the demo page's adapter has settled on `status`. */
export async function waitForChat(page: Page, status: 'authenticated' | 'anonymous' | 'error', timeout = 15_000): Promise<void> {
  await page.waitForSelector(`body[data-chat=${status}]`, { timeout });
}

/** The OneTalk userID the emulator gave `login` (customerUserID = sub, the demo has no prefix). */
export function oneTalkUserId(demo: Demo, login: string): string {
  const contact = demo.emulator.store.findByCustomerUserID(login);
  if (!contact) throw new Error(`the emulator has no contact for ${login}`);
  return contact.userID;
}

/** The users holding live widget (visitor) sessions at the emulator, by OneTalk userID. */
export function liveWidgetUsers(demo: Demo): string[] {
  return demo.emulator.visitors.list().map((session) => session.userID);
}

/**
 * Delivers what a browser sends when the user comes back to a tab: `visibilitychange` with the
 * page visible. Headless Chromium never hides a page, so the test dispatches the event itself.
 */
export async function returnToTab(page: Page): Promise<void> {
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
}

/**
 * Records, for every page of `context` from now on, each OneTalk userID the launcher shows: a
 * MutationObserver installed before any page script, reporting to the test.
 */
export async function recordLauncherIdentities(context: BrowserContext): Promise<string[]> {
  const seen: string[] = [];
  await context.exposeBinding('__recordLauncher', (_source, userId: string) => void seen.push(userId));
  await context.addInitScript(() => {
    const report = (window as unknown as { __recordLauncher(id: string): void }).__recordLauncher;
    new MutationObserver(() => {
      const id = document.getElementById('taplive-launcher')?.dataset.userId;
      if (id) void report(id);
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-user-id'] });
  });
  return seen;
}

/** localStorage of the page's origin, as key → value. */
export function storageOf(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((key) => [key, localStorage.getItem(key) ?? ''])));
}

/** Resolves once `check()` holds, polling every 50 ms; fails after `timeoutMs`, naming `what`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
