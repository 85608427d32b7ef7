/**
 * Steady widget traffic from signed-in browsers: each one reads its session and asks for a ticket,
 * again and again, until stopped. Tickets go through the real widget client (public/livechat.js)
 * and its retry rules; session reads follow the same rules. Every logical request is counted once,
 * with the attempts it took, so a test can tell what the client's retries absorbed from what
 * reached the user as a failure.
 */
import { createLivechatClient } from '../../../public/livechat.js';
import type { CookieClient } from '../../helpers/cookie-client.js';

/** livechat.js's rules: retry 429, 503, 504 and network errors, 4 attempts, 500 ms doubling, full jitter. */
const RETRYABLE = new Set([429, 503, 504]);
const MAX_ATTEMPTS = 4;
const BASE_DELAY_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TrafficReport {
  /** Logical requests (a session read or a ticket), however many attempts each took. */
  requests: number;
  sessionReads: number;
  tickets: number;
  /** Logical requests that needed more than one attempt (the retry absorbed a failure). */
  retried: number;
  /** Of those, the ones that succeeded in the end: what the retry absorbed. */
  absorbed: number;
  /** Attempts beyond the first, over all requests. */
  extraAttempts: number;
  /** What failed attempts answered: status codes, or `network` for a failed connection. */
  failedAttempts: Record<string, number>;
  /** The same by status and problem `code` (`503 session_store_unavailable`), for answers that had one. */
  failedCodes: Record<string, number>;
  /** Logical requests that failed after the client's retries, or answered something unexpected. */
  failures: string[];
  /** Session reads that found the browser signed out. */
  signedOut: number;
}

/** Counts a failed answer by status and problem code (read from a copy: the caller reads the body too). */
async function countCode(res: Response, report: TrafficReport): Promise<void> {
  const code = ((await res.clone().json().catch(() => undefined)) as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return;
  const key = `${res.status} ${code}`;
  report.failedCodes[key] = (report.failedCodes[key] ?? 0) + 1;
}

async function sessionRead(browser: CookieClient, url: string, report: TrafficReport): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    let status: number | 'network';
    let authenticated: unknown;
    try {
      const res = await browser.get(`${url}/auth/session`);
      status = res.status;
      if (!res.ok) await countCode(res, report);
      authenticated = res.ok ? ((await res.json()) as { authenticated?: unknown }).authenticated : (await res.arrayBuffer(), undefined);
    } catch {
      status = 'network';
    }
    if (status === 200) {
      if (attempt > 1) {
        report.retried += 1;
        report.absorbed += 1;
      }
      if (authenticated !== true) report.signedOut += 1;
      return;
    }
    report.failedAttempts[String(status)] = (report.failedAttempts[String(status)] ?? 0) + 1;
    if ((status !== 'network' && !RETRYABLE.has(status)) || attempt >= MAX_ATTEMPTS) {
      if (attempt > 1) report.retried += 1;
      report.failures.push(`GET /auth/session: ${status} after ${attempt} attempts`);
      return;
    }
    report.extraAttempts += 1;
    await sleep(Math.random() * BASE_DELAY_MS * 2 ** (attempt - 1));
  }
}

/**
 * Starts one loop per browser; `report` fills in as they go (a test can wait on it), and `stop()`
 * lets every loop finish its current request.
 */
export function startTraffic(url: string, browsers: CookieClient[], pauseMs = 50): { readonly report: TrafficReport; stop(): Promise<TrafficReport> } {
  const report: TrafficReport = {
    requests: 0,
    sessionReads: 0,
    tickets: 0,
    retried: 0,
    absorbed: 0,
    extraAttempts: 0,
    failedAttempts: {},
    failedCodes: {},
    failures: [],
    signedOut: 0,
  };
  let running = true;
  const loops = browsers.map(async (browser) => {
    let attempts = 0;
    const widget = createLivechatClient({
      gatewayUrl: url,
      lockName: false,
      fetch: async (input, init) => {
        attempts += 1;
        try {
          const res = await browser.request(input, init);
          if (!res.ok) {
            report.failedAttempts[String(res.status)] = (report.failedAttempts[String(res.status)] ?? 0) + 1;
            await countCode(res, report);
          }
          return res;
        } catch (err) {
          report.failedAttempts.network = (report.failedAttempts.network ?? 0) + 1;
          throw err;
        }
      },
    });
    while (running) {
      report.requests += 1;
      report.sessionReads += 1;
      await sessionRead(browser, url, report);
      report.requests += 1;
      report.tickets += 1;
      attempts = 0;
      let succeeded = false;
      try {
        const { ticket } = await widget.getTicket();
        succeeded = typeof ticket === 'string' && ticket.length > 0;
        if (!succeeded) report.failures.push('POST /api/livechat/ticket: no ticket');
      } catch (err) {
        report.failures.push(`POST /api/livechat/ticket: ${(err as { code?: string }).code ?? String(err)} after ${attempts} attempts`);
      }
      if (attempts > 1) {
        report.retried += 1;
        if (succeeded) report.absorbed += 1;
        report.extraAttempts += attempts - 1;
      }
      await sleep(pauseMs);
    }
  });
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(loops);
      return report;
    },
  };
}
