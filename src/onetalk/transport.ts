/**
 * One HTTP attempt at OneTalk, and the translation of every transport failure into a
 * {@link OneTalkError}.
 *
 * The key lives in the axios instance's default headers and nowhere else: it is never logged,
 * never put in an error, and axios errors (whose `config.headers` hold it) never leave this file.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
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
  agent?: { http?: http.Agent | undefined; https?: https.Agent | undefined } | undefined;
}

/** Sends one POST; the client owns retries, deadlines and the breaker. */
export interface Transport {
  /** One attempt under `deadline`'s signal. Rejects only with OneTalkError. */
  post(endpoint: Endpoint, url: string, body: string, deadline: Deadline): Promise<AxiosResponse<unknown>>;
  /** Destroys the agents this transport created (injected ones belong to the caller). */
  close(): void;
}

export function createTransport(options: TransportOptions): Transport {
  const ownAgents: Array<http.Agent> = [];
  const own = <A extends http.Agent>(agent: A): A => (ownAgents.push(agent), agent);
  const httpAgent = options.agent?.http ?? own(new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }));
  const httpsAgent = options.agent?.https ?? own(new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }));

  const instance: AxiosInstance = axios.create({
    adapter: 'http',
    headers: {
      'API-Key': options.apiKey,
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': options.userAgent,
    },
    httpAgent,
    httpsAgent,
    proxy: false, // never route the key through an ambient HTTP(S)_PROXY
    maxRedirects: 0, // a redirect would resend the key to wherever it points
    maxContentLength: MAX_BODY_BYTES,
    maxBodyLength: MAX_BODY_BYTES,
    // No axios `timeout`: the call's deadline signal bounds every attempt, including a
    // connection that never opens, which axios' own timer does not cover.
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
    validateStatus: () => true, // every status is the envelope parser's to judge
    responseType: 'text',
    responseEncoding: 'utf8',
    transformRequest: [(d: unknown) => d],
    transformResponse: [(d: unknown) => d],
  });

  return {
    async post(endpoint, url, body, deadline) {
      try {
        return await instance.post<unknown>(url, body, { signal: deadline.signal });
      } catch (e) {
        throw transportError(endpoint, e, deadline);
      }
    },
    close() {
      for (const agent of ownAgents) agent.destroy();
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
  if (code === 'ERR_CANCELED') return aborted(endpoint);
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

/** The status of a response that had begun before the failure, if any (axios keeps it on the error). */
function responseStatus(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const status = (e as { response?: { status?: unknown } }).response?.status;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
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
