/**
 * The OneTalk User/Contact API client: validate the body, then send it under the upstream
 * policy (a bounded queue, a circuit breaker, safe retries) within one whole-call deadline, read
 * the answer strictly, and let only {@link OneTalkError} out.
 *
 * The order of the guards matters: a breaker in its cool-down refuses before a call takes a
 * queue slot; the queue refuses, at once, a call that could not start in time to finish; a call
 * that arrives while the breaker's probe is in flight waits for its verdict; retries happen
 * inside the breaker, so a call that succeeded on its second attempt counts as one success.
 */
import type { Dispatcher } from 'undici';
import pkg from '../../package.json' with { type: 'json' };
import { BreakerOpenError, createBreaker, type BreakerState } from './breaker.js';
import { Deadline } from './deadline.js';
import { parseEnvelope } from './envelope.js';
import type { SyncData, TicketData } from './envelope.js';
import { OneTalkError, OneTalkErrorCode, isOneTalkError, sanitizedCause } from './errors.js';
import { prepareBody } from './fields.js';
import { ConcurrencyLimiter, ShedError, type Release } from './limiter.js';
import { DEFAULT_POLICY, checkPolicy, isHealthFailure, minAttemptMs, outcomeKind, retryDelayMs, type UpstreamPolicy } from './policy.js';
import { aborted, closedDuringCall, createTransport } from './transport.js';
import { DEFAULT_PATHS, TICKET_LIFETIME_MS } from './types.js';
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

const NOOP_LOGGER: OneTalkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds a client. Throws a TypeError (without echoing the key) when options are unusable. */
export function createOneTalkClient(options: OneTalkClientOptions): OneTalkClient {
  const { apiKey, timeoutMs } = options;
  const base = checkOptions(options);
  const policy = checkPolicy({ ...DEFAULT_POLICY, ...options.policy });
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? NOOP_LOGGER;
  const observer = options.observer ?? {};
  const transport = createTransport({
    base,
    apiKey,
    userAgent: options.userAgent ?? `${pkg.name}/${pkg.version}`,
    dispatcher: options.dispatcher,
  });
  const limiter = new ConcurrencyLimiter({ maxConcurrent: policy.maxConcurrent, maxQueue: policy.maxQueue, priorHoldMs: timeoutMs });
  const breaker = createBreaker({
    threshold: policy.breakerThreshold,
    cooldownMs: policy.breakerCooldownMs,
    windowMs: policy.breakerWindowMs,
    isFailure: isHealthFailure,
    onStateChange: (state) => {
      logger.warn({ breaker: state }, 'onetalk circuit breaker');
      observer.breakerState?.(state);
    },
  });
  // If OneTalk ever echoed the header back in a message, it still would not reach an error.
  const redact = (text: string) => text.split(apiKey).join('[redacted]');
  let closed = false;
  // Calls in flight, cancelled together when the breaker's controller fires on close(). One
  // listener here rather than one per call on that signal: a thousand concurrent calls would
  // otherwise hang a thousand listeners on one AbortSignal.
  const inFlight = new Set<Deadline>();
  breaker.signal.addEventListener('abort', () => {
    for (const deadline of inFlight) deadline.cancel('shutdown');
  });

  /** Attempts until success, a failure that must not be retried, or no budget left. */
  async function attempts(endpoint: Endpoint, body: string, deadline: Deadline, count: CallCount): Promise<TicketData | SyncData> {
    for (let retry = 0; ; retry++) {
      try {
        count.sent += 1;
        const res = await transport.post(endpoint, base + paths[endpoint], body, deadline);
        count.status = res.status;
        return parseEnvelope(endpoint, res.status, res.headers, res.data, { now, redact });
      } catch (err) {
        const delay = retry < policy.maxRetries ? retryDelayMs(err, retry, policy, random) : undefined;
        // Retry only if the wait leaves the next attempt a real chance inside the deadline.
        if (delay === undefined || delay + minAttemptMs(timeoutMs) > deadline.remainingMs()) throw err;
        logger.debug({ endpoint, retry: retry + 1, delayMs: delay, after: isOneTalkError(err) ? err.code : 'unknown' }, 'onetalk retry');
        // Cut short: ABORTED if the caller gave up, else the failure that caused the wait.
        if (!(await deadline.pause(delay))) throw deadline.cause === 'caller' ? aborted(endpoint) : err;
      }
    }
  }

  async function call(endpoint: Endpoint, input: unknown, opts: OneTalkCallOptions): Promise<{ data: TicketData | SyncData; startedAt: number }> {
    const startedAt = now();
    const t0 = performance.now();
    const count: CallCount = { sent: 0, status: undefined };
    let failure: unknown;
    let deadline: Deadline | undefined;
    let release: Release | undefined;
    try {
      if (closed) throw new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'the OneTalk client is closed', { endpoint });
      const body = JSON.stringify(prepareBody(endpoint, input));
      if (opts.signal?.aborted) throw aborted(endpoint);
      if (breaker.refusing()) throw circuitOpen(endpoint, breaker.retryAfterMs());
      deadline = new Deadline(timeoutMs, opts.signal);
      inFlight.add(deadline);
      release = await acquire(limiter, endpoint, deadline, timeoutMs);
      const active = deadline;
      // Only a call that waited for the breaker's probe can be this late.
      const ready = () => {
        if (active.remainingMs() < minAttemptMs(timeoutMs)) throw tooLate(endpoint, 0);
      };
      return { data: await breaker.run(() => attempts(endpoint, body, active, count), { signal: active.signal, ready }), startedAt };
    } catch (e) {
      failure = translate(endpoint, e, deadline);
      throw failure;
    } finally {
      // Slot hold times are learnt only from calls that went upstream and were not cut short
      // by their caller or by close(): those say nothing about OneTalk.
      release?.(count.sent > 0 && deadline?.cause !== 'caller' && deadline?.cause !== 'shutdown');
      if (deadline) {
        inFlight.delete(deadline);
        deadline.dispose();
      }
      const durationMs = performance.now() - t0;
      const outcome = failure === undefined ? 'ok' : (failure as OneTalkError).code;
      const upstreamStatus = (failure as OneTalkError | undefined)?.upstreamStatus ?? count.status;
      // One line per call, safe by construction: no key, body, ticket nor headers.
      logger.debug({ endpoint, upstreamStatus, outcome, attempts: count.sent, durationMs: Math.round(durationMs) }, 'onetalk call');
      observer.call?.({ endpoint, outcome: outcomeKind(failure), durationMs, attempts: count.sent });
    }
  }

  return {
    async requestAuthTicket(user, opts = {}) {
      const { data, startedAt } = await call('requestAuthTicket', user, opts);
      const { userID, ticket } = data as TicketData;
      // Conservative: counted from when we asked, not when OneTalk minted it; the JWT is opaque to us.
      return { userID, ticket, expiresAt: new Date(startedAt + TICKET_LIFETIME_MS).toISOString() };
    },
    async syncContact(contact, opts = {}) {
      const { data } = await call('syncContact', contact, opts);
      return { userID: data.userID, message: data.message };
    },
    stats: () => ({ breaker: breaker.state, inFlight: limiter.active, queued: limiter.queued }),
    close() {
      closed = true;
      breaker.shutdown();
      transport.close();
    },
  };
}

/**
 * A concurrency slot, or OVERLOADED: at once when the queue is full or the call could not start
 * early enough to finish (the expected hold time of a slot, at least the shortest attempt worth
 * starting, before its deadline); later when no slot came in time after all.
 */
async function acquire(limiter: ConcurrencyLimiter, endpoint: Endpoint, deadline: Deadline, timeoutMs: number): Promise<Release> {
  const startBy = deadline.endsAt - Math.max(limiter.holdMs(), minAttemptMs(timeoutMs));
  try {
    return await limiter.acquire({ signal: deadline.signal, startBy });
  } catch (e) {
    if (e instanceof ShedError) {
      if (e.reason === 'queue_full') throw overloaded(endpoint, 'too many OneTalk calls in flight and queued', e.retryAfterMs);
      throw tooLate(endpoint, e.retryAfterMs);
    }
    if (deadline.cause === 'deadline') throw overloaded(endpoint, 'no OneTalk call slot freed within the deadline', undefined);
    throw e; // the caller's or close()'s: translate() names it
  }
}

/** Attempts sent and the last HTTP status seen, for the call's log line and metrics. */
interface CallCount {
  sent: number;
  status: number | undefined;
}

function circuitOpen(endpoint: Endpoint, retryAfterMs: number | undefined): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.CIRCUIT_OPEN, 'OneTalk circuit breaker is open after repeated failures', { endpoint, retryAfterMs });
}

function overloaded(endpoint: Endpoint, why: string, retryAfterMs: number | undefined): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.OVERLOADED, why, { endpoint, retryAfterMs: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs) });
}

function tooLate(endpoint: Endpoint, retryAfterMs: number): OneTalkError {
  return overloaded(endpoint, 'a OneTalk call could not start in time to finish within the deadline', retryAfterMs);
}

/** Everything thrown inside a call becomes a OneTalkError here, at the boundary. */
function translate(endpoint: Endpoint, e: unknown, deadline: Deadline | undefined): OneTalkError {
  if (isOneTalkError(e)) return e;
  if (deadline?.cause === 'caller') return aborted(endpoint);
  if (deadline?.cause === 'shutdown') return closedDuringCall(endpoint);
  if (e instanceof BreakerOpenError) return circuitOpen(endpoint, e.retryAfterMs);
  return new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'OneTalk call failed', { endpoint, cause: sanitizedCause(undefined) });
}

/** Validates options; returns the base URL without trailing slashes (paths bring their own). */
function checkOptions(options: OneTalkClientOptions): string {
  const { baseUrl, apiKey, timeoutMs, paths = {} } = options;
  if (typeof baseUrl !== 'string' || !URL.canParse(baseUrl)) throw new TypeError('OneTalk baseUrl must be an absolute URL');
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('OneTalk baseUrl must be http(s)');
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('OneTalk baseUrl must not carry a query, fragment or credentials');
  }
  // Visible ASCII only: anything else could split the header or be mangled on the wire.
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new TypeError('OneTalk apiKey must be a non-empty string of visible ASCII characters');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError('OneTalk timeoutMs must be a positive integer');
  for (const [name, path] of Object.entries(paths)) {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`OneTalk path for ${name} must start with "/"`);
  }
  return baseUrl.replace(/\/+$/, '');
}
