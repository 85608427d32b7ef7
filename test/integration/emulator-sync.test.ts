import { expect } from 'chai';
import { startEmulator, type Contact, type RunningEmulator } from '../../src/emulator/index.js';

const API_KEY = 'test-onetalk-key';
const SYNC = '/api/integration/v1/user/sync_contact';
const TICKET = '/v1/user/request_auth_ticket';

interface Envelope {
  status: number;
  error: { code: string; message: string; field: string };
  data: { success?: boolean; message?: string; userID?: string; ticket?: string };
}

async function post(emu: RunningEmulator, path: string, body: object): Promise<Envelope> {
  const response = await fetch(emu.url + path, {
    method: 'POST',
    headers: { 'API-Key': API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const envelope = (await response.json()) as Envelope;
  expect(envelope.status).to.equal(response.status);
  return envelope;
}

async function seed(emu: RunningEmulator, contact: object): Promise<string> {
  const response = await fetch(`${emu.url}/__emulator/contacts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(contact),
  });
  expect(response.status).to.equal(201);
  return ((await response.json()) as { userID: string }).userID;
}

async function listContacts(emu: RunningEmulator): Promise<Contact[]> {
  return (await (await fetch(`${emu.url}/__emulator/contacts`)).json()) as Contact[];
}

describe('OneTalk emulator: sync semantics over HTTP', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ apiKey: API_KEY });
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  for (const [name, path] of [['sync_contact', SYNC], ['request_auth_ticket', TICKET]]) {
    describe(`${name}`, () => {
      it('creates a contact when neither customerUserID nor phone matches', async () => {
        const answer = await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', phone: '6281111111' });
        expect(answer.data).to.include({ success: true, message: 'Contact created successfully' });
        const contacts = await listContacts(emu);
        expect(contacts).to.have.length(1);
        expect(contacts[0]).to.deep.include({ userID: answer.data.userID, customerUserID: 'c1', fullName: 'Ann', phone: '6281111111', alias: null });
      });

      it('updates the one match, keeping absent optional fields', async () => {
        const created = await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', email: 'ann@example.com', alias: 'annie' });
        const updated = await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann Lee', alias: '' });
        expect(updated.data).to.include({ message: 'Contact updated successfully', userID: created.data.userID });
        expect(emu.store.list()).to.have.length(1);
        expect(emu.store.findByCustomerUserID('c1')).to.deep.include({ fullName: 'Ann Lee', email: 'ann@example.com', alias: 'annie' });
      });

      it('adopts an untied lead found by phone', async () => {
        const leadID = await seed(emu, { fullName: 'WhatsApp +62 811', phone: '628111' });
        const answer = await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', phone: '628111' });
        expect(answer.data).to.include({ message: 'Contact updated successfully', userID: leadID });
        expect(emu.store.get(leadID)).to.deep.include({ customerUserID: 'c1', fullName: 'Ann' });
      });

      it("rejects a duplicate (customerUserID on one contact, phone on another) with 409 '40901', changing nothing", async () => {
        await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', phone: '628111' });
        await post(emu, path as string, { customerUserID: 'c2', fullName: 'Bob', phone: '628222' });
        const before = await listContacts(emu);
        const answer = await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', phone: '628222' });
        expect(answer).to.deep.equal({
          status: 409,
          error: { code: '40901', message: 'More than one contact matches customerUserID or phone: duplicate keys are not allowed', field: 'phone' },
          data: {},
        });
        expect(await listContacts(emu)).to.deep.equal(before);
      });

      it('rejects a phone shared by two untied leads, adopting neither', async () => {
        await seed(emu, { fullName: 'Lead A', phone: '628333' });
        await seed(emu, { fullName: 'Lead B', phone: '628333' });
        const before = await listContacts(emu);
        const answer = await post(emu, path as string, { customerUserID: 'c9', fullName: 'Cy', phone: '628333' });
        expect(answer.error.code).to.equal('40901');
        expect(await listContacts(emu)).to.deep.equal(before);
      });

      it("rejects a phone tied to another customerUserID with 409 '40902', changing nothing", async () => {
        await post(emu, path as string, { customerUserID: 'c1', fullName: 'Ann', phone: '628111' });
        const before = await listContacts(emu);
        const answer = await post(emu, path as string, { customerUserID: 'c2', fullName: 'Mallory', phone: '628111' });
        expect(answer).to.deep.equal({
          status: 409,
          error: { code: '40902', message: "Customer user ID can't be changed", field: 'customerUserID' },
          data: {},
        });
        expect(await listContacts(emu)).to.deep.equal(before);
      });
    });
  }

  it('request_auth_ticket and sync_contact share one contact list', async () => {
    const ticketed = await post(emu, TICKET, { customerUserID: 'c1', fullName: 'Ann' });
    const synced = await post(emu, SYNC, { customerUserID: 'c1', fullName: 'Ann', phone: '628111' });
    expect(synced.data).to.include({ message: 'Contact updated successfully', userID: ticketed.data.userID });
  });

  it('request_auth_ticket saves with its own, wider limits (a 250-character name)', async () => {
    const fullName = 'N'.repeat(250);
    expect((await post(emu, TICKET, { customerUserID: 'c1', fullName })).status).to.equal(200);
    expect(emu.store.findByCustomerUserID('c1')?.fullName).to.equal(fullName);
    expect((await post(emu, SYNC, { customerUserID: 'c1', fullName })).error.field).to.equal('fullName');
  });

  it('a rejected call (validation) changes nothing', async () => {
    await post(emu, TICKET, { customerUserID: 'c1', fullName: 'Ann', email: 'a@example.com' });
    const before = await listContacts(emu);
    await post(emu, TICKET, { customerUserID: 'c1', fullName: 'Ann 2', email: 'x'.repeat(251) });
    expect(await listContacts(emu)).to.deep.equal(before);
  });
});
