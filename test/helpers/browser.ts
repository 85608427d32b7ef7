/**
 * Debian's Chromium driven by playwright-core, never a downloaded browser. Without
 * /usr/bin/chromium a local run skips the browser tests with a message; CI installs Chromium, so
 * there its absence is a failure, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Demo } from '../../src/demo/start.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', 'artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/**
 * For a `before` hook: skips the suite when Chromium is missing locally, and throws in CI
 * (`CI` set), where skipping would hide that the browser tests never ran.
 */
export function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CI) {
    throw new Error(`${CHROMIUM_PATH} is missing, and CI must run the browser tests: apt-get install -y chromium`);
  }
  console.warn(`    skipping browser tests: ${CHROMIUM_PATH} not found (apt-get install -y chromium to run them)`);
  context.skip();
}

/** A launched Chromium; each context is a fresh, isolated profile (cookies, storage, locks). */
export interface TestBrowser {
  readonly browser: Browser;
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Chromium. playwright-core gives it a throw-away user-data-dir, so nothing from an
 * earlier run (cookies, storage) leaks in.
 */
export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      // tsx compiles tests with esbuild's keepNames, which wraps named functions in `__name(...)`;
      // callbacks handed to page.evaluate run in the page, where that helper does not exist.
      await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
      return context;
    },
    close: () => browser.close(),
  };
}

/**
 * Signs `login` in the way a person does: the page's "Sign in" link, the IdP's form, and back to
 * the demo page.
 */
export async function signInThroughIdp(page: Page, demo: Demo, login: string): Promise<void> {
  await page.goto(demo.url);
  await page.click('#sign-in');
  await page.waitForURL((url) => url.origin === new URL(demo.idp.issuer).origin);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await Promise.all([page.waitForURL(demo.url), page.click('button[type=submit]')]);
}

/** The path of a screenshot artifact, creating the directory. */
export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
