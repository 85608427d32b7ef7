import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { withTimeout } from '../../src/onetalk/deadline.js';

const never = new Promise<never>(() => {});

describe('withTimeout (the one timeout race)', () => {
  it('settles as the work does when the work is first', async () => {
    expect(await withTimeout(Promise.resolve('done'), 1000, () => 'late')).to.equal('done');
    const failed = await withTimeout(Promise.reject(new Error('work failed')), 1000, () => 'late').catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(Error).with.property('message', 'work failed');
  });

  it('answers with the fallback once the time is up', async () => {
    const started = performance.now();
    expect(await withTimeout(never, 30, () => 'fallback')).to.equal('fallback');
    expect(performance.now() - started).to.be.at.least(25);
  });

  it('rejects with what the fallback throws', async () => {
    const failed = await withTimeout(never, 10, () => {
      throw new RangeError('too slow');
    }).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(RangeError).with.property('message', 'too slow');
  });

  it('never calls the fallback after the work won', async () => {
    let called = false;
    await withTimeout(Promise.resolve(1), 10, () => (called = true));
    // Timers of one duration fire in the order they were set: once this one has fired, the
    // race's own timer would have too, had it not been cleared.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(called).to.equal(false);
  });

  it('lets an answer that arrived in time win over a timer due at the same moment (a stalled event loop)', async () => {
    // One thread-pool job: its callback is ready during the stall below, like a Redis reply
    // sitting in the socket while a GC pause or a starved process holds the loop.
    const work = new Promise<string>((resolve) => randomBytes(8, () => resolve('answer')));
    const raced = withTimeout(work, 20, () => 'timeout');
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // busy: the loop is stalled past the deadline while the answer is ready
    }
    expect(await raced).to.equal('answer');
  });
});
