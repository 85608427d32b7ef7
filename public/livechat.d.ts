/** Types of the ticket client served at `/livechat.js` (see livechat.js for the behaviour). */

/** getTicket()'s error: `code` is the gateway's problem code, `network_error` or `login_required`. */
export declare class LivechatError extends Error {
  readonly code: string;
  /** HTTP status; 0 for a network error. */
  readonly status: number;
  /** Present when `code` is `login_required`. */
  readonly loginUrl?: string;
}

/** A fresh, single-use OneTalk auth ticket. */
export interface LivechatTicket {
  ticket: string;
  expiresAt: string;
}

export interface LivechatClientOptions {
  /** The gateway's origin; default, where livechat.js was loaded from. */
  gatewayUrl?: string;
  /** Hands a fresh ticket to OneTalk's web widget. */
  onTicket?: (ticket: string, info: { expiresAt: string }) => void;
  /** Called on 401 with the gateway's login URL. */
  onLoginRequired?: (loginUrl: string) => void;
  /** Also navigate to the login URL on 401. */
  redirectOnLoginRequired?: boolean;
  /** Clears the chat widget's stored identity; run by signOut(). */
  clearIdentity?: () => void | Promise<void>;
  /** Run by signOut() once the gateway has ended the session, before navigating away. */
  onSignedOut?: () => void | Promise<void>;
  /** Attempts on 429/503/504 and network errors; default 4. */
  maxAttempts?: number;
  /** First backoff in ms (doubles per attempt, full jitter); default 500. */
  baseDelayMs?: number;
  /** Longest wait between attempts in ms; a longer Retry-After ends the retries. Default 8000. */
  maxDelayMs?: number;
  /** Cross-tab lock name, or false for no cross-tab coordination. */
  lockName?: string | false;
  /** Test seam. */
  fetch?: (input: URL, init: RequestInit) => Promise<Response>;
  /** Test seam. */
  sleep?: (ms: number) => Promise<void>;
}

export interface LivechatClient {
  getTicket(): Promise<LivechatTicket>;
  clearIdentity(): Promise<void>;
  /**
   * Runs clearIdentity, then POSTs `/auth/logout` with `X-CSRF: 1` asking for JSON (the session
   * ends at the gateway) and navigates to the IdP's end-session URL the gateway returns (even if
   * the hook fails). Only when that request fails does it fall back to a plain form POST, which
   * the gateway checks by its Origin.
   */
  signOut(): Promise<void>;
}

export declare function createLivechatClient(options?: LivechatClientOptions): LivechatClient;

/**
 * Runs `fn` holding the cross-tab lock `name` of this origin (Web Locks, else a BroadcastChannel
 * lock that waits at most `maxWaitMs`, else none).
 */
export declare function withTabLock<T>(name: string, fn: () => T | Promise<T>, maxWaitMs?: number): Promise<T>;
