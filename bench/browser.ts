/**
 * Signs a user in through the development IdP the way a browser does (redirects, cookies, the
 * sign-in form), and hands back the relying party's session cookies for autocannon to replay.
 * A copy of the few steps the bench needs from test/helpers/cookie-client.ts, so the bench does
 * not depend on test code.
 */
import { CookieJar } from 'tough-cookie';

const MAX_HOPS = 12;

async function fetchWithJar(jar: CookieJar, url: URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = await jar.getCookieString(url.href);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url.href, { ignoreError: true });
  return response;
}

/** Follows redirects while they stay on `origin`; returns the last response and its URL. */
async function followWithin(jar: CookieJar, origin: string, start: Response, url: URL): Promise<{ response: Response; url: URL; next?: URL }> {
  let response = start;
  let current = url;
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
    const next = new URL(location, current);
    if (next.origin !== origin) return { response, url: current, next };
    await response.body?.cancel();
    current = next;
    response = await fetchWithJar(jar, current);
  }
  throw new Error(`more than ${MAX_HOPS} redirects within ${origin}`);
}

/**
 * Runs a full sign-in: `loginUrl` (the relying party's login route) → IdP sign-in form as
 * `login` → the relying party's callback. Resolves with a `Cookie` header holding the relying
 * party's cookies whose names `keep` accepts (the IdP shares the host, since cookies ignore ports).
 */
export async function signIn(loginUrl: string, login: string, keep: (cookieName: string) => boolean): Promise<string> {
  const jar = new CookieJar();
  const start = new URL(loginUrl);
  const first = await fetchWithJar(jar, start);
  const toIdp = first.headers.get('location');
  if (first.status < 300 || first.status >= 400 || !toIdp) throw new Error(`${loginUrl} did not redirect to the IdP (${first.status})`);
  await first.body?.cancel();
  const authorize = new URL(toIdp, start);
  const idpOrigin = authorize.origin;

  const form = await followWithin(jar, idpOrigin, await fetchWithJar(jar, authorize), authorize);
  const html = await form.response.text();
  const action = /<form[^>]*\saction="([^"]*\/login)"/.exec(html)?.[1];
  if (!action) throw new Error(`no sign-in form at ${form.url.href} (${form.response.status})`);
  const posted = new URL(action.replace(/&amp;/g, '&'), form.url);
  const body = new URLSearchParams({ login, password: 'any password' });
  const afterForm = await fetchWithJar(jar, posted, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const back = await followWithin(jar, idpOrigin, afterForm, posted);
  if (!back.next) throw new Error(`sign-in as ${login} stayed at the IdP (${back.response.status})`);

  const done = await fetchWithJar(jar, back.next);
  await done.body?.cancel();
  if (done.status < 300 || done.status >= 400) throw new Error(`callback ${back.next.pathname} answered ${done.status}`);
  const cookies = (await jar.getCookies(start.href)).filter((c) => keep(c.key));
  if (cookies.length === 0) throw new Error(`no session cookie after signing in at ${loginUrl}`);
  return cookies.map((c) => c.cookieString()).join('; ');
}
