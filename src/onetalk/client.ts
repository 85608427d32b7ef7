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
import pkg from '../../package.json' with { type: 'json' };
import type { OneTalkCallOptions, OneTalkClient, OneTalkClientOptions, OneTalkLogger, OneTalkObserver } from './client-types.js';
import { BreakerOpenError, createBreaker, type UpstreamBreaker } from './breaker.js';
import { Deadline } from './deadline.js';
import { parseEnvelope } from './envelope.js';
import type { SyncData, TicketData } from './envelope.js';
import { OneTalkError, OneTalkErrorCode, isOneTalkError, sanitizedCause } from './errors.js';
import { prepareBody } from './fields.js';
import { ConcurrencyLimiter, ShedError, type Release } from './limiter.js';
import { DEFAULT_POLICY, checkPolicy, isHealthFailure, minAttemptMs, outcomeKind, retryDelayMs, type UpstreamPolicy } from './policy.js';
import { aborted, closedDuringCall, createTransport, type Transport } from './transport.js';
import { DEFAULT_PATHS, TICKET_LIFETIME_MS } from './types.js';
import type { Endpoint } from './types.js';

export type { OneTalkCallEvent, OneTalkCallOptions, OneTalkClient, OneTalkClientOptions, OneTalkLogger, OneTalkObserver, OneTalkStats } from './client-types.js';

const NOOP_LOGGER: OneTalkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds a client. Throws a TypeError (without echoing the key) when options are unusable. */
export function createOneTalkClient(options: OneTalkClientOptions): OneTalkClient {
  const parts = assemble(options);
  return {
    async requestAuthTicket(user, opts = {}) {
      const { data, startedAt } = await call(parts, 'requestAuthTicket', user, opts);
      const { userID, ticket } = data as TicketData;
      // Conservative: counted from when we asked, not when OneTalk minted it; the JWT is opaque to us.
      return { userID, ticket, expiresAt: new Date(startedAt + TICKET_LIFETIME_MS).toISOString() };
    },
    async syncContact(contact, opts = {}) {
      const { data } = await call(parts, 'syncContact', contact, opts);
      return { userID: data.userID, message: data.message };
    },
    stats: () => ({ breaker: parts.breaker.state, inFlight: parts.limiter.active, queued: parts.limiter.queued }),
    close() {
      parts.closed = true;
      parts.breaker.shutdown();
      parts.transport.close();
    },
  };
}

/** A client's settings and machinery, shared by its calls. */
interface ClientParts {
  readonly base: string;
  readonly paths: Readonly<Record<Endpoint, string>>;
  readonly timeoutMs: number;
  readonly policy: UpstreamPolicy;
  readonly now: () => number;
  readonly random: () => number;
  readonly logger: OneTalkLogger;
  readonly observer: OneTalkObserver;
  readonly transport: Transport;
  readonly limiter: ConcurrencyLimiter;
  readonly breaker: UpstreamBreaker;
  /** Takes the key out of any text OneTalk sends back. */
  readonly redact: (text: string) => string;
  /** Calls in flight, cancelled together on close(). */
  readonly inFlight: Set<Deadline>;
  closed: boolean;
}

/** Step 1: checks the options and builds the transport, the queue and the breaker. */
function assemble(options: OneTalkClientOptions): ClientParts {
  const { apiKey, timeoutMs } = options;
  const base = checkOptions(options);
  const policy = checkPolicy({ ...DEFAULT_POLICY, ...options.policy });
  const logger = options.logger ?? NOOP_LOGGER;
  const observer = options.observer ?? {};
  const transport = createTransport({ base, apiKey, userAgent: options.userAgent ?? `${pkg.name}/${pkg.version}`, dispatcher: options.dispatcher });
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
  const inFlight = new Set<Deadline>();
  // One listener here rather than one per call on the breaker's signal: a thousand concurrent
  // calls would otherwise hang a thousand listeners on one AbortSignal.
  breaker.signal.addEventListener('abort', () => {
    for (const deadline of inFlight) deadline.cancel('shutdown');
  });
  return {
    base,
    paths: { ...DEFAULT_PATHS, ...options.paths },
    timeoutMs,
    policy,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    logger,
    observer,
    transport,
    limiter,
    breaker,
    // If OneTalk ever echoed the header back in a message, it still would not reach an error.
    redact: (text) => text.split(apiKey).join('[redacted]'),
    inFlight,
    closed: false,
  };
}

/** Step 2: one call through the guards (breaker, queue, deadline), reported once it settles. */
async function call(
  parts: ClientParts,
  endpoint: Endpoint,
  input: unknown,
  opts: OneTalkCallOptions,
): Promise<{ data: TicketData | SyncData; startedAt: number }> {
  const { breaker, limiter, timeoutMs } = parts;
  const startedAt = parts.now();
  const t0 = performance.now();
  const count: CallCount = { sent: 0, status: undefined };
  let failure: OneTalkError | undefined;
  let deadline: Deadline | undefined;
  let release: Release | undefined;
  try {
    if (parts.closed) throw new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'the OneTalk client is closed', { endpoint });
    const body = JSON.stringify(prepareBody(endpoint, input));
    if (opts.signal?.aborted) throw aborted(endpoint);
    if (breaker.refusing()) throw circuitOpen(endpoint, breaker.retryAfterMs());
    deadline = new Deadline(timeoutMs, opts.signal);
    parts.inFlight.add(deadline);
    // Every slot taken: this call queues, and may start long after its caller decided to make it.
    const queues = limiter.active >= limiter.maxConcurrent;
    release = await acquire(limiter, endpoint, deadline, timeoutMs);
    const { stillWanted } = opts;
    const confirm = stillWanted && (async () => {
      if (!(await stillWanted().catch(() => false))) throw aborted(endpoint);
    });
    if (queues && confirm) await confirm();
    const active = deadline;
    // Only a call that waited for the breaker's probe can be this late.
    const ready = () => {
      if (active.remainingMs() < minAttemptMs(timeoutMs)) throw tooLate(endpoint, 0);
    };
    const data = await breaker.run(() => attempts(parts, endpoint, body, active, count), { signal: active.signal, ready, ...(confirm ? { afterWait: confirm } : {}) });
    return { data, startedAt };
  } catch (e) {
    failure = translate(endpoint, e, deadline);
    throw failure;
  } finally {
    // Slot hold times are learnt only from calls that went upstream and were not cut short
    // by their caller or by close(): those say nothing about OneTalk.
    release?.(count.sent > 0 && deadline?.cause !== 'caller' && deadline?.cause !== 'shutdown');
    if (deadline) {
      parts.inFlight.delete(deadline);
      deadline.dispose();
    }
    report(parts, endpoint, count, failure, performance.now() - t0);
  }
}

/** Step 3: attempts until success, a failure that must not be retried, or no budget left. */
async function attempts(parts: ClientParts, endpoint: Endpoint, body: string, deadline: Deadline, count: CallCount): Promise<TicketData | SyncData> {
  const { policy, timeoutMs } = parts;
  for (let retry = 0; ; retry++) {
    try {
      count.sent += 1;
      const res = await parts.transport.post(endpoint, parts.base + parts.paths[endpoint], body, deadline);
      count.status = res.status;
      return parseEnvelope(endpoint, res.status, res.headers, res.data, { now: parts.now, redact: parts.redact });
    } catch (err) {
      const delay = retry < policy.maxRetries ? retryDelayMs(err, retry, policy, parts.random) : undefined;
      // Retry only if the wait leaves the next attempt a real chance inside the deadline.
      if (delay === undefined || delay + minAttemptMs(timeoutMs) > deadline.remainingMs()) throw err;
      parts.logger.debug({ endpoint, retry: retry + 1, delayMs: delay, after: isOneTalkError(err) ? err.code : 'unknown' }, 'onetalk retry');
      // Cut short: ABORTED if the caller gave up, else the failure that caused the wait.
      if (!(await deadline.pause(delay))) throw deadline.cause === 'caller' ? aborted(endpoint) : err;
    }
  }
}

/** Step 4: one log line and one observer event per call, safe by construction: no key, body, ticket nor headers. */
function report(parts: ClientParts, endpoint: Endpoint, count: CallCount, failure: OneTalkError | undefined, durationMs: number): void {
  const outcome = failure === undefined ? 'ok' : failure.code;
  const upstreamStatus = failure?.upstreamStatus ?? count.status;
  parts.logger.debug({ endpoint, upstreamStatus, outcome, attempts: count.sent, durationMs: Math.round(durationMs) }, 'onetalk call');
  parts.observer.call?.({ endpoint, outcome: outcomeKind(failure), durationMs, attempts: count.sent });
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
