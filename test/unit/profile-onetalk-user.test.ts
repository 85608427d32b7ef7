import { expect } from 'chai';
import { defaultClaimMapping, mapClaims } from '../../src/profile/index.js';
import type { MapOptions } from '../../src/profile/index.js';
import type { TicketUser } from '../../src/onetalk/types.js';

const options: MapOptions = { customerUserIdPrefix: 'acme:', mapping: defaultClaimMapping };

const alice = {
  sub: 'alice-1',
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  nickname: 'Ally',
  preferred_username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  phone_number: '+62 812-3456-7890',
  picture: 'https://img.example.com/alice.png',
};

function user(claims: unknown, extra: Partial<MapOptions> = {}): TicketUser {
  const result = mapClaims(claims, { ...options, ...extra });
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.user;
}

describe('mapClaims', () => {
  describe('with a full profile (alice)', () => {
    it('maps every field', () => {
      expect(user(alice)).to.deep.equal({
        customerUserID: 'acme:alice-1',
        fullName: 'Alice Liddell',
        alias: 'Ally',
        email: 'alice@example.com',
        phone: '6281234567890',
        photoURL: 'https://img.example.com/alice.png',
      });
    });
  });

  describe('with only sub (bob)', () => {
    it('uses sub as fullName and leaves every optional field out', () => {
      const bob = user({ sub: 'bob' });
      expect(bob).to.deep.equal({ customerUserID: 'acme:bob', fullName: 'bob' });
      expect(Object.keys(bob)).to.deep.equal(['customerUserID', 'fullName']);
    });
  });

  describe('fullName fallbacks', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['given + family when name is absent', { sub: 's', given_name: 'Ada', family_name: 'Lovelace' }, 'Ada Lovelace'],
      ['given + family when name is only spaces and controls', { sub: 's', name: ' \u202E\t', given_name: 'Ada', family_name: 'Lovelace' }, 'Ada Lovelace'],
      ['given alone when family is absent', { sub: 's', given_name: 'Ada' }, 'Ada'],
      ['family alone when given is blank, with no stray space', { sub: 's', given_name: '  ', family_name: 'Lovelace' }, 'Lovelace'],
      ['nickname next', { sub: 's', nickname: 'Countess' }, 'Countess'],
      ['preferred_username next', { sub: 's', preferred_username: 'ada' }, 'ada'],
      ['the email local part next', { sub: 's', email: 'ada.l@example.com' }, 'ada.l'],
      ['sub when the email is not an address', { sub: 's', email: 'not-an-address' }, 's'],
      ['customerUserID when sub has nothing visible', { sub: '\u200B' }, 'acme:'],
      ['name after normalising', { sub: 's', name: '  Ada \n\n Lovelace\u202E ' }, 'Ada Lovelace'],
    ];
    for (const [title, claims, expected] of cases) {
      it(`uses ${title}`, () => expect(user(claims).fullName).to.equal(expected));
    }

    it('falls back to a fixed name when neither sub nor prefix has anything visible', () => {
      expect(user({ sub: '\u200B' }, { customerUserIdPrefix: '' }).fullName).to.equal('User');
    });

    it('cuts 300 emoji to 250 code points with no lone surrogate', () => {
      const { fullName } = user({ sub: 's', name: '\u{1F600}'.repeat(300) });
      expect(Array.from(fullName)).to.have.length(250);
      expect(fullName).to.equal('\u{1F600}'.repeat(250));
    });

    it('cuts to 100 code points for syncContact', () => {
      const { fullName } = user({ sub: 's', name: 'x'.repeat(300) }, { endpoint: 'syncContact' });
      expect(fullName).to.equal('x'.repeat(100));
    });

    it('strips bidi overrides and control characters', () => {
      expect(user({ sub: 's', name: 'A\u0000l\u0085i\u009Bc\u202Ee\u2066!' }).fullName).to.equal('Al ice!');
    });
  });

  describe('customerUserID', () => {
    const refused: [string, unknown, string][] = [
      ['no sub', { name: 'x' }, 'missing_sub'],
      ['an empty sub', { sub: '' }, 'missing_sub'],
      ['a numeric sub', { sub: 42 }, 'missing_sub'],
      ['a sub with a lone surrogate', { sub: 'a\uD800' }, 'missing_sub'],
      ['null claims', null, 'missing_sub'],
      ['a string instead of claims', 'sub', 'missing_sub'],
      ['an array instead of claims', [{ sub: 'x' }], 'missing_sub'],
      ['an inherited sub', Object.create({ sub: 'x' }) as unknown, 'missing_sub'],
    ];
    for (const [title, claims, code] of refused) {
      it(`refuses ${title} with ${code}`, () => {
        const result = mapClaims(claims, options);
        expect(result.ok).to.equal(false);
        if (!result.ok) expect(result.code).to.equal(code);
      });
    }

    it('accepts exactly 100 code points, counting emoji as one', () => {
      const sub = '\u{1F600}'.repeat(95);
      expect(user({ sub }).customerUserID).to.equal(`acme:${sub}`);
    });

    it('refuses 101 code points with a message naming the lengths, not the sub', () => {
      const sub = '\u{1F600}'.repeat(96);
      const result = mapClaims({ sub }, options);
      expect(result).to.deep.equal({
        ok: false,
        code: 'customer_user_id_too_long',
        message: 'customerUserID (prefix of 5 + sub of 96 characters) is 101 characters; OneTalk accepts at most 100',
      });
    });

    it('refuses when the prefix alone is over the limit', () => {
      const result = mapClaims({ sub: 'a' }, { ...options, customerUserIdPrefix: 'p'.repeat(100) });
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.code).to.equal('customer_user_id_too_long');
    });

    it('keeps sub exactly as given (identity is never normalised)', () => {
      expect(user({ sub: ' A\tb ' }, { customerUserIdPrefix: '' }).customerUserID).to.equal(' A\tb ');
    });
  });

  describe('alias', () => {
    const cases: [string, Record<string, unknown>, string | undefined][] = [
      ['nickname first', { sub: 's', nickname: 'Ally', preferred_username: 'alice' }, 'Ally'],
      ['preferred_username when nickname is blank', { sub: 's', nickname: ' \u200B ', preferred_username: 'alice' }, 'alice'],
      ['nothing when neither is present', { sub: 's', name: 'Alice' }, undefined],
      ['a cut to 100 code points', { sub: 's', nickname: 'n'.repeat(150) }, 'n'.repeat(100)],
    ];
    for (const [title, claims, expected] of cases) {
      it(`takes ${title}`, () => expect(user(claims).alias).to.equal(expected));
    }
  });

  describe('email', () => {
    const cases: [string, unknown, string | undefined][] = [
      ['a plain address', 'ada@example.com', 'ada@example.com'],
      ['an internationalised address', 'ädä@exämple.de', 'ädä@exämple.de'],
      ['no @', 'ada.example.com', undefined],
      ['two @', 'ada@b@example.com', undefined],
      ['an empty local part', '@example.com', undefined],
      ['a dotless domain', 'ada@localhost', undefined],
      ['an empty domain label', 'ada@example..com', undefined],
      ['whitespace', 'ada @example.com', undefined],
      ['a bidi override', 'ada\u202E@example.com', undefined],
      ['a control character', 'ada@example.com\n', undefined],
      ['a number', 42, undefined],
      ['an address over 250 characters (dropped, not cut)', `${'a'.repeat(240)}@example.com`, undefined],
      ['an address of exactly 250 characters', `${'a'.repeat(238)}@example.com`, `${'a'.repeat(238)}@example.com`],
    ];
    for (const [title, email, expected] of cases) {
      it(`${expected === undefined ? 'drops' : 'keeps'} ${title}`, () => expect(user({ sub: 's', email }).email).to.equal(expected));
    }
    it('drops an address over 100 characters for syncContact', () => {
      expect(user({ sub: 's', email: `${'a'.repeat(90)}@example.com` }, { endpoint: 'syncContact' }).email).to.equal(undefined);
    });
  });

  describe('phone', () => {
    const cases: [string, unknown, MapOptions['defaultRegion'], string | undefined][] = [
      ['an Indonesian number', '+62 812-3456-7890', undefined, '6281234567890'],
      ['a US number', '+1 (415) 555-2671', undefined, '14155552671'],
      ['a national number with defaultRegion', '0812-3456-7890', 'ID', '6281234567890'],
      ['a national number without defaultRegion', '0812-3456-7890', undefined, undefined],
      ['a US national number with defaultRegion US', '(415) 555-2671', 'US', '14155552671'],
      ['an RFC 3966 number, extension dropped', 'tel:+1-415-555-2671;ext=12', undefined, '14155552671'],
      ['a too-short number', '+1 12', undefined, undefined],
      ['an unknown calling code', '+999 1234567', undefined, undefined],
      ['a non-geographic (freephone) number', '+800 1234 5678', undefined, undefined],
      ['text', 'call me', undefined, undefined],
      ['a number value', 6281234567890, undefined, undefined],
    ];
    for (const [title, phone, defaultRegion, expected] of cases) {
      it(`${expected === undefined ? 'drops' : 'normalises'} ${title}`, () => {
        const extra = defaultRegion === undefined ? {} : { defaultRegion };
        expect(user({ sub: 's', phone_number: phone }, extra).phone).to.equal(expected);
      });
    }
  });

  describe('photoURL', () => {
    const cases: [string, unknown, string | undefined][] = [
      ['an https URL', 'https://img.example.com/a.png', 'https://img.example.com/a.png'],
      ['an http URL, serialised', 'HTTP://Img.Example.com/a b.png', 'http://img.example.com/a%20b.png'],
      ['a javascript: URL', 'javascript:alert(1)', undefined],
      ['a data: URL', 'data:image/png;base64,AAAA', undefined],
      ['a relative URL', '/a.png', undefined],
      ['a URL with credentials', 'https://user:pw@img.example.com/a.png', undefined],
      ['an object', { href: 'https://img.example.com/a.png' }, undefined],
    ];
    for (const [title, picture, expected] of cases) {
      it(`${expected === undefined ? 'drops' : 'keeps'} ${title}`, () => expect(user({ sub: 's', picture }).photoURL).to.equal(expected));
    }
  });

  describe('with claims of the wrong type', () => {
    it('ignores them without throwing', () => {
      const claims = {
        sub: 'carol',
        name: 42,
        given_name: null,
        family_name: ['Doe'],
        nickname: { first: 'C' },
        preferred_username: true,
        email: ['carol@example.com'],
        phone_number: 14155552671,
        picture: null,
      };
      expect(user(claims)).to.deep.equal({ customerUserID: 'acme:carol', fullName: 'carol' });
    });

    it('never reads inherited properties such as constructor', () => {
      const mapping = { ...defaultClaimMapping, fullName: ['constructor', 'sub'], alias: ['toString'] };
      expect(user({ sub: 's' }, { mapping })).to.deep.equal({ customerUserID: 'acme:s', fullName: 's' });
    });
  });
});

describe('mapClaims with requireVerifiedPhone', () => {
  const options = { customerUserIdPrefix: '', mapping: defaultClaimMapping, requireVerifiedPhone: true };
  const cases: Array<[string, unknown, string | undefined]> = [
    ['verified by the IdP (boolean)', true, '6281234567890'],
    ['verified as kept in a session (string)', 'true', '6281234567890'],
    ['marked unverified', false, undefined],
    ['with no verification claim', undefined, undefined],
    ['with a truthy but wrong value', 1, undefined],
  ];
  for (const [name, verified, expected] of cases) {
    it(`${expected ? 'sends' : 'leaves out'} the phone ${name}`, () => {
      const claims = { sub: 's', phone_number: '+62 812-3456-7890', ...(verified === undefined ? {} : { phone_number_verified: verified }) };
      const result = mapClaims(claims, options);
      expect(result.ok).to.equal(true);
      expect(result.ok ? result.user.phone : 'refused').to.equal(expected);
    });
  }
});
