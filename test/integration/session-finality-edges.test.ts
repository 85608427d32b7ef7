/**
 * A sign-out is final, at its edges:
 * - A ticket is minted only for a session that still exists when its upstream call starts. Under
 *   load a ticket request waits for a free slot under ONETALK_MAX_CONCURRENT (or for the breaker's
 *   probe) after it read the session: a sign-out completed during that wait must get it a 401, and
 *   OneTalk must never be asked for a ticket for the signed-out user.
 * - A sign-out the store could not carry out must not look done: the browser keeps its cookie (so
 *   the sign-out can be retried) instead of losing it while the session lives on at the server,
 *   where a copied cookie would keep working until it idles out.
 */
import { expect } from 'chai';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import { StoreUnavailableError } from '../../src/redis/errors.js';
import { MemorySessionStore } from '../../src/session/index.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { reachedUpstream, startUpstreamGate, type UpstreamGate } from '../helpers/upstream-gate.js';
import { until } from '../helpers/wait.js';

/** The memory store, with a destroy that fails while `failing` is set (Redis gone at that moment). */
class FlakyStore extends MemorySessionStore {
  failing = false;
  override async destroy(id: string): Promise<void> {
    if (this.failing) throw new StoreUnavailableError({ cause: new Error('Redis did not answer') });
    return super.destroy(id);
  }
}

describe('a sign-out is final, at its edges', function () {
  this.timeout(20_000);
  const store = new FlakyStore({ pruneIntervalMs: 0 });
  let system: System;
  let gate: UpstreamGate;

  before(async () => {
    gate = await startUpstreamGate(() => system.emulator.url);
    gate.open();
    system = await startSystem({
      env: { ONETALK_BASE_URL: gate.url, ONETALK_MAX_CONCURRENT: '1', ONETALK_TIMEOUT_MS: '10000' },
      deps: { sessionStore: store },
    });
  });
  after(async () => {
    await system?.close();
    await gate?.close();
  });
  afterEach(() => {
    store.failing = false;
    gate.open();
  });

  const ticketCallsFor = (sub: string): number =>
    system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.requestAuthTicket && (r.body as { customerUserID?: unknown } | undefined)?.customerUserID === sub).length;
  const queued = async (): Promise<number> =>
    (await system.gateway.metrics.registry.getSingleMetric('onetalk_upstream_queued')?.get())?.values[0]?.value ?? 0;

  it('a ticket request that waited for an upstream slot gets 401 when its session ended meanwhile, and OneTalk no call', async () => {
    const alice = await system.signIn('alice');
    const bob = await system.signIn('bob');
    // One call that comes back teaches the queue how long a slot is held, so calls may wait for one.
    expect((await requestTicket(system, alice)).status).to.equal(200);

    gate.shut();
    const arrived = gate.arrival();
    const first = requestTicket(system, alice);
    await reachedUpstream(arrived, first); // alice's call holds the only slot at OneTalk
    const waiting = requestTicket(system, bob);
    await until(async () => (await queued()) === 1, 'bob\'s call to queue for the slot');

    const out = await bob.post(`${system.url}/auth/logout`, { headers: { 'x-csrf': '1', accept: 'application/json' } });
    expect(out.status).to.equal(200);
    gate.open();

    expect((await first).status).to.equal(200);
    const res = await waiting;
    expect(res.status).to.equal(401);
    expect(await res.json()).to.include({ code: 'not_signed_in' });
    expect(ticketCallsFor('bob')).to.equal(0);
    expect(ticketCallsFor('alice')).to.equal(2);
  });

  it('POST /auth/logout that the store fails answers 503 without dropping the cookie, and a retry signs out for good', async () => {
    const browser = await system.signIn('carol');
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
