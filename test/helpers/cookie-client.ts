/**
 * A cookie-keeping HTTP client for tests: a "browser without JavaScript". It sends the cookies
 * its jar holds, stores every Set-Cookie, and never follows a redirect by itself, so a test can
 * stop at the hop that matters (e.g. the IdP's redirect back to the gateway's callback).
 */
import { CookieJar } from 'tough-cookie';
import type { Cookie } from 'tough-cookie';

/** One response in a redirect chain. */
export interface Hop {
  url: URL;
  status: number;
  /** The resolved `Location`, when the response is a redirect. */
  location?: URL;
  response: Response;
}

/** Options of {@link CookieClient.follow}. */
export interface FollowOptions {
  /** Redirects to follow at most before failing; default 10. */
  maxHops?: number;
  /** Stop before fetching a redirect target for which this returns true. */
  stopAt?: (next: URL) => boolean;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** fetch with a cookie jar and manual redirects. */
export class CookieClient {
  /** The jar; tests may inspect or seed it. */
  readonly jar = new CookieJar();

  /** Sends any request through the jar; `redirect` is always manual. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = await this.jar.getCookieString(target);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, target, { ignoreError: true });
    }
    return response;
  }

  /** GET with the jar's cookies. */
  get(url: string | URL, options: { headers?: HeadersInit } = {}): Promise<Response> {
    return this.request(url, { method: 'GET', headers: options.headers });
  }

  /** POST a urlencoded `form` or a `json` body (or neither) with the jar's cookies. */
  post(
    url: string | URL,
    options: { form?: Record<string, string> | URLSearchParams; json?: unknown; headers?: HeadersInit } = {},
  ): Promise<Response> {
    const headers = new Headers(options.headers);
    let body: string | undefined;
    if (options.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(options.json);
    }
    return this.request(url, { method: 'POST', headers, body });
  }

  /**
   * Follows redirects with GET, keeping cookies, and returns every hop including the first.
   * Starting from a Response uses it as the first hop; from a URL fetches it first. When
   * `stopAt` halts the chain, the last hop's `location` is the URL that was not fetched.
   */
  async follow(start: Response | string | URL, options: FollowOptions = {}): Promise<Hop[]> {
    const maxHops = options.maxHops ?? 10;
    let response = start instanceof Response ? start : await this.get(start);
    const hops: Hop[] = [];
    for (;;) {
      const hop = toHop(response);
      hops.push(hop);
      if (!hop.location || options.stopAt?.(hop.location)) return hops;
      if (hops.length > maxHops) throw new Error(`more than ${maxHops} redirects, last to ${hop.location.href}`);
      response = await this.get(hop.location);
    }
  }

  /** The cookies the jar would send to `url`. */
  cookies(url: string | URL): Promise<Cookie[]> {
    return this.jar.getCookies(new URL(url));
  }

  /**
   * Signs in at the development IdP: opens `url` (an authorization URL or an interaction URL),
   * follows redirects within the IdP to the sign-in form, posts `login` and a password, and
   * follows the IdP's redirects until one points elsewhere. Returns that URL (normally the
   * relying party's callback with `code` and `state`) WITHOUT fetching it.
   */
  async signInAt(url: string | URL, login: string, password = 'any password'): Promise<URL> {
    const idpOrigin = new URL(url).origin;
    const leavesIdp = (next: URL): boolean => next.origin !== idpOrigin;
    const formPage = await this.landOnPage(url, leavesIdp);
    const html = await formPage.response.text();
    const action = /<form[^>]*\saction="([^"]*\/login)"/.exec(html)?.[1];
    if (!action) throw new Error(`no sign-in form at ${formPage.url.href} (status ${formPage.status})`);
    const posted = await this.post(new URL(decodeEntities(action), formPage.url), { form: { login, password } });
    return this.leaveIdp(posted, leavesIdp, `sign-in as ${login}`);
  }

  /**
   * Signs out at the IdP's end-session endpoint the way a browser would: submits the
   * auto-submitting logout form (every hidden input on the page) and follows redirects. Returns
   * the URL outside the IdP it redirects to (normally a `post_logout_redirect_uri`) WITHOUT
   * fetching it, or the IdP's own "signed out" page when there is none.
   */
  async signOutAt(endSessionUrl: string | URL): Promise<URL> {
    const idpOrigin = new URL(endSessionUrl).origin;
    const leavesIdp = (next: URL): boolean => next.origin !== idpOrigin;
    const page = await this.landOnPage(endSessionUrl, leavesIdp);
    if (page.location) return page.location;
    const html = await page.response.text();
    const action = /<form[^>]*\saction="([^"]*)"/.exec(html)?.[1];
    if (!action) throw new Error(`no logout form at ${page.url.href} (status ${page.status})`);
    const form = new URLSearchParams();
    for (const [, input] of html.matchAll(/<input([^>]*)>/g)) {
      const name = /\sname="([^"]*)"/.exec(input ?? '')?.[1];
      const value = /\svalue="([^"]*)"/.exec(input ?? '')?.[1];
      if (/type="hidden"/.test(input ?? '') && name) form.append(decodeEntities(name), decodeEntities(value ?? ''));
    }
    const posted = await this.post(new URL(decodeEntities(action), page.url), { form });
    const hops = await this.follow(posted, { stopAt: leavesIdp });
    const last = hops[hops.length - 1];
    if (!last) throw new Error('unreachable: follow returns at least one hop');
    return last.location ?? last.url;
  }

  private async landOnPage(url: string | URL, leavesIdp: (next: URL) => boolean): Promise<Hop> {
    const hops = await this.follow(url, { stopAt: leavesIdp });
    const last = hops[hops.length - 1];
    if (!last) throw new Error('unreachable: follow returns at least one hop');
    return last;
  }

  private async leaveIdp(response: Response, leavesIdp: (next: URL) => boolean, what: string): Promise<URL> {
    const hops = await this.follow(response, { stopAt: leavesIdp });
    const final = hops[hops.length - 1];
    if (final?.location) return final.location;
    const body = final ? (await final.response.text()).slice(0, 300) : '';
    throw new Error(`${what} stayed at the IdP: ${final?.status} ${final?.url.href}\n${body}`);
  }
}

function toHop(response: Response): Hop {
  const url = new URL(response.url);
  const location = response.headers.get('location');
  return {
    url,
    status: response.status,
    response,
    ...(REDIRECT_STATUSES.has(response.status) && location ? { location: new URL(location, url) } : {}),
  };
}

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? '');
}
