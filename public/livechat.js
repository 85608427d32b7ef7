/**
 * Live-chat ticket client for the OneTalk gateway: a plain ES module without dependencies.
 * It knows nothing of OneTalk's widget: `/livechat-onetalk.js` connects the widget on top of it
 * (the widget's method names come from its code, not from a published reference, so they stay in
 * that one adapter); other widgets can be wired in through the hooks (onTicket, clearIdentity).
 */

// Transient: OneTalk down or slow (503/504), or the gateway's rate limit (429, with Retry-After).
const RETRYABLE = new Set([429, 503, 504]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** getTicket()'s error: `code` is the gateway's problem code, `network_error` or `login_required`. */
export class LivechatError extends Error {
  constructor(code, message, extra) {
    super(message);
    this.name = 'LivechatError';
    Object.assign(this, { code, ...extra });
  }
}

/** Retry-After (seconds or an HTTP date) in ms, or undefined. */
function retryAfterMs(value) {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Cross-tab mutex over BroadcastChannel, for browsers without Web Locks: every tab announces a
 * claim stamped with its start time; the oldest runs, the others wait for its `done` (or a
 * deadline, should that tab die). Best effort, as any lock without a shared arbiter.
 */
async function channelLock(name, fn, maxWaitMs) {
  const ch = new BroadcastChannel(name);
  const me = { id: Math.random().toString(36).slice(2), t: Date.now() };
  const claims = new Map();
  let wake = () => {};
  ch.onmessage = ({ data }) => {
    if (data?.type === 'claim') {
      if (!claims.has(data.id)) ch.postMessage({ type: 'claim', ...me }); // newcomers learn of us
      claims.set(data.id, data.t);
    } else if (data?.type === 'done') claims.delete(data.id);
    wake();
  };
  ch.postMessage({ type: 'claim', ...me });
  const deadline = Date.now() + maxWaitMs;
  // Time for older claims to answer; only browsers without Web Locks pay it.
  await sleep(200);
  while ([...claims].some(([id, t]) => t < me.t || (t === me.t && id < me.id)) && Date.now() < deadline) {
    await Promise.race([new Promise((r) => (wake = r)), sleep(250)]);
  }
  try {
    return await fn();
  } finally {
    ch.postMessage({ type: 'done', id: me.id });
    ch.close();
  }
}

/**
 * Runs `fn` while holding the cross-tab lock `name` of this origin: Web Locks, else the
 * BroadcastChannel lock above (waiting at most `maxWaitMs`), else no lock at all.
 */
export function withTabLock(name, fn, maxWaitMs = 30_000) {
  if (globalThis.navigator?.locks?.request) return navigator.locks.request(name, fn);
  if (typeof BroadcastChannel === 'function') return channelLock(name, fn, maxWaitMs);
  return fn();
}

/**
 * Creates the client. Options (all optional):
 * - `gatewayUrl`: the gateway's origin; default, where this file was loaded from
 * - `onTicket(ticket, {expiresAt})`: hand a fresh ticket to OneTalk's widget
 * - `onLoginRequired(loginUrl)`: called on 401; `redirectOnLoginRequired: true` also navigates there
 * - `clearIdentity()`: clear the widget's stored identity (run by signOut)
 * - `onSignedOut()`: run by signOut once the gateway ended the session, before navigating
 * - `maxAttempts` (4), `baseDelayMs` (500), `maxDelayMs` (8000): retry on 429/503/504/network errors
 * - `lockName`: cross-tab lock name, or false for none
 * - `fetch`, `sleep`: test seams
 */
export function createLivechatClient(options = {}) {
  const o = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8000, lockName: 'onetalk-livechat-ticket', ...options };
  const base = new URL(o.gatewayUrl ?? new URL(import.meta.url).origin);
  const doFetch = o.fetch ?? ((...a) => fetch(...a));
  const wait = o.sleep ?? sleep;
  let inFlight;

  const loginUrlFrom = (body) => {
    const url = new URL(body?.loginUrl ?? '/auth/login', base);
    // The gateway honours returnTo only as a same-origin path: add it only when this page is one.
    if (globalThis.location?.origin === url.origin) url.searchParams.set('returnTo', location.pathname + location.search);
    return url.href;
  };

  async function attempt() {
    for (let n = 1; ; n++) {
      let res, error;
      try {
        res = await doFetch(new URL('/api/livechat/ticket', base), {
          method: 'POST',
          credentials: 'include',
          headers: { 'X-CSRF': '1' },
        });
      } catch (cause) {
        error = new LivechatError('network_error', 'The chat service could not be reached', { status: 0, cause });
      }
      if (res?.ok) {
        const { ticket, expiresAt } = await res.json();
        return { ticket, expiresAt };
      }
      if (res) {
        const body = await res.json().catch(() => undefined);
        if (res.status === 401) {
          const loginUrl = loginUrlFrom(body);
          o.onLoginRequired?.(loginUrl);
          if (o.redirectOnLoginRequired) location.assign(loginUrl);
          throw new LivechatError('login_required', 'Sign-in required', { status: 401, loginUrl });
        }
        error = new LivechatError(body?.code ?? 'http_error', body?.title ?? `HTTP ${res.status}`, { status: res.status });
        if (!RETRYABLE.has(res.status)) throw error;
      }
      if (n >= o.maxAttempts) throw error;
      // Full jitter spreads many tabs' retries apart; Retry-After is a floor, never undercut.
      const backoff = Math.random() * Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (n - 1));
      const asked = retryAfterMs(res?.headers.get('retry-after'));
      if (asked > o.maxDelayMs) throw error;
      await wait(Math.max(backoff, asked ?? 0));
    }
  }

  /** Serialises minting across this origin's tabs: Web Locks, else BroadcastChannel, else none. */
  function acrossTabs(fn) {
    return o.lockName ? withTabLock(o.lockName, fn, o.maxDelayMs * o.maxAttempts) : fn();
  }

  async function clearIdentity() {
    await o.clearIdentity?.();
  }

  return {
    /**
     * Resolves with a fresh single-use `{ticket, expiresAt}`, also handed to onTicket. Concurrent
     * calls in a tab share one request; a later call always mints anew (tickets are never cached).
     */
    getTicket() {
      inFlight ??= acrossTabs(attempt)
        .then((result) => {
          o.onTicket?.(result.ticket, { expiresAt: result.expiresAt });
          return result;
        })
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
    /** Runs the clearIdentity hook, so the next person on this browser never inherits a chat. */
    clearIdentity,
    /**
     * clearIdentity, then sign out at the gateway and go on to the IdP's end-session page: the
     * gateway answers a script's POST (X-CSRF) with the URL; if that fails, a plain form POST.
     */
    async signOut() {
      try {
        await clearIdentity();
      } finally {
        const res = await doFetch(new URL('/auth/logout', base), {
          method: 'POST',
          credentials: 'include',
          headers: { 'X-CSRF': '1', Accept: 'application/json' },
        }).catch(() => undefined);
        const body = res?.ok ? await res.json().catch(() => undefined) : undefined;
        if (typeof body?.redirectTo === 'string') {
          // Best effort: a failing hook must not keep the page from finishing the sign-out.
          await Promise.resolve()
            .then(() => o.onSignedOut?.())
            .catch(() => {});
          return location.assign(new URL(body.redirectTo, base).href);
        }
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = new URL('/auth/logout', base).href;
        form.hidden = true;
        document.body.append(form);
        form.submit();
      }
    },
  };
}
