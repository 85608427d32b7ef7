/**
 * A ticket is minted only for a session that still exists when its upstream call starts. Under
 * load a ticket request waits for a free slot under ONETALK_MAX_CONCURRENT (or for the breaker's
 * probe) after it read the session: a sign-out completed during that wait must get it a 401, and
 * OneTalk must never be asked for a ticket for the signed-out user.
 */
import { expect } from 'chai';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { startUpstreamGate, type UpstreamGate } from '../helpers/upstream-gate.js';
import { until } from '../helpers/wait.js';

describe('a sign-out during a ticket request\'s wait for an upstream slot', function () {
  this.timeout(20_000);
  let system: System;
  let gate: UpstreamGate;

  before(async () => {
    gate = await startUpstreamGate(() => system.emulator.url);
    gate.open();
    system = await startSystem({ env: { ONETALK_BASE_URL: gate.url, ONETALK_MAX_CONCURRENT: '1', ONETALK_TIMEOUT_MS: '10000' } });
  });
  after(async () => {
    await system?.close();
    await gate?.close();
  });

  const ticketCallsFor = (sub: string): number =>
    system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.requestAuthTicket && (r.body as { customerUserID?: unknown } | undefined)?.customerUserID === sub).length;
  const queued = async (): Promise<number> =>
    (await system.gateway.metrics.registry.getSingleMetric('onetalk_upstream_queued')?.get())?.values[0]?.value ?? 0;

  it('gets the queued request 401, and OneTalk no call for that user', async () => {
    const alice = await system.signIn('alice');
    const bob = await system.signIn('bob');
    // One call that comes back teaches the queue how long a slot is held, so calls may wait for one.
    expect((await requestTicket(system, alice)).status).to.equal(200);

    gate.shut();
    const arrived = gate.arrival();
    const first = requestTicket(system, alice);
    await arrived; // alice's call holds the only slot at OneTalk
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
});
