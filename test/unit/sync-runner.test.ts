import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { OneTalkError, OneTalkErrorCode, type SyncContact } from '../../src/onetalk/index.js';
import type { SourceRow } from '../../src/sync/reader.js';
import type { InvalidRow, RejectedRow, RowSink } from '../../src/sync/report.js';
import { runSync, type RunOptions } from '../../src/sync/runner.js';

/** Rows `c:0..n-1` on lines 2.., counting how many the runner has pulled. */
function source(n: number, make: (i: number) => Record<string, string> = (i) => ({ customerUserID: `c:${i}`, fullName: `N${i}` })) {
  const state = { pulled: 0 };
  async function* rows(): AsyncGenerator<SourceRow> {
    for (let i = 0; i < n; i++) {
      state.pulled++;
      yield { line: i + 2, value: make(i), bytes: i };
    }
  }
  return { rows: rows(), state };
}

function memorySink() {
  const sink = { ok: [] as number[], invalid: [] as InvalidRow[], rejected: [] as RejectedRow[] };
  const rowSink: RowSink = {
    ok: (line) => sink.ok.push(line),
    invalid: (row) => sink.invalid.push(row),
    rejected: (row) => sink.rejected.push(row),
    settle: async () => {},
  };
  return { sink, rowSink };
}

const fail = (code: OneTalkErrorCode, extra: { upstreamCode?: string; upstreamStatus?: number } = {}) =>
  new OneTalkError(code, `failed with ${code}`, { endpoint: 'syncContact', ...extra });

async function run(options: Partial<RunOptions> & Pick<RunOptions, 'rows'>) {
  const { sink, rowSink } = memorySink();
  const result = await runSync({ sink: rowSink, concurrency: 4, ...options });
  return { ...result, sink };
}

describe('the sync runner', () => {
  it('never has more than `concurrency` calls in flight, nor reads further ahead than that', async () => {
    const { rows, state } = source(60);
    let inFlight = 0;
    let maxInFlight = 0;
    let maxAhead = 0;
    let settled = 0;
    const result = await run({
      rows,
      concurrency: 5,
      send: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        maxAhead = Math.max(maxAhead, state.pulled - settled);
        await sleep(2);
        inFlight--;
        settled++;
      },
    });
    expect(result.outcome).to.equal('completed');
    expect(result.sink.ok).to.have.length(60);
    expect(maxInFlight).to.equal(5);
    expect(maxAhead).to.be.at.most(5);
  });

  it('never flies two rows of one contact (same customerUserID or phone) at once', async () => {
    const keys = ['a', 'b', 'a', 'c', 'a'];
    const { rows } = source(5, (i) => ({ customerUserID: i === 3 ? 'd' : keys[i]!, fullName: `N${i}`, ...(i >= 3 ? { phone: '6281234567890' } : {}) }));
    const flying = new Set<string>();
    const clashes: string[] = [];
    const order: string[] = [];
    await run({
      rows,
      concurrency: 8,
      send: async (contact: SyncContact) => {
        for (const key of [contact.customerUserID, contact.phone]) if (key && flying.has(key)) clashes.push(key);
        const mine = [contact.customerUserID, contact.phone].filter((k): k is string => k !== undefined);
        mine.forEach((k) => flying.add(k));
        await sleep(5);
        mine.forEach((k) => flying.delete(k));
        order.push(`${contact.customerUserID}:${contact.fullName}`);
      },
    });
    expect(clashes).to.deep.equal([]);
    expect(order.filter((o) => o.startsWith('a:'))).to.deep.equal(['a:N0', 'a:N2', 'a:N4']);
  });

  it('spaces call starts to the rate cap', async () => {
    const { rows } = source(6);
    const starts: number[] = [];
    await run({ rows, ratePerSecond: 50, send: async () => void starts.push(performance.now()) });
    // 20 ms apart on average (a late timer is made up by the next start: the cap is a rate).
    expect(starts.at(-1)! - starts[0]!).to.be.at.least(95);
  });

  it('in a dry run validates only and calls nothing', async () => {
    const { rows } = source(3, (i) => ({ customerUserID: `c:${i}`, fullName: i === 1 ? '' : 'N' }));
    const result = await run({ rows });
    expect(result.stats).to.include({ rows: 3, ok: 2, invalid: 1 });
    expect(result.sink.invalid).to.deep.equal([{ line: 3, customerUserID: 'c:1', field: 'fullName', message: 'fullName is required' }]);
  });

  it('reports a refused row with OneTalk\'s code and goes on', async () => {
    const { rows } = source(3);
    const result = await run({
      rows,
      send: async (c) => {
        if (c.customerUserID === 'c:1') throw fail(OneTalkErrorCode.REJECTED, { upstreamCode: '40901', upstreamStatus: 409 });
      },
    });
    expect(result.outcome).to.equal('completed');
    expect(result.sink.ok.sort()).to.deep.equal([2, 4]);
    expect(result.sink.rejected).to.deep.equal([
      { line: 3, customerUserID: 'c:1', code: '40901', httpStatus: 409, error: 'ONETALK_REJECTED', message: 'failed with ONETALK_REJECTED' },
    ]);
  });

  for (const code of [OneTalkErrorCode.TIER_NOT_SELECTED, OneTalkErrorCode.KEY_REFUSED, OneTalkErrorCode.CIRCUIT_OPEN]) {
    it(`stops at once on ${code}: no further row is sent, none is reported as rejected`, async () => {
      const { rows } = source(100);
      let calls = 0;
      const result = await run({
        rows,
        concurrency: 3,
        send: async () => {
          calls++;
          await sleep(1);
          throw fail(code, { upstreamCode: '49900' });
        },
      });
      expect(result.outcome).to.equal('stopped');
      expect(result.stop).to.include({ code });
      expect(calls).to.be.at.most(3);
      expect(result.sink.rejected).to.deep.equal([]);
    });
  }

  it('stops when OneTalk cannot be reached call after call', async () => {
    const { rows } = source(1000);
    const result = await run({ rows, concurrency: 2, send: async () => Promise.reject(fail(OneTalkErrorCode.UNAVAILABLE)) });
    expect(result.outcome).to.equal('stopped');
    expect(result.stop?.code).to.equal('ONETALK_UNREACHABLE');
    expect(result.sink.rejected.length).to.be.within(25, 27);
  });

  it('on a graceful stop reads no more rows and lets the calls in flight finish', async () => {
    const { rows, state } = source(100);
    const stop = new AbortController();
    const result = await run({
      rows,
      stop: stop.signal,
      send: async (c) => {
        if (c.customerUserID === 'c:10') stop.abort();
        await sleep(3);
      },
    });
    expect(result.outcome).to.equal('interrupted');
    expect(result.sink.ok.length).to.be.within(11, 15);
    expect(state.pulled).to.be.below(20);
  });

  it('on a hard abort cancels the calls in flight and records them nowhere', async () => {
    const { rows } = source(100);
    const abort = new AbortController();
    const result = await run({
      rows,
      abort: abort.signal,
      send: (c, signal) =>
        new Promise((resolve, reject) => {
          if (c.customerUserID === 'c:6') abort.abort();
          const timer = setTimeout(resolve, 50);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(fail(OneTalkErrorCode.ABORTED))), { once: true });
        }),
    });
    expect(result.outcome).to.equal('interrupted');
    // Only the first four (done before the abort) are ok; the aborted ones are neither ok nor rejected.
    expect(result.sink.ok.length).to.be.at.most(4);
    expect(result.sink.rejected).to.deep.equal([]);
  });
});
