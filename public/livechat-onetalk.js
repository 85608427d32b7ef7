/**
 * Connects OneTalk's live-chat web widget to the gateway's sign-in, and keeps the widget's chat
 * identity equal to the user signed in at the gateway, whatever ended or changed the session.
 *
 * This is the one place that knows the widget's API. Its names come from the widget's public code,
 * not from a published reference: `TapTalkLive.authenticateWithAuthTicket(ticket, callback)`,
 * `isAuthenticated()` and `launcherLogout(callback)`. They are options (`widgetGlobal`, `methods`)
 * for a future widget version. The page loads the widget's script and hands this module how to
 * start it (`init: () => TapTalkLive.init(key)`). The widget sends that key as `Secret-Key`: it is
 * the widget's public key, never the organization's API key, which stays on the gateway.
 *
 * Ownership: localStorage holds only the opaque id `/auth/session` gives (a keyed HMAC, nothing
 * personal) of the user the widget's tokens belong to, or `anonymous`. Widget and gateway are
 * compared on page load, when the tab becomes visible, when another tab signs in or out, and when
 * the widget loses its tokens (its own refresh failed). A difference, or tokens with no recorded
 * owner, means `launcherLogout` before anything else.
 */
import { createLivechatClient, LivechatError, withTabLock } from './livechat.js';

const ANONYMOUS = 'anonymous';
const CHANGED = 'changed';
const SESSION_TIMEOUT_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The widget method names, as the widget's code has them. */
export const DEFAULT_METHODS = Object.freeze({
  authenticate: 'authenticateWithAuthTicket',
  isAuthenticated: 'isAuthenticated',
  logout: 'launcherLogout',
});

/** localStorage, or a stand-in that remembers nothing when storage is blocked. */
function ownerStore(key) {
  const attempt = (fn, fallback) => {
    try {
      return fn();
    } catch {
      return fallback;
    }
  };
  return {
    read: () => attempt(() => localStorage.getItem(key), null),
    write: (value) => attempt(() => localStorage.setItem(key, value)),
    remove: () => attempt(() => localStorage.removeItem(key)),
  };
}

/**
 * Connects the widget. Options (all optional; see livechat-onetalk.d.ts):
 * `gatewayUrl`, `init` (starts the widget, e.g. `() => TapTalkLive.init(key)`: pass it so the
 * widget starts only once any previous user's tokens are gone), `widgetGlobal` ('TapTalkLive'),
 * `methods`, `widgetTimeoutMs` (10000),
 * `authTimeoutMs` (15000), `logoutTimeoutMs` (10000), `pollMs` (100), `watchMs` (10000),
 * `maxAuthPerMinute` (3), `ownerKey`, `channelName`, `lockName`, `onChange(state)`, and the
 * ticket client's options (`maxAttempts`, `baseDelayMs`, `maxDelayMs`, `fetch`, `sleep`).
 */
export function connectOneTalkWidget(options = {}) {
  const o = {
    widgetGlobal: 'TapTalkLive',
    widgetTimeoutMs: 10_000,
    authTimeoutMs: 15_000,
    logoutTimeoutMs: 10_000,
    pollMs: 100,
    watchMs: 10_000,
    maxAuthPerMinute: 3,
    ownerKey: 'onetalk-gateway.widget-owner',
    channelName: 'onetalk-gateway.widget-identity',
    lockName: 'onetalk-gateway.widget-identity',
    ...options,
  };
  const methods = { ...DEFAULT_METHODS, ...o.methods };
  const base = new URL(o.gatewayUrl ?? new URL(import.meta.url).origin);
  const doFetch = o.fetch ?? ((...a) => fetch(...a));
  const owner = ownerStore(o.ownerKey);
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(o.channelName) : undefined;
  const authStarts = [];
  let state = { status: 'starting' };
  let stopped = false;

  // Only the ticket client's own knobs: its lock must never be the identity lock it runs under.
  const { maxAttempts, baseDelayMs, maxDelayMs, sleep: wait } = options;
  const client = createLivechatClient({
    ...Object.fromEntries(Object.entries({ maxAttempts, baseDelayMs, maxDelayMs, sleep: wait }).filter(([, v]) => v !== undefined)),
    gatewayUrl: base.href,
    fetch: doFetch,
    clearIdentity: async () => {
      const widget = currentWidget();
      if (widget && isAuthenticated(widget)) await logoutWidget(widget);
      owner.remove();
    },
    onSignedOut: () => channel?.postMessage({ type: CHANGED }),
  });

  const publish = (next) => {
    state = next;
    try {
      o.onChange?.(next);
    } catch {
      // The page's handler must not break the coherence checks.
    }
    return next;
  };

  function currentWidget() {
    const widget = globalThis[o.widgetGlobal];
    const usable = widget && Object.values(methods).every((name) => typeof widget[name] === 'function');
    return usable ? widget : undefined;
  }

  const isAuthenticated = (widget) => Boolean(widget[methods.isAuthenticated]());

  async function waitForWidget() {
    const deadline = Date.now() + o.widgetTimeoutMs;
    for (;;) {
      const widget = currentWidget();
      if (widget) return widget;
      if (Date.now() >= deadline) {
        throw new LivechatError('widget_missing', `window.${o.widgetGlobal} did not appear with ${Object.values(methods).join(', ')}`, { status: 0 });
      }
      await sleep(o.pollMs);
    }
  }

  /**
   * Calls a widget method that takes a callback, and settles when the callback fires or `done()`
   * holds (polled): the widget's copy we know never calls back after authenticating.
   */
  function callWidget(widget, name, args, done, timeoutMs, code) {
    return new Promise((resolve, reject) => {
      let poll;
      let timer;
      const finish = (error) => {
        clearInterval(poll);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      timer = setTimeout(() => finish(new LivechatError(code, `The chat widget did not finish ${name} in ${timeoutMs} ms`, { status: 0 })), timeoutMs);
      poll = setInterval(() => done() && finish(), o.pollMs);
      try {
        widget[name](...args, (...result) => {
          if (done()) finish();
          else finish(new LivechatError('widget_refused', `The chat widget's ${name} did not succeed`, { status: 0, cause: result[0] }));
        });
      } catch (cause) {
        finish(new LivechatError('widget_error', `The chat widget's ${name} threw`, { status: 0, cause }));
      }
    });
  }

  const logoutWidget = (widget) => callWidget(widget, methods.logout, [], () => !isAuthenticated(widget), o.logoutTimeoutMs, 'widget_logout_timeout');
  const authenticateWidget = (widget, ticket) =>
    callWidget(widget, methods.authenticate, [ticket], () => isAuthenticated(widget), o.authTimeoutMs, 'widget_timeout');

  /** Who the gateway says is signed in: the opaque id, `null` for nobody. Throws when it cannot tell. */
  async function signedInId() {
    let res;
    try {
      // Bounded: a comparison holds the cross-tab lock, and a stalled request must not keep it.
      res = await doFetch(new URL('/auth/session', base), {
        credentials: 'include',
        headers: { Accept: 'application/json' },
        cache: 'no-store',
        signal: AbortSignal.timeout(SESSION_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new LivechatError('network_error', 'The chat service could not be reached', { status: 0, cause });
    }
    const body = await res.json().catch(() => undefined);
    if (!res.ok || typeof body?.authenticated !== 'boolean') {
      // e.g. 503 session_store_unavailable: say so, and change nothing until we can tell.
      throw new LivechatError(body?.code ?? 'session_unknown', body?.title ?? 'Could not tell who is signed in', { status: res.status });
    }
    // Signed in without an id (a profile OneTalk cannot take): nobody the widget can chat as.
    return body.authenticated && typeof body.user?.id === 'string' ? body.user.id : null;
  }

  let started = !o.init;
  /**
   * Runs the page's `init` (TapTalkLive.init) once the widget holds nobody's tokens or the right
   * ones: a widget started on the previous user's tokens would show their chat, if only briefly.
   */
  function startWidget() {
    if (started) return;
    started = true;
    try {
      o.init();
    } catch (cause) {
      throw new LivechatError('widget_error', "The chat widget's init threw", { status: 0, cause });
    }
  }

  /** One comparison of widget and gateway, acted upon. Resolves with the new state. */
  async function reconcile() {
    const widget = await waitForWidget();
    // Holding no tokens, the widget can show nobody's chat: start it without waiting for the gateway.
    if (!isAuthenticated(widget)) startWidget();
    let changed = false;
    try {
      // A sign-in or sign-out elsewhere while we authenticate is caught by the second round.
      for (let round = 0; round < 3; round++) {
        const id = await signedInId();
        const want = id ?? ANONYMOUS;
        const recorded = owner.read();
        if (isAuthenticated(widget)) {
          if (recorded === want) {
            startWidget();
            return { status: id ? 'authenticated' : 'anonymous' };
          }
          // Someone else's chat, or tokens nobody recorded (an install from before this module).
          await logoutWidget(widget);
          changed = true;
        }
        startWidget();
        if (!id) {
          owner.write(ANONYMOUS);
          return { status: 'anonymous' };
        }
        const now = Date.now();
        while (authStarts.length && authStarts[0] <= now - 60_000) authStarts.shift();
        if (authStarts.length >= o.maxAuthPerMinute) {
          throw new LivechatError('widget_auth_throttled', 'The chat widget keeps losing its sign-in; not retrying for now', { status: 0 });
        }
        authStarts.push(now);
        // Recorded first: whatever tokens appear from now on are this user's.
        owner.write(id);
        changed = true;
        try {
          const { ticket } = await client.getTicket();
          await authenticateWidget(widget, ticket);
        } catch (err) {
          if (err?.code !== 'login_required') throw err;
          // Signed out since we asked: the next round finds the widget anonymous, as it should be.
          continue;
        }
        if ((await signedInId()) === id) return { status: 'authenticated' };
      }
      throw new LivechatError('identity_unsettled', 'The signed-in user kept changing', { status: 0 });
    } finally {
      if (changed) channel?.postMessage({ type: CHANGED });
    }
  }

  let running;
  let queued;
  /** Runs a comparison now, or once after the one running (several requests share it). */
  function sync() {
    if (stopped) return Promise.resolve(state);
    if (queued) return queued;
    const start = () => {
      publish({ status: state.status === 'starting' ? 'starting' : 'checking' });
      running = withTabLock(o.lockName, reconcile, o.authTimeoutMs + o.logoutTimeoutMs)
        .then(publish, (error) => {
          publish({ status: 'error', error });
          throw error;
        })
        .finally(() => (running = undefined));
      return running;
    };
    if (!running) return start();
    queued = running.catch(() => {}).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  }

  const quietly = () => void sync().catch(() => {});
  const onVisible = () => document.visibilityState === 'visible' && quietly();
  const onPageShow = (event) => event.persisted && quietly();
  const onStorage = (event) => (event.key === o.ownerKey || event.key === null) && quietly();
  const onMessage = (event) => event.data?.type === CHANGED && quietly();
  // Local only: notices the widget dropping its tokens (its refresh failed) without any request;
  // and retries after a failed comparison (the gateway was unreachable, say).
  const watch = () => {
    const widget = currentWidget();
    if (running || !widget) return;
    if (state.status === 'error' || (state.status === 'authenticated' && !isAuthenticated(widget))) quietly();
  };
  document.addEventListener('visibilitychange', onVisible);
  addEventListener('pageshow', onPageShow);
  addEventListener('storage', onStorage);
  channel?.addEventListener('message', onMessage);
  const watcher = o.watchMs > 0 ? setInterval(watch, o.watchMs) : undefined;

  const ready = sync();
  ready.catch(() => {}); // reported through `ready` and onChange; never an unhandled rejection

  return {
    /** The first comparison's outcome: `{status: 'authenticated' | 'anonymous'}`, or its error. */
    ready,
    /** The latest state: `starting`, `checking`, `authenticated`, `anonymous` or `error`. */
    get state() {
      return state;
    },
    /** Compares widget and gateway now (after a comparison already running). */
    sync,
    /** The ticket client underneath (getTicket, signOut). */
    client,
    /**
     * Signs out: the widget first (launcherLogout), then the gateway and the IdP's end-session
     * page. Holds the identity lock throughout, so no other tab re-authenticates in between.
     */
    signOut() {
      return withTabLock(o.lockName, () => client.signOut(), o.logoutTimeoutMs);
    },
    /** Removes every listener and timer. */
    stop() {
      stopped = true;
      document.removeEventListener('visibilitychange', onVisible);
      removeEventListener('pageshow', onPageShow);
      removeEventListener('storage', onStorage);
      channel?.close();
      clearInterval(watcher);
    },
  };
}
