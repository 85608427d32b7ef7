import { expect } from 'chai';
import { MemoryTransactionStore, type LoginTransaction } from '../../src/auth/transactions.js';
import { startSystem, type System } from '../helpers/gateway.js';

/**
 * The whole redirect chain, as a browser sees it: `returnTo` given to /auth/login comes back as
 * the callback's `Location`, and that must never leave the gateway's origin.
 */
describe('returnTo through a real sign-in', function () {
  let system: System;
  /** Lets one test plant a transaction as an earlier version could have stored it. */
  let rewrite: ((tx: LoginTransaction) => LoginTransaction) | undefined;

  before(async () => {
    const store = new MemoryTransactionStore({ ttlMs: 600_000 });
    const put = store.put.bind(store);
    store.put = (state, tx) => put(state, rewrite ? rewrite(tx) : tx);
    system = await startSystem({ deps: { transactions: store } });
  });
  afterEach(() => {
    rewrite = undefined;
  });
  after(async () => {
    await system.close();
  });

  /** Signs alice in with `returnTo` and answers the callback's Location header. */
  async function locationAfterSignIn(returnTo: string): Promise<string> {
    const browser = system.browser();
    const start = await browser.get(`${system.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(start.status).to.equal(303);
    const callback = await browser.signInAt(start.headers.get('location')!, 'alice');
    const done = await browser.get(callback);
    expect(done.status).to.equal(303);
    return done.headers.get('location') ?? '';
  }

  const attacks = [
    '/.//evil.example/x',
    '/..//evil.example/x',
    '/a/..//evil.example/x',
    '/%2e%2e//evil.example/x',
    '/%2E%2e//evil.example/x',
    '/\\evil.example/x',
    '/\t/evil.example/x',
  ];
  for (const returnTo of attacks) {
    it(`never answers Location: //evil.example/… for returnTo=${JSON.stringify(returnTo)}`, async () => {
      const location = await locationAfterSignIn(returnTo);
      expect(location).to.equal('/');
      expect(new URL(location, system.url).origin).to.equal(system.url);
    });
  }

  it('lands on a same-origin path, normalized', async () => {
    expect(await locationAfterSignIn('/shop/./cart?x=1#top')).to.equal('/shop/cart?x=1#top');
  });

  it('checks again at the callback: a stored `//evil.example/x` (from an earlier version) becomes /', async () => {
    rewrite = (tx) => ({ ...tx, returnTo: '//evil.example/x' });
    expect(await locationAfterSignIn('/chat')).to.equal('/');
  });
});
