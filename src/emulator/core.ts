/**
 * The emulator's state, independent of HTTP: settings, contacts, tickets, the request log.
 * `createEmulatorApp` serves it; tests reach into it in-process.
 */
import { setMaxListeners } from 'node:events';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { pino, type Logger } from 'pino';
import { ContactStore } from './contacts.js';
import { TicketIssuer, ticketKey, type TicketRedemption, type TicketVerification } from './tickets.js';
import { VisitorStore } from './visitor-tokens.js';

/** The dev key everyone may know; the only key the emulator's entry point will ever print. */
export const DEV_API_KEY = 'dev-onetalk-api-key';

/**
 * The dev widget key: what a page passes to `TapTalkLive.init` and the widget sends as
 * `Secret-Key`. Public by nature (it is in every page), unlike the API key.
 */
export const DEV_WIDGET_KEY = 'dev-onetalk-widget-key';

/** Upper bound for the latency setting: a minute is plenty to exercise any client timeout. */
export const MAX_LATENCY_MS = 60_000;

/** Runtime switches, changeable through `PUT /__emulator/settings`. */
export interface EmulatorSettings {
  /** When false every API call answers the document's 499 "Please select a tier". */
  tierSelected: boolean;
  /** API answers wait this long (admin routes never wait). */
  latencyMs: number;
}

/** Everything an emulator can be built with; all optional. */
export interface EmulatorOptions {
  apiKey?: string;
  /** HS256 key for tickets; a fresh random 32 bytes when absent. */
  ticketSecret?: Uint8Array | string;
  tierSelected?: boolean;
  latencyMs?: number;
  /** The widget key the visitor API expects as `Secret-Key`; default {@link DEV_WIDGET_KEY}. */
  widgetKey?: string;
  /** Visitor access token lifetime in ms (default one hour). */
  visitorAccessTokenTtlMs?: number;
  /** Visitor refresh token lifetime in ms (default thirty days). */
  visitorRefreshTokenTtlMs?: number;
  /** Clock in ms since the epoch: tickets, contact stamps, request log. */
  now?: () => number;
  logger?: Logger;
}

/**
 * One call to the visitor API. Tokens and tickets are never recorded: only whose they were
 * (`userID`) and whether the widget key was right.
 */
export interface VisitorRequest {
  path: string;
  status: number;
  /** Envelope error code ('' on success). */
  code: string;
  secretKey: ApiKeyState;
  /** The OneTalk user the call acted for, when its credential named one. */
  userID?: string;
  at: string;
}

/** How a recorded call's body arrived. */
export type BodyKind = 'json' | 'text' | 'none' | 'too_large' | 'unreadable';

/** One call to an API route, as received and as answered. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw headers, API-Key included: in-process only, the admin route masks it. */
  headers: IncomingHttpHeaders;
  /** Parsed JSON when `bodyKind` is 'json', the raw text when 'text', else undefined. */
  body: unknown;
  bodyKind: BodyKind;
  /** HTTP status answered (= envelope status). */
  status: number;
  /** Envelope error code answered ('' on success). */
  code: string;
  /** ISO 8601 time the request arrived. */
  at: string;
}

/** Whether a call carried the right key, a wrong one, or none. */
export type ApiKeyState = 'valid' | 'invalid' | 'missing';

/** A built emulator: state and operations, no HTTP. */
export interface Emulator {
  readonly ticketSecret: Uint8Array;
  readonly store: ContactStore;
  readonly tickets: TicketIssuer;
  /** Every API call, oldest first. Cleared in place by `reset()`, so references stay live. */
  readonly requests: RecordedRequest[];
  /** Visitor (widget) sessions and conversations. */
  readonly visitors: VisitorStore;
  /** Every visitor API call, oldest first; cleared in place by `reset()`. */
  readonly visitorRequests: VisitorRequest[];
  /** Live settings object; `reset()` restores `defaults` in place. */
  readonly settings: EmulatorSettings;
  readonly defaults: Readonly<EmulatorSettings>;
  readonly now: () => number;
  readonly logger: Logger;
  /** Aborted by `dispose()`, which cuts pending latency waits short. */
  readonly shutdown: AbortSignal;
  /** Compares a received API-Key header with the configured key in constant time. */
  apiKeyState(received: string | undefined): ApiKeyState;
  /** Compares a received Secret-Key header with the widget key. */
  widgetKeyState(received: string | undefined): ApiKeyState;
  /** Signature and lifetime check; does not consume the ticket. */
  verifyTicket(ticket: string): Promise<TicketVerification>;
  /** Verify and consume: a ticket redeems once. */
  redeemTicket(ticket: string): Promise<TicketRedemption>;
  /** Contacts, request logs, redemptions, visitor sessions and settings back to their starting state. */
  reset(): void;
  /** Stops pending waits; call when the server closes. */
  dispose(): void;
}

/** Builds the emulator's state. Throws on invalid options (empty key, latency out of range). */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const apiKey = options.apiKey ?? DEV_API_KEY;
  if (apiKey === '') throw new Error('apiKey must not be empty');
  const defaults: Readonly<EmulatorSettings> = Object.freeze({
    tierSelected: options.tierSelected ?? true,
    latencyMs: checkLatency(options.latencyMs ?? 0),
  });
  const now = options.now ?? Date.now;
  const ticketSecret = ticketKey(options.ticketSecret);
  const tickets = new TicketIssuer(ticketSecret, now);
  const store = new ContactStore({ now });
  const requests: RecordedRequest[] = [];
  const visitors = new VisitorStore(
    { accessTokenTtlMs: options.visitorAccessTokenTtlMs, refreshTokenTtlMs: options.visitorRefreshTokenTtlMs },
    now,
  );
  const visitorTtls = { ...visitors.ttls };
  const visitorRequests: VisitorRequest[] = [];
  const widgetKey = options.widgetKey ?? DEV_WIDGET_KEY;
  if (widgetKey === '') throw new Error('widgetKey must not be empty');
  const expectedWidgetKey = digest(widgetKey);
  const settings: EmulatorSettings = { ...defaults };
  const lifetime = new AbortController();
  // Every latency wait of every request in flight listens on this one signal: as many listeners
  // as concurrent requests, by design, so Node's leak warning (at 10) would only be noise.
  setMaxListeners(0, lifetime.signal);
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const expected = digest(apiKey);

  return {
    ticketSecret,
    store,
    tickets,
    requests,
    visitors,
    visitorRequests,
    settings,
    defaults,
    now,
    logger: options.logger ?? pino({ level: 'silent' }),
    shutdown: lifetime.signal,
    apiKeyState(received) {
      if (received === undefined || received === '') return 'missing';
      return timingSafeEqual(digest(received), expected) ? 'valid' : 'invalid';
    },
    widgetKeyState(received) {
      if (received === undefined || received === '') return 'missing';
      return timingSafeEqual(digest(received), expectedWidgetKey) ? 'valid' : 'invalid';
    },
    verifyTicket: (ticket) => tickets.verify(ticket),
    redeemTicket: (ticket) => tickets.redeem(ticket),
    reset() {
      store.clear();
      requests.length = 0;
      visitorRequests.length = 0;
      visitors.clear();
      Object.assign(visitors.ttls, visitorTtls);
      tickets.clearRedemptions();
      Object.assign(settings, defaults);
    },
    dispose: () => lifetime.abort(),
  };
}

/** Validates a latency value: an integer 0..60000 ms. */
export function checkLatency(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    throw new RangeError(`latencyMs must be an integer from 0 to ${MAX_LATENCY_MS}`);
  }
  return ms;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
