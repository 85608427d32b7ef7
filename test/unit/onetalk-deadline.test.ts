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
});
