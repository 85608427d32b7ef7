/**
 * A sign-out the store could not carry out must not look done: the browser keeps its cookie (so
 * the sign-out can be retried) instead of losing it while the session lives on at the server,
 * where a copied cookie would keep working until it idles out.
 */
import { expect } from 'chai';
import { StoreUnavailableError } from '../../src/redis/errors.js';
import { MemorySessionStore } from '../../src/session/index.js';
import { startSystem, type System } from '../helpers/gateway.js';

/** The memory store, with a destroy that fails while `failing` is set (Redis gone at that moment). */
class FlakyStore extends MemorySessionStore {
  failing = false;
  override async destroy(id: string): Promise<void> {
    if (this.failing) throw new StoreUnavailableError({ cause: new Error('Redis did not answer') });
    return super.destroy(id);
  }
}

describe('POST /auth/logout when the session store fails to end the session', function () {
  this.timeout(20_000);
  const store = new FlakyStore({ pruneIntervalMs: 0 });
  let system: System;

  before(async () => {
    system = await startSystem({ deps: { sessionStore: store } });
  });
  after(() => system?.close());

  it('answers 503 without dropping the cookie, and a retry signs out for good', async () => {
    const browser = await system.signIn('alice');
    const cookie = await browser.jar.getCookieString(system.url);
    const signedIn = async () =>
      ((await (await fetch(`${system.url}/auth/session`, { headers: { cookie } })).json()) as { authenticated: boolean }).authenticated;

    store.failing = true;
    const failed = await browser.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1', accept: 'application/json' } });
    expect(failed.status).to.equal(503);
    expect(await failed.json()).to.include({ code: 'session_store_unavailable' });
    expect(failed.headers.getSetCookie().filter((c) => c.startsWith('onetalk.sid='))).to.deep.equal([]);
    expect(await browser.jar.getCookieString(system.url)).to.equal(cookie);
    expect(await signedIn()).to.equal(true);

    store.failing = false;
    const retried = await browser.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1', accept: 'application/json' } });
    expect(retried.status).to.equal(200);
    expect(await signedIn()).to.equal(false);
  });
});
