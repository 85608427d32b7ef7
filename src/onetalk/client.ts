/**
 * The OneTalk User/Contact API client: validate the body, send it with the secret API-Key under
 * one whole-call deadline, read the answer strictly, and let only {@link OneTalkError} out.
 *
 * The key lives in the axios instance's default headers and nowhere else: it is never logged,
 * never put in an error, and axios errors (whose `config.headers` hold it) never leave this file.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import pkg from '../../package.json' with { type: 'json' };
import { parseEnvelope } from './envelope.js';
import type { SyncData, TicketData } from './envelope.js';
import { OneTalkError, OneTalkErrorCode, isOneTalkError, sanitizedCause } from './errors.js';
import { prepareBody } from './fields.js';
import { DEFAULT_PATHS, TICKET_LIFETIME_MS } from './types.js';
import type { AuthTicket, Endpoint, SyncContact, SyncResult, TicketUser } from './types.js';

/** The slice of a pino logger this client uses; pino's `Logger` satisfies it. */
export interface OneTalkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How to build a {@link OneTalkClient}. */
export interface OneTalkClientOptions {
  /** Origin (and optional path prefix) of the API, e.g. `https://onetalk-api.taptalk.io`. */
  baseUrl: string;
  /** The organization's secret API key. */
  apiKey: string;
  /** Whole-call deadline in ms: connecting, sending, waiting and reading together. */
  timeoutMs: number;
  /** Overrides of {@link DEFAULT_PATHS}, e.g. the `/api/integration` copy of the ticket path. */
  paths?: Partial<Record<Endpoint, string>>;
  /** Defaults to `onetalk-gateway/<version>`. */
  userAgent?: string;
  logger?: OneTalkLogger;
  /** Injected agents are used as given and left open by `close()`; the caller owns them. */
  agent?: { http?: http.Agent; https?: https.Agent };
  /** Clock for `expiresAt` and Retry-After dates; defaults to `Date.now`. */
  now?: () => number;
}

/** Per-call options. */
export interface OneTalkCallOptions {
  /** Aborting rejects the call with `ONETALK_ABORTED` and tears down its connection. */
  signal?: AbortSignal;
}

/** A OneTalk API client. Every method rejects only with {@link OneTalkError}. */
export interface OneTalkClient {
  /** Mints a single-use auth ticket for `user` (and upserts the contact). Never cache the result. */
  requestAuthTicket(user: TicketUser, opts?: OneTalkCallOptions): Promise<AuthTicket>;
  /** Creates or updates the OneTalk contact for `contact`. */
  syncContact(contact: SyncContact, opts?: OneTalkCallOptions): Promise<SyncResult>;
  /** Destroys the client's own keep-alive agents; later calls reject with `ONETALK_UNAVAILABLE`. */
  close(): void;
}

/** An upstream answer larger than this is not an auth ticket: refuse to buffer it. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Idle keep-alive sockets are dropped after this long, below common server keep-alive timeouts
 * (Node 5 s, nginx 75 s), so we rarely write into a socket the server is closing.
 */
const IDLE_SOCKET_MS = 4_000;
const NOOP_LOGGER: OneTalkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds a client. Throws a TypeError (without echoing the key) when options are unusable. */
export function createOneTalkClient(options: OneTalkClientOptions): OneTalkClient {
  const { apiKey, timeoutMs } = options;
  const base = checkOptions(options);
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const now = options.now ?? Date.now;
  const logger = options.logger ?? NOOP_LOGGER;
  const ownAgents: Array<http.Agent> = [];
  const own = <A extends http.Agent>(agent: A): A => (ownAgents.push(agent), agent);
  const httpAgent = options.agent?.http ?? own(new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }));
  const httpsAgent = options.agent?.https ?? own(new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }));
  // If OneTalk ever echoed the header back in a message, it still would not reach an error.
  const redact = (text: string) => text.split(apiKey).join('[redacted]');
  let closed = false;

  const axiosInstance: AxiosInstance = axios.create({
    adapter: 'http',
    headers: {
      'API-Key': apiKey,
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': options.userAgent ?? `${pkg.name}/${pkg.version}`,
    },
    httpAgent,
    httpsAgent,
    proxy: false, // never route the key through an ambient HTTP(S)_PROXY
    maxRedirects: 0, // a redirect would resend the key to wherever it points
    maxContentLength: MAX_BODY_BYTES,
    maxBodyLength: MAX_BODY_BYTES,
    timeout: timeoutMs,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
    validateStatus: () => true, // every status is the envelope parser's to judge
    responseType: 'text',
    responseEncoding: 'utf8',
    transformRequest: [(d: unknown) => d],
    transformResponse: [(d: unknown) => d],
  });

  async function call(endpoint: Endpoint, input: unknown, opts: OneTalkCallOptions): Promise<{ data: TicketData | SyncData; startedAt: number }> {
    const startedAt = now();
    const t0 = performance.now();
    let upstreamStatus: number | undefined;
    let outcome = 'ok';
    try {
      if (closed) throw new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'the OneTalk client is closed', { endpoint });
      const body = prepareBody(endpoint, input);
      if (opts.signal?.aborted) throw aborted(endpoint);
      const res = await send(endpoint, JSON.stringify(body), opts.signal);
      upstreamStatus = res.status;
      const text = typeof res.data === 'string' ? res.data : '';
      return { data: parseEnvelope(endpoint, res.status, { ...res.headers }, text, { now, redact }), startedAt };
    } catch (e) {
      const err = isOneTalkError(e) ? e : new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'OneTalk call failed', { endpoint, cause: sanitizedCause(undefined) });
      outcome = err.code;
      throw err;
    } finally {
      // One line per call, safe by construction: no key, body, ticket nor headers.
      logger.debug({ endpoint, upstreamStatus, outcome, durationMs: Math.round(performance.now() - t0) }, 'onetalk call');
    }
  }

  /** One POST under the whole-call deadline; transport failures come out translated. */
  async function send(endpoint: Endpoint, body: string, callerSignal: AbortSignal | undefined): Promise<AxiosResponse<unknown>> {
    // Our own controller rather than AbortSignal.any([AbortSignal.timeout(), caller]): it
    // records which side fired (deadline vs caller) and its timer and listener are released
    // as soon as the call settles. axios's own `timeout` stays on as a second line.
    const controller = new AbortController();
    let abortedBy: 'deadline' | 'caller' | undefined;
    const timer = setTimeout(() => {
      abortedBy ??= 'deadline';
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => {
      abortedBy ??= 'caller';
      controller.abort();
    };
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await axiosInstance.post<unknown>(base + paths[endpoint], body, { signal: controller.signal });
    } catch (e) {
      throw transportError(endpoint, e, abortedBy, timeoutMs);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
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
    close() {
      closed = true;
      for (const agent of ownAgents) agent.destroy();
    },
  };
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

function aborted(endpoint: Endpoint): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.ABORTED, 'the caller aborted the OneTalk call', { endpoint });
}

/**
 * Maps a transport failure to a OneTalkError. Only the low-level `code` survives, as a fresh
 * sanitized cause: the library error itself carries the request headers, hence the key.
 */
function transportError(endpoint: Endpoint, e: unknown, abortedBy: 'deadline' | 'caller' | undefined, timeoutMs: number): OneTalkError {
  const code = errorCode(e);
  const cause = sanitizedCause(code);
  const timeout = () =>
    new OneTalkError(OneTalkErrorCode.TIMEOUT, `no complete answer from OneTalk within ${timeoutMs} ms`, { endpoint, cause });
  if (abortedBy === 'caller') return aborted(endpoint);
  if (abortedBy === 'deadline' || code === 'ETIMEDOUT') return timeout();
  if (code === 'ERR_CANCELED') return aborted(endpoint);
  if (code === 'ERR_BAD_RESPONSE' || code?.startsWith('HPE_')) {
    return new OneTalkError(OneTalkErrorCode.BAD_RESPONSE, `OneTalk sent an unreadable or oversized answer (${cause.message})`, { endpoint, cause });
  }
  return new OneTalkError(OneTalkErrorCode.UNAVAILABLE, `could not reach OneTalk (${cause.message})`, { endpoint, cause });
}

/** The first string `code` on an error or its cause chain (axios copies Node's code up). */
function errorCode(e: unknown): string | undefined {
  let current: unknown = e;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}
