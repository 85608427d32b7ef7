import { expect } from 'chai';
import { checkRow } from '../../src/sync/validate.js';

const row = (value: unknown, problem?: string) => ({ line: 2, value, bytes: 0, ...(problem ? { problem } : {}) });

describe('checking a row against the sync_contact rules', () => {
  it('accepts a full row and builds the body in the document\'s order, leaving empty fields out', () => {
    const checked = checkRow(row({ photoURL: '', phone: '6281234567890', fullName: 'John Doe', customerUserID: 'company:123', alias: '' }));
    expect(checked).to.deep.equal({
      ok: true,
      customerUserID: 'company:123',
      contact: { customerUserID: 'company:123', fullName: 'John Doe', phone: '6281234567890' },
    });
    if (checked.ok) expect(Object.keys(checked.contact)).to.deep.equal(['customerUserID', 'fullName', 'phone']);
  });

  const hundred = 'é'.repeat(100);
  const refused: Array<[string, Record<string, unknown>, string | undefined, string]> = [
    ['no customerUserID', { fullName: 'A' }, 'customerUserID', 'customerUserID is required'],
    ['no fullName', { customerUserID: 'a', fullName: '' }, 'fullName', 'fullName is required'],
    ['fullName of 101 characters', { customerUserID: 'a', fullName: `${hundred}x` }, 'fullName', 'fullName must be at most 100 characters'],
    ['email of 101 characters', { customerUserID: 'a', fullName: 'A', email: `${'e'.repeat(89)}@example.com` }, 'email', 'email must be at most 100 characters'],
    ['a national phone number', { customerUserID: 'a', fullName: 'A', phone: '081234567890' }, 'phone', 'phone must be digits only, starting with a country calling code (e.g. 6281234567890)'],
    ['a phone with a plus', { customerUserID: 'a', fullName: 'A', phone: '+6281234567890' }, 'phone', 'phone must be digits only, starting with a country calling code (e.g. 6281234567890)'],
    ['a script URL', { customerUserID: 'a', fullName: 'A', photoURL: 'javascript:alert(1)' }, 'photoURL', 'photoURL must be an absolute http(s) URL'],
    ['a number for text', { customerUserID: 'a', fullName: 'A', alias: 7 }, 'alias', 'alias must be a string'],
    ['an unknown field', { customerUserID: 'a', fullName: 'A', emial: 'x@example.com' }, 'emial', 'unknown field "emial"'],
  ];
  for (const [name, value, field, message] of refused) {
    it(`refuses ${name}`, () => {
      const checked = checkRow(row(value));
      expect(checked.ok).to.equal(false);
      if (!checked.ok) expect({ field: checked.field, message: checked.message }).to.deep.equal({ field, message });
    });
  }

  it('accepts exactly 100 characters (counted as characters, not UTF-16 units)', () => {
    expect(checkRow(row({ customerUserID: 'a', fullName: '🦄'.repeat(100) })).ok).to.equal(true);
  });

  it('passes a reader problem on, keeping the customerUserID for the report when there is one', () => {
    expect(checkRow(row(undefined, 'the line is not valid JSON'))).to.deep.equal({ ok: false, message: 'the line is not valid JSON' });
    expect(checkRow(row({ customerUserID: 'a', fullName: '' }))).to.include({ customerUserID: 'a' });
  });
});
