import { expect } from 'chai';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import { startSystem, TEST_API_KEY, type System } from '../helpers/gateway.js';
import { waitFor } from '../helpers/sync-fixtures.js';

const syncCalls = (system: System) => system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.syncContact);
const logRecords = (system: System) => system.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
const syncLog = (system: System) => logRecords(system).filter((r) => typeof r.contactSync === 'string');

/** Signs in step by step, timing the callback alone (the request that would wait for OneTalk). */
async function timedSignIn(system: System, login: string): Promise<{ status: number; callbackMs: number }> {
  const browser = system.browser();
  const start = await browser.get(`${system.url}/auth/login`);
  const callback = await browser.signInAt(start.headers.get('location') ?? '', login);
  const t0 = performance.now();
  const done = await browser.get(callback);
  return { status: done.status, callbackMs: performance.now() - t0 };
}

describe('contact sync at sign-in', function () {
  this.timeout(30_000);

  describe('with SYNC_CONTACT_ON_LOGIN=true', () => {
    let system: System;
    before(async () => {
      system = await startSystem({ env: { SYNC_CONTACT_ON_LOGIN: 'true' } });
    });
    after(() => system.close());
    beforeEach(() => {
      system.emulator.reset();
      system.logs.length = 0;
    });

    it('sends exactly one sync_contact per login, with the mapped profile', async () => {
      await system.signIn('alice');
      await waitFor(() => syncCalls(system).length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(syncCalls(system)).to.have.length(1);
      expect(syncCalls(system)[0]?.body).to.deep.equal({
        customerUserID: 'alice',
        fullName: 'Alice Liddell',
        alias: 'ally',
        email: 'alice@example.com',
        phone: '6281234567890',
        photoURL: 'https://www.gravatar.com/avatar/0?d=identicon',
      });
      expect(system.emulator.store.findByCustomerUserID('alice')?.fullName).to.equal('Alice Liddell');
      await waitFor(() => syncLog(system).length === 1);
      expect(syncLog(system)[0]).to.include({ contactSync: 'ok', msg: 'contact synced at sign-in' });

      await system.signIn('alice');
      await waitFor(() => syncCalls(system).length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(syncCalls(system)).to.have.length(2);
    });

    it('applies sync_contact\'s own limits (fullName 1..100, where the ticket allows 250)', async () => {
      await system.signIn('carol');
      await waitFor(() => syncCalls(system).length === 1);
      const body = syncCalls(system)[0]?.body as Record<string, string>;
      expect([...body.fullName!].length).to.equal(100);
      expect(body).not.to.have.property('photoURL'); // carol's picture is a javascript: URL
    });

    it('redirects at once when OneTalk is slow: the callback never waits for the sync', async () => {
      system.emulator.settings.latencyMs = 2000;
      const { status, callbackMs } = await timedSignIn(system, 'alice');
      expect(status).to.equal(303);
      expect(callbackMs).to.be.below(1000);
      // The sync itself runs on into the client's deadline (2 s here) and is logged as such.
      await waitFor(() => syncLog(system).length === 1, 5000);
      expect(syncLog(system)[0]).to.include({ contactSync: 'failed', code: 'ONETALK_TIMEOUT' });
    });

    it('still signs in when OneTalk refuses (tier not selected), and logs the upstream code 49900 but never the key', async () => {
      system.emulator.settings.tierSelected = false;
      const browser = await system.signIn('alice');
      const session = (await (await browser.get(`${system.url}/auth/session`)).json()) as { authenticated: boolean };
      expect(session.authenticated).to.equal(true);
      await waitFor(() => syncLog(system).length === 1);
      expect(syncLog(system)[0]).to.include({
        contactSync: 'failed',
        code: 'ONETALK_TIER_NOT_SELECTED',
        upstreamCode: '49900',
        upstreamStatus: 499,
        msg: 'contact sync at sign-in failed',
      });
      expect(system.logs.join('\n')).not.to.include(TEST_API_KEY);
    });
  });

  describe('with SYNC_CONTACT_ON_LOGIN unset (the default)', () => {
    let system: System;
    before(async () => {
      system = await startSystem();
    });
    after(() => system.close());

    it('makes no sync_contact call at sign-in', async () => {
      await system.signIn('alice');
      await new Promise((r) => setTimeout(r, 300));
      expect(syncCalls(system)).to.have.length(0);
      expect(syncLog(system)).to.have.length(0);
    });
  });
});
