/** The OneTalk client's public types: its options, its observer, and the client itself. */
import type { Dispatcher } from 'undici';
import type { BreakerState } from './breaker.js';
import type { UpstreamPolicy } from './policy.js';
import type { AuthTicket, Endpoint, SyncContact, SyncResult, TicketUser } from './types.js';

/** The slice of a pino logger this client uses; pino's `Logger` satisfies it. */
export interface OneTalkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One settled call, for metrics. Holds no body, ticket nor header. */
export interface OneTalkCallEvent {
  endpoint: Endpoint;
  /** `ok`, or the error code without its prefix: `timeout`, `circuit_open`, `rate_limited`... */
  outcome: string;
  durationMs: number;
  /** Attempts sent upstream (0 when refused before sending). */
  attempts: number;
}

/** Receives what the client does; the gateway's metrics implement it. */
export interface OneTalkObserver {
  call?(event: OneTalkCallEvent): void;
  breakerState?(state: BreakerState): void;
}

/** How to build a {@link OneTalkClient}. */
export interface OneTalkClientOptions {
  /** Origin (and optional path prefix) of the API, e.g. `https://onetalk-api.taptalk.io`. */
  baseUrl: string;
  /** The organization's secret API key. */
  apiKey: string;
  /** Whole-call deadline in ms: queueing, connecting, every attempt and backoff wait together. */
  timeoutMs: number;
  /** Overrides of {@link DEFAULT_POLICY}: retries, breaker, concurrency cap. */
  policy?: Partial<UpstreamPolicy>;
  /** Overrides of {@link DEFAULT_PATHS}, e.g. the `/api/integration` copy of the ticket path. */
  paths?: Partial<Record<Endpoint, string>>;
  /** Defaults to `onetalk-gateway/<version>`. */
  userAgent?: string;
  logger?: OneTalkLogger;
  observer?: OneTalkObserver;
  /** An injected undici dispatcher is used as given and left open by `close()`; the caller owns it. */
  dispatcher?: Dispatcher;
  /** Clock for `expiresAt` and Retry-After dates; defaults to `Date.now`. */
  now?: () => number;
  /** Source of backoff jitter in [0, 1); defaults to `Math.random`. */
  random?: () => number;
}

/** Per-call options. */
export interface OneTalkCallOptions {
  /** Aborting rejects the call with `ONETALK_ABORTED` and tears down its connection. */
  signal?: AbortSignal;
  /**
   * Asked when the call had to wait (for a slot under the concurrency cap, or for the breaker's
   * probe) before it goes upstream: the caller's reason for it may have ended meanwhile. False
   * (or a rejection) ends the call with `ONETALK_ABORTED`, without sending it.
   */
  stillWanted?: () => Promise<boolean>;
}

/** What the client is doing right now (read by the metrics at scrape time). */
export interface OneTalkStats {
  breaker: BreakerState;
  inFlight: number;
  queued: number;
}

/** A OneTalk API client. Every method rejects only with {@link OneTalkError}. */
export interface OneTalkClient {
  /** Mints a single-use auth ticket for `user` (and upserts the contact). Never cache the result. */
  requestAuthTicket(user: TicketUser, opts?: OneTalkCallOptions): Promise<AuthTicket>;
  /** Creates or updates the OneTalk contact for `contact`. */
  syncContact(contact: SyncContact, opts?: OneTalkCallOptions): Promise<SyncResult>;
  stats(): OneTalkStats;
  /** Closes the client's own keep-alive connections and cancels calls in flight; later calls reject with `ONETALK_UNAVAILABLE`. */
  close(): void;
}
