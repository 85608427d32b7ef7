/**
 * One HTTP attempt at OneTalk, and the translation of every transport failure into a
 * {@link OneTalkError}.
 *
 * undici's `request` (Node's own HTTP client, without the fetch layer): on the ticket route the
 * upstream call is most of the gateway's own work, and `request` spends the least CPU per call
 * of the clients at hand (no fetch Headers and streams, no adapter layer as in axios).
 *
 * The key lives in this module's header set and nowhere else: it is never logged, never put in
 * an error, and library errors never leave this file (only their low-level `code` does).
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { Deadline } from './deadline.js';
import { OneTalkError, OneTalkErrorCode, sanitizedCause } from './errors.js';
import type { Endpoint } from './types.js';

/** An upstream answer larger than this is not an auth ticket: refuse to buffer it. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Idle keep-alive sockets are dropped after this long, below common server keep-alive timeouts
 * (Node 5 s, nginx 75 s), so we rarely write into a socket the server is closing.
 */
const IDLE_SOCKET_MS = 4_000;

/** What {@link createTransport} needs. */
export interface TransportOptions {
  /** Base URL without trailing slashes. */
  base: string;
  apiKey: string;
  userAgent: string;
  /** An undici dispatcher to send through (tests); the caller owns it. Default: one of our own. */
  dispatcher?: Dispatcher | undefined;
}

/** One answer: status, headers (lower-case names) and the body as text. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: string;
}

/** Sends one POST; the client owns retries, deadlines and the breaker. */
export interface Transport {
  /** One attempt under `deadline`'s signal. Rejects only with OneTalkError. */
  post(endpoint: Endpoint, url: string, body: string, deadline: Deadline): Promise<TransportResponse>;
  /** Closes the dispatcher this transport created (an injected one belongs to the caller). */
  close(): void;
}

/** A failure after the answer began: the status travels with it (OneTalk saw the request). */
class BodyError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

async function readText(body: Dispatcher.ResponseData['body'], status: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new BodyError('ERR_BAD_RESPONSE', status);
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    body.destroy();
    // The answer had begun: OneTalk saw (and may have acted on) the request. A body cut short is
    // an unreadable answer, never a "could not reach" that the retry policy would resend.
    throw e instanceof BodyError ? e : new BodyError('ERR_BAD_RESPONSE', status, { cause: e });
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createTransport(options: TransportOptions): Transport {
  const own = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: IDLE_SOCKET_MS, keepAliveMaxTimeout: IDLE_SOCKET_MS });
  const headers = {
    'api-key': options.apiKey,
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': options.userAgent,
  };

  return {
    async post(endpoint, url, body, deadline) {
      try {
        // No redirects followed (a redirect would resend the key to wherever it points), no
        // ambient proxy (undici's Agent never reads HTTP(S)_PROXY), no timers of undici's own:
        // the call's deadline signal bounds every attempt, including a connection that never opens.
        const res = await request(url, { method: 'POST', headers, body, signal: deadline.signal, dispatcher, maxRedirections: 0 });
        return { status: res.statusCode, headers: res.headers, data: await readText(res.body, res.statusCode) };
      } catch (e) {
        throw transportError(endpoint, e, deadline);
      }
    },
    close() {
      if (own) void dispatcher.destroy().catch(() => undefined);
    },
  };
}

/**
 * Maps a transport failure to a OneTalkError. Only the low-level `code` survives, as a fresh
 * sanitized cause: the library error itself carries the request headers, hence the key.
 *
 * When the failure came after the response had begun (a reset or a truncation mid-body), the
 * error carries that response's `upstreamStatus`: OneTalk has then seen, and maybe acted on, the
 * request, which the retry policy needs to know.
 */
function transportError(endpoint: Endpoint, e: unknown, deadline: Deadline): OneTalkError {
  const code = errorCode(e);
  const cause = sanitizedCause(code);
  const upstreamStatus = responseStatus(e);
  switch (deadline.cause) {
    case 'caller':
      return aborted(endpoint);
    case 'shutdown':
      return closedDuringCall(endpoint, cause);
    case 'deadline':
      return timeout(endpoint, deadline.timeoutMs, cause, upstreamStatus);
    default:
  }
  if (code === 'ETIMEDOUT') return timeout(endpoint, deadline.timeoutMs, cause, upstreamStatus);
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return aborted(endpoint);
  if (code === 'ERR_BAD_RESPONSE' || code?.startsWith('HPE_')) {
    return new OneTalkError(OneTalkErrorCode.BAD_RESPONSE, `OneTalk sent an unreadable or oversized answer (${cause.message})`, {
      endpoint,
      cause,
      upstreamStatus,
    });
  }
  return new OneTalkError(OneTalkErrorCode.UNAVAILABLE, `could not reach OneTalk (${cause.message})`, { endpoint, cause, upstreamStatus });
}

/** The caller's own signal fired. */
export function aborted(endpoint: Endpoint): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.ABORTED, 'the caller aborted the OneTalk call', { endpoint });
}

/** close() cut the call short. */
export function closedDuringCall(endpoint: Endpoint, cause?: Error): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.UNAVAILABLE, 'the OneTalk client closed during the call', { endpoint, cause });
}

function timeout(endpoint: Endpoint, timeoutMs: number, cause: Error, upstreamStatus: number | undefined): OneTalkError {
  return new OneTalkError(OneTalkErrorCode.TIMEOUT, `no complete answer from OneTalk within ${timeoutMs} ms`, { endpoint, cause, upstreamStatus });
}

/** The status of a response that had begun before the failure, if any. */
function responseStatus(e: unknown): number | undefined {
  return e instanceof BodyError ? e.status : undefined;
}

/**
 * The failure's low-level code. undici wraps the socket's own error: an errno code anywhere in
 * the chain (ECONNREFUSED, ECONNRESET…) wins over undici's wrapper code; a socket the server
 * closed without an errno ("other side closed") is a reset, a parse failure keeps its `HPE_` code.
 */
function errorCode(e: unknown): string | undefined {
  let first: string | undefined;
  let current: unknown = e;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (/^E[A-Z]+$/.test(code) || code.startsWith('HPE_')) return code;
      first ??= code;
    }
    current = cause;
  }
  if (first === 'UND_ERR_SOCKET') return 'ECONNRESET';
  if (first === 'UND_ERR_CONNECT_TIMEOUT' || first === 'UND_ERR_HEADERS_TIMEOUT' || first === 'UND_ERR_BODY_TIMEOUT') return 'ETIMEDOUT';
  return first;
}
