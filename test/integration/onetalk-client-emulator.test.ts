import { expect } from 'chai';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createOneTalkClient } from '../../src/onetalk/index.js';
import type { OneTalkClient, OneTalkClientOptions, TicketUser } from '../../src/onetalk/index.js';
import { EXAMPLE_USER, failure } from '../helpers/onetalk.js';

const KEY = 'emulator-test-key';
const USER = EXAMPLE_USER;


describe('onetalk/client against the OneTalk emulator', () => {
  let emulator: RunningEmulator;
  let clients: OneTalkClient[] = [];
  const client = (extra: Partial<OneTalkClientOptions> = {}): OneTalkClient => {
    const c = createOneTalkClient({ baseUrl: emulator.url, apiKey: KEY, timeoutMs: 2000, ...extra });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    emulator = await startEmulator({ port: 0, apiKey: KEY });
  });
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await emulator.close();
  });

  describe('requestAuthTicket', () => {
    const paths = ['/v1/user/request_auth_ticket', '/api/integration/v1/user/request_auth_ticket'];
    for (const path of paths) {
      it(`gets a verifiable ticket at ${path}`, async () => {
        const before = Date.now();
        const result = await client({ paths: { requestAuthTicket: path } }).requestAuthTicket(USER);
        const verified = await emulator.verifyTicket(result.ticket);
        expect(verified.valid).to.equal(true);
        if (verified.valid) expect(verified.claims).to.include({ sub: result.userID, customerUserID: USER.customerUserID });
        const expiresAt = Date.parse(result.expiresAt);
        expect(expiresAt - before).to.be.within(3_600_000, 3_600_000 + 1000);
        expect(emulator.requests.map((r) => [r.path, r.status])).to.deep.equal([[path, 200]]);
      });
    }

    it('is accepted at every documented upper bound (client and emulator agree)', async () => {
      const widest: TicketUser = {
        customerUserID: '😀'.repeat(100),
        fullName: 'é'.repeat(250),
        alias: 'a'.repeat(100),
        email: `${'m'.repeat(238)}@example.com`,
        phone: `62${'8'.repeat(18)}`,
        photoURL: 'https://example.com/p.jpg',
      };
      const { userID } = await client().requestAuthTicket(widest);
      expect(emulator.store.get(userID)).to.include({ fullName: widest.fullName, phone: widest.phone });
    });
  });

  describe('syncContact', () => {
    it('creates then updates the contact, leaving an empty alias out', async () => {
      const c = client();
      const created = await c.syncContact(USER);
      expect(created.message).to.equal('Contact created successfully');
      const updated = await c.syncContact({ ...USER, fullName: 'Johnny Doe' });
      expect(updated).to.deep.equal({ userID: created.userID, message: 'Contact updated successfully' });
      expect(emulator.store.get(created.userID)).to.include({ fullName: 'Johnny Doe' });
      expect(emulator.requests[0]?.body).to.not.have.property('alias');
    });

    it('reports a contact tied to another customer user ID as ONETALK_REJECTED', async () => {
      const c = client();
      await c.syncContact(USER);
      const err = await failure(c.syncContact({ ...USER, customerUserID: 'company:456' }));
      expect(err).to.include({ code: 'ONETALK_REJECTED', upstreamStatus: 409, upstreamCode: '40902' });
    });
  });

  describe('failures', () => {
    it('a wrong key → ONETALK_KEY_REFUSED', async () => {
      const err = await failure(client({ apiKey: 'wrong-key' }).requestAuthTicket(USER));
      expect(err).to.include({ code: 'ONETALK_KEY_REFUSED', upstreamStatus: 401 });
    });

    it('no tier selected → ONETALK_TIER_NOT_SELECTED', async () => {
      emulator.settings.tierSelected = false;
      const err = await failure(client().syncContact(USER));
      expect(err).to.include({ code: 'ONETALK_TIER_NOT_SELECTED', upstreamStatus: 499, upstreamCode: '49900' });
    });

    it('latency over the deadline → ONETALK_TIMEOUT', async () => {
      emulator.settings.latencyMs = 1500;
      const started = performance.now();
      const err = await failure(client({ timeoutMs: 200 }).requestAuthTicket(USER));
      expect(err.code).to.equal('ONETALK_TIMEOUT');
      expect(performance.now() - started).to.be.below(500);
    });
  });
});
