import { expect } from 'chai';
import { ContactStore } from '../../src/emulator/contacts.js';

/** A store with a controllable clock and predictable ids. */
function makeStore(): { store: ContactStore; tick: () => void } {
  let time = Date.parse('2026-01-01T00:00:00Z');
  let id = 0;
  const store = new ContactStore({ now: () => time, newId: () => `user-${(id += 1)}` });
  return { store, tick: () => (time += 1000) };
}

describe('ContactStore (the document\'s sync rules)', () => {
  describe('when no contact matches', () => {
    it('creates one with a fresh userID, nulls for absent optional fields and both stamps set', () => {
      const { store } = makeStore();
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281234567890' });
      expect(outcome).to.deep.equal({
        ok: true,
        action: 'created',
        contact: {
          userID: 'user-1',
          customerUserID: 'c1',
          fullName: 'Ann',
          alias: null,
          email: null,
          phone: '6281234567890',
          photoURL: null,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      });
    });

    it('uses random UUIDs by default', () => {
      const outcome = new ContactStore().sync({ customerUserID: 'c1', fullName: 'Ann' });
      expect(outcome.ok && outcome.contact.userID).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('when exactly one contact matches', () => {
    it('updates it by customerUserID: given fields overwrite, absent optional fields keep their values', () => {
      const { store, tick } = makeStore();
      store.sync({ customerUserID: 'c1', fullName: 'Ann', alias: 'annie', email: 'ann@example.com', phone: '6281111' });
      tick();
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann B', email: 'annb@example.com' });
      expect(outcome.ok && outcome.action).to.equal('updated');
      expect(store.get('user-1')).to.deep.include({
        fullName: 'Ann B',
        alias: 'annie',
        email: 'annb@example.com',
        phone: '6281111',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:01.000Z',
      });
      expect(store.size).to.equal(1);
    });

    it('updates it by phone when it has the same customerUserID', () => {
      const { store } = makeStore();
      store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      expect(outcome).to.deep.include({ ok: true, action: 'updated' });
    });

    it('adopts a contact not tied to any customerUserID yet (a lead from another channel)', () => {
      const { store } = makeStore();
      const seeded = store.seed({ fullName: 'WhatsApp lead', phone: '6281111' });
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      expect(seeded.ok && outcome.ok && outcome.contact.userID).to.equal(seeded.ok && seeded.contact.userID);
      expect(store.list()).to.have.length(1);
      expect(store.findByCustomerUserID('c1')).to.deep.include({ fullName: 'Ann', phone: '6281111' });
    });

    it('rejects a contact tied to a different customerUserID and changes nothing', () => {
      const { store } = makeStore();
      store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      const before = store.list();
      const outcome = store.sync({ customerUserID: 'c2', fullName: 'Bob', phone: '6281111' });
      expect(outcome).to.deep.equal({ ok: false, reason: 'customer_user_id_change', matchedUserIDs: ['user-1'] });
      expect(store.list()).to.deep.equal(before);
    });
  });

  describe('when more than one contact matches', () => {
    it('rejects a customerUserID on one contact and a phone on another, changing nothing', () => {
      const { store } = makeStore();
      store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      store.sync({ customerUserID: 'c2', fullName: 'Bob', phone: '6282222' });
      const before = store.list();
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6282222' });
      expect(outcome).to.deep.equal({ ok: false, reason: 'duplicate_keys', matchedUserIDs: ['user-1', 'user-2'] });
      expect(store.list()).to.deep.equal(before);
    });

    it('rejects a phone shared by two untied leads', () => {
      const { store } = makeStore();
      store.seed({ fullName: 'Lead A', phone: '6281111' });
      store.seed({ fullName: 'Lead B', phone: '6281111' });
      const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann', phone: '6281111' });
      expect(outcome).to.deep.include({ ok: false, reason: 'duplicate_keys' });
      expect(store.list().every((c) => c.customerUserID === null)).to.equal(true);
    });
  });

  describe('seed', () => {
    it('refuses a customerUserID that is already tied', () => {
      const { store } = makeStore();
      store.sync({ customerUserID: 'c1', fullName: 'Ann' });
      expect(store.seed({ customerUserID: 'c1', fullName: 'Other' })).to.deep.equal({ ok: false, reason: 'customer_user_id_taken' });
    });
  });

  it('hands out copies: editing a returned contact does not edit the store', () => {
    const { store } = makeStore();
    const outcome = store.sync({ customerUserID: 'c1', fullName: 'Ann' });
    if (outcome.ok) outcome.contact.fullName = 'Mallory';
    const listed = store.list()[0];
    if (listed) listed.fullName = 'Mallory';
    expect(store.get('user-1')?.fullName).to.equal('Ann');
  });

  it('clear() forgets everything', () => {
    const { store } = makeStore();
    store.sync({ customerUserID: 'c1', fullName: 'Ann' });
    store.clear();
    expect(store.size).to.equal(0);
  });
});

describe('ContactStore indexes', () => {
  it('follow a phone that changes on update: the old number is free, the new one is tied', () => {
    const store = new ContactStore();
    expect(store.sync({ customerUserID: 'a', fullName: 'A', phone: '6281111111111' }).ok).to.equal(true);
    const moved = store.sync({ customerUserID: 'a', fullName: 'A', phone: '6282222222222' });
    expect(moved.ok && moved.action).to.equal('updated');
    const reuse = store.sync({ customerUserID: 'b', fullName: 'B', phone: '6281111111111' });
    expect(reuse.ok && reuse.action).to.equal('created');
    const taken = store.sync({ customerUserID: 'c', fullName: 'C', phone: '6282222222222' });
    expect(taken).to.include({ ok: false, reason: 'customer_user_id_change' });
    expect(store.findByCustomerUserID('a')?.phone).to.equal('6282222222222');
    store.clear();
    expect(store.findByCustomerUserID('a')).to.equal(undefined);
    expect(store.sync({ customerUserID: 'c', fullName: 'C', phone: '6282222222222' })).to.include({ ok: true, action: 'created' });
  });
});
