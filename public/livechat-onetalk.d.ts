/** Types of the OneTalk widget adapter served at `/livechat-onetalk.js` (see that file for the behaviour). */
import type { LivechatClient, LivechatError } from './livechat.js';

/** The widget's method names. Defaults are those of the widget's public code (no published reference). */
export interface OneTalkWidgetMethods {
  /** `(ticket, callback) => void`; default `authenticateWithAuthTicket`. */
  authenticate: string;
  /** `() => boolean`; default `isAuthenticated`. */
  isAuthenticated: string;
  /** `(callback) => void`; default `launcherLogout`. */
  logout: string;
}

export declare const DEFAULT_METHODS: Readonly<OneTalkWidgetMethods>;

/** What the adapter last found. */
export interface OneTalkWidgetState {
  status: 'starting' | 'checking' | 'authenticated' | 'anonymous' | 'error';
  /** With `error`: `widget_missing`, `widget_timeout`, `widget_refused`, `widget_logout_timeout`, a ticket error code… */
  error?: LivechatError;
}

export interface OneTalkWidgetOptions {
  /** The gateway's origin; default, where the module was loaded from. */
  gatewayUrl?: string;
  /**
   * Starts the widget: `() => TapTalkLive.init(widgetKey)`. The adapter runs it once the widget
   * holds no tokens, or the signed-in user's, after logging out anyone else's: a widget started
   * on the previous user's tokens would show their chat, if only briefly. Without it the page
   * starts the widget itself, and that moment is not covered.
   *
   * The widget sends `widgetKey` as `Secret-Key`: it is the widget's public key from OneTalk's
   * dashboard (it is in every page), never the organization's API key, which only the gateway holds.
   */
  init?: () => void;
  /** The widget's global; default `TapTalkLive`. */
  widgetGlobal?: string;
  /** Method names, for a future widget version; merged over {@link DEFAULT_METHODS}. */
  methods?: Partial<OneTalkWidgetMethods>;
  /** How long to wait for the widget's global to appear; default 10000 ms. */
  widgetTimeoutMs?: number;
  /** How long authenticating may take (its callback may never fire); default 15000 ms. */
  authTimeoutMs?: number;
  /** How long launcherLogout may take; default 10000 ms. */
  logoutTimeoutMs?: number;
  /** How often isAuthenticated() is polled while waiting; default 100 ms. */
  pollMs?: number;
  /**
   * How often to check, locally, that the widget still holds its tokens, and to retry after a
   * failed comparison (0: never); default 10000 ms.
   */
  watchMs?: number;
  /** Authentications per page and minute before giving up for the minute; default 3. */
  maxAuthPerMinute?: number;
  /** localStorage key of the recorded owner (an opaque id, or `anonymous`). */
  ownerKey?: string;
  /** BroadcastChannel telling other tabs that the identity changed. */
  channelName?: string;
  /** Cross-tab lock serialising comparisons and sign-out. */
  lockName?: string;
  /** Every state change. */
  onChange?: (state: OneTalkWidgetState) => void;
  /** Ticket requests: attempts on 429/503/504 and network errors; default 4. */
  maxAttempts?: number;
  /** Ticket requests: first backoff in ms; default 500. */
  baseDelayMs?: number;
  /** Ticket requests: longest wait between attempts in ms; default 8000. */
  maxDelayMs?: number;
  /** Test seam. */
  fetch?: (input: URL, init: RequestInit) => Promise<Response>;
  /** Test seam. */
  sleep?: (ms: number) => Promise<void>;
}

export interface OneTalkWidgetConnection {
  /** The first comparison: resolves `{status: 'authenticated' | 'anonymous'}`, rejects with a LivechatError. */
  readonly ready: Promise<OneTalkWidgetState>;
  readonly state: OneTalkWidgetState;
  /** Compares widget and gateway now (after any comparison already running) and acts on it. */
  sync(): Promise<OneTalkWidgetState>;
  /** The ticket client underneath. */
  readonly client: LivechatClient;
  /** launcherLogout, then the gateway's sign-out and the IdP's end-session page. */
  signOut(): Promise<void>;
  /** Removes listeners and timers. */
  stop(): void;
}

/**
 * Connects OneTalk's web widget to the gateway's sign-in: authenticates it with a fresh ticket
 * when the signed-in user's chat is not open yet, and logs it out (`launcherLogout`) whenever its
 * tokens belong to anyone else: on page load, when the tab becomes visible, when another tab signs
 * in or out, and when the widget loses its tokens.
 */
export declare function connectOneTalkWidget(options?: OneTalkWidgetOptions): OneTalkWidgetConnection;
