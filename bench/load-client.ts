/**
 * The load script's client, in its own process (forked by load-burst.ts), so that a thousand
 * fetches do not share the gateway's event loop and the latencies it reports are the gateway's.
 *
 * Says 'ready', receives one {@link BurstOrder} over IPC, fires every request at once, answers
 * with the {@link BurstReport} and exits.
 */
import type { Answer, BurstOrder, BurstReport } from './load-burst.js';

/** The burst is bounded in time as well as in count. */
const BURST_LIMIT_MS = 60_000;

async function fire(order: BurstOrder): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: order.requests }, async (_, i): Promise<Answer> => {
      const t0 = performance.now();
      const answer: Answer = { status: 0, ms: 0, code: undefined, retryAfter: null, ticket: undefined };
      try {
        const res = await fetch(order.url, {
          method: 'POST',
          headers: { 'x-csrf': '1', cookie: order.cookies[i % order.cookies.length]! },
          signal: AbortSignal.timeout(BURST_LIMIT_MS),
        });
        answer.status = res.status;
        answer.retryAfter = res.headers.get('retry-after');
        const body = (await res.json()) as { ticket?: string; code?: string };
        answer.ticket = body.ticket;
        answer.code = body.code;
      } catch (err) {
        answer.status = -1;
        answer.code = `client: ${String((err as Error).cause ?? err)}`.slice(0, 80);
      }
      answer.ms = performance.now() - t0;
      return answer;
    }),
  );
}

process.once('message', (order: BurstOrder) => {
  const started = performance.now();
  void fire(order).then((answers) => {
    const report: BurstReport = { answers, wallMs: performance.now() - started };
    process.send!(report, () => process.exit(0));
  });
});
process.once('disconnect', () => process.exit(1));
process.send!('ready');
