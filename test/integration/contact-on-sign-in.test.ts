import { expect } from 'chai';
import { createOneTalkClient, DEFAULT_PATHS, type OneTalkClient, type SyncContact } from '../../src/onetalk/index.js';
import { startSystem, TEST_API_KEY, type System, type SystemOptions } from '../helpers/gateway.js';
import { until } from '../helpers/wait.js';

/** Ample for a loopback call and for a callback to answer; short enough that the slow case ends soon. */
const ONETALK_TIMEOUT_MS = 1500;

const syncCalls = (system: System) => system.emulator.requests.filter((r) => r.path === DEFAULT_PATHS.syncContact);
const logRecords = (system: System) => system.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
const syncLog = (system: System) => logRecords(system).filter((r) => typeof r.contactSync === 'string');

/**
 * Starts the system with a OneTalk client that notes each sync_contact call as it starts. The
 * callback starts its sync before it redirects, so once a sign-in is back, `started` holds every
 * sync it set off: "exactly one" and "none" need no waiting.
 */
async function startCounting(options: SystemOptions = {}): Promise<{ system: System; started: SyncContact[] }> {
  const started: SyncContact[] = [];
  const counting = (client: OneTalkClient): OneTalkClient => ({
    requestAuthTicket: (user, opts) => client.requestAuthTicket(user, opts),
    syncContact: (contact, opts) => {
      started.push(contact);
      return client.syncContact(contact, opts);
    },
    stats: () => client.stats(),
    close: () => client.close(),
  });
  const system = await startSystem({
    ...options,
    env: { ONETALK_TIMEOUT_MS: String(ONETALK_TIMEOUT_MS), ...options.env },
    deps: ({ emulator }) => ({ onetalk: counting(createOneTalkClient({ baseUrl: emulator.url, apiKey: TEST_API_KEY, timeoutMs: ONETALK_TIMEOUT_MS })) }),
  });
  return { system, started };
}

describe('contact sync at sign-in', function () {
  this.timeout(30_000);

  describe('with SYNC_CONTACT_ON_LOGIN=true', () => {
    let system: System;
    let started: SyncContact[];
    before(async () => {
      ({ system, started } = await startCounting({ env: { SYNC_CONTACT_ON_LOGIN: 'true' } }));
    });
    after(() => system.close());
    beforeEach(() => {
      system.emulator.reset();
      system.logs.length = 0;
      started.length = 0;
    });

    it('sends exactly one sync_contact per login, with the mapped profile', async () => {
      await system.signIn('alice');
      expect(started).to.have.length(1);
      await until(() => syncLog(system).length === 1, 'the sync\'s log line');
      expect(syncLog(system)[0]).to.include({ contactSync: 'ok', msg: 'contact synced at sign-in' });
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

      await system.signIn('alice');
      expect(started).to.have.length(2);
      await until(() => syncLog(system).length === 2, 'the second sync\'s log line');
      expect(syncCalls(system)).to.have.length(2);
    });

    it('applies sync_contact\'s own limits (fullName 1..100, where the ticket allows 250)', async () => {
      await system.signIn('carol');
      await until(() => syncCalls(system).length === 1, 'carol\'s sync at OneTalk');
      const body = syncCalls(system)[0]?.body as Record<string, string>;
      expect([...body.fullName!].length).to.equal(100);
      expect(body).not.to.have.property('photoURL'); // carol's picture is a javascript: URL
    });

    it('redirects at once when OneTalk is slow: the callback never waits for the sync', async () => {
      system.emulator.settings.latencyMs = ONETALK_TIMEOUT_MS * 2;
      await system.signIn('alice');
      // The callback has answered: its sync has started and is still waiting for OneTalk.
      expect(started).to.have.length(1);
      expect(syncLog(system)).to.have.length(0);
      // The sync itself runs on into the client's deadline and is logged as such.
      await until(() => syncLog(system).length === 1, 'the sync\'s log line', ONETALK_TIMEOUT_MS * 5);
      expect(syncLog(system)[0]).to.include({ contactSync: 'failed', code: 'ONETALK_TIMEOUT' });
    });

    it('still signs in when OneTalk refuses (tier not selected), and logs the upstream code 49900 but never the key', async () => {
      system.emulator.settings.tierSelected = false;
      const browser = await system.signIn('alice');
      const session = (await (await browser.get(`${system.url}/auth/session`)).json()) as { authenticated: boolean };
      expect(session.authenticated).to.equal(true);
      await until(() => syncLog(system).length === 1, 'the sync\'s log line');
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
    let started: SyncContact[];
    before(async () => {
      ({ system, started } = await startCounting());
    });
    after(() => system.close());

    it('makes no sync_contact call at sign-in', async () => {
      await system.signIn('alice');
      // A sync would have started before the callback answered.
      expect(started).to.have.length(0);
      expect(syncCalls(system)).to.have.length(0);
      expect(syncLog(system)).to.have.length(0);
    });
  });
});
