/** Browsers as the deployment tests drive them: signed in through the whole redirect dance, asked whether they still are. */
import { CookieClient } from '../../helpers/cookie-client.js';

/** Signs a fresh browser in at `url` (a gateway or the balancer in front), the whole redirect dance. */
export async function signIn(url: string, login: string): Promise<CookieClient> {
  const browser = new CookieClient();
  const start = await browser.get(`${url}/auth/login`);
  const authorize = start.headers.get('location');
  if (start.status !== 303 || !authorize) throw new Error(`login did not redirect: ${start.status}`);
  const done = await browser.get(await browser.signInAt(authorize, login));
  if (done.status !== 303) throw new Error(`callback failed: ${done.status} ${await done.text()}`);
  return browser;
}

/** True when `/auth/session` answers 200 and says signed in. */
export async function signedIn(url: string, browser: CookieClient): Promise<boolean> {
  const res = await browser.get(`${url}/auth/session`);
  return res.ok && ((await res.json()) as { authenticated?: boolean }).authenticated === true;
}

/** The browser's session cookie as it sends it (signed). */
export async function sessionCookieOf(url: string, browser: CookieClient): Promise<string> {
  const cookie = (await browser.cookies(url)).find((c) => c.key === 'onetalk.sid');
  if (!cookie?.value) throw new Error('no session cookie');
  return cookie.value;
}

/** The session id in the browser's session cookie (the signed value without its signature). */
export async function sessionIdOf(url: string, browser: CookieClient): Promise<string> {
  const signed = decodeURIComponent(await sessionCookieOf(url, browser));
  return signed.slice(0, signed.lastIndexOf('.'));
}

/**
 * A fresh browser holding `cookie`: a copy kept from before a sign-out (which clears the cookie)
 * shows whether the session itself is gone, not merely forgotten by the browser.
 */
export async function browserWith(url: string, cookie: string): Promise<CookieClient> {
  const browser = new CookieClient();
  await browser.jar.setCookie(`onetalk.sid=${cookie}`, url);
  return browser;
}
