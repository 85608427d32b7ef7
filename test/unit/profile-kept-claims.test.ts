import { expect } from 'chai';
import { defaultClaimMapping, displayUser, mapClaims, MAX_SESSION_CLAIM_LENGTH, pickSessionClaims } from '../../src/profile/index.js';
import type { ClaimMapping } from '../../src/profile/index.js';

const idpClaims = {
  sub: 'alice-1',
  name: 'Alice Liddell',
  nickname: 'Ally',
  email: 'alice@example.com',
  email_verified: true,
  phone_number: '+1 (415) 555-2671',
  picture: 'https://img.example.com/alice.png',
  groups: ['admins'],
  address: { country: 'UK' },
  access_token: 'secret-token',
  favourite_colour: 'blue',
};

describe('pickSessionClaims', () => {
  it('keeps only the string claims the mapping reads, plus sub, name, email and picture', () => {
    expect(pickSessionClaims(idpClaims, defaultClaimMapping)).to.deep.equal({
      sub: 'alice-1',
      name: 'Alice Liddell',
      nickname: 'Ally',
      email: 'alice@example.com',
      phone_number: '+1 (415) 555-2671',
      picture: 'https://img.example.com/alice.png',
    });
  });

  it('keeps the display claims even when the mapping does not read them', () => {
    const mapping: ClaimMapping = { fullName: ['nickname'], alias: [], email: [], phone: [], photoURL: [] };
    expect(Object.keys(pickSessionClaims(idpClaims, mapping)).sort()).to.deep.equal(['email', 'name', 'nickname', 'picture', 'sub']);
  });

  it('keeps claims a custom mapping names', () => {
    const mapping: ClaimMapping = { ...defaultClaimMapping, alias: ['favourite_colour'] };
    expect(pickSessionClaims(idpClaims, mapping)).to.have.property('favourite_colour', 'blue');
  });

  it(`drops values over ${MAX_SESSION_CLAIM_LENGTH} characters instead of cutting them`, () => {
    const long = 'x'.repeat(MAX_SESSION_CLAIM_LENGTH + 1);
    const picked = pickSessionClaims({ sub: long, name: long, nickname: 'x'.repeat(MAX_SESSION_CLAIM_LENGTH) }, defaultClaimMapping);
    expect(picked).to.deep.equal({ nickname: 'x'.repeat(MAX_SESSION_CLAIM_LENGTH) });
  });

  const notObjects: [string, unknown][] = [['null', null], ['a string', 'sub'], ['an array', [idpClaims]], ['a number', 1]];
  for (const [title, input] of notObjects) {
    it(`returns {} for ${title}`, () => expect(pickSessionClaims(input, defaultClaimMapping)).to.deep.equal({}));
  }

  it('maps to the same OneTalk user as the full claims', () => {
    const options = { customerUserIdPrefix: 'acme:', mapping: defaultClaimMapping };
    expect(mapClaims(pickSessionClaims(idpClaims, defaultClaimMapping), options)).to.deep.equal(mapClaims(idpClaims, options));
  });

  it('keeps a claim named __proto__ as plain data', () => {
    const mapping: ClaimMapping = { ...defaultClaimMapping, alias: ['__proto__'] };
    const claims = JSON.parse('{"sub":"s","__proto__":"x"}') as unknown;
    const picked = pickSessionClaims(claims, mapping);
    expect(Object.hasOwn(picked, '__proto__')).to.equal(true);
    expect(Object.getPrototypeOf(picked)).to.equal(Object.prototype);
  });
});

describe('displayUser', () => {
  const cases: [string, Record<string, string>, ReturnType<typeof displayUser>][] = [
    [
      'shows name, email and picture',
      { sub: 'a', name: 'Alice', email: 'alice@example.com', picture: 'https://img.example.com/a.png' },
      { name: 'Alice', email: 'alice@example.com', picture: 'https://img.example.com/a.png' },
    ],
    ['falls back to given + family', { sub: 'a', given_name: 'Ada', family_name: 'Lovelace' }, { name: 'Ada Lovelace' }],
    ['falls back to the email local part', { sub: 'a', email: 'ada@example.com' }, { name: 'ada', email: 'ada@example.com' }],
    ['falls back to sub', { sub: 'bob' }, { name: 'bob' }],
    ['strips bidi overrides from the name', { sub: 'a', name: 'Ali\u202Ece' }, { name: 'Alice' }],
    ['drops an implausible email', { sub: 'a', email: 'nope' }, { name: 'a' }],
    ['drops a javascript: picture', { sub: 'a', picture: 'javascript:alert(1)' }, { name: 'a' }],
    ['still has a name without sub', {}, { name: 'User' }],
  ];
  for (const [title, claims, expected] of cases) {
    it(title, () => expect(displayUser(claims)).to.deep.equal(expected));
  }

  it('follows a custom mapping', () => {
    const mapping: ClaimMapping = { ...defaultClaimMapping, fullName: ['nickname', 'name'] };
    expect(displayUser({ sub: 'a', name: 'Alice', nickname: 'Ally' }, mapping).name).to.equal('Ally');
  });
});

describe('pickSessionClaims and phone_number_verified', () => {
  it('keeps a true verification flag as the string "true" and drops anything else', () => {
    expect(pickSessionClaims({ sub: 's', phone_number_verified: true }, defaultClaimMapping)).to.deep.equal({ sub: 's', phone_number_verified: 'true' });
    expect(pickSessionClaims({ sub: 's', phone_number_verified: false }, defaultClaimMapping)).to.deep.equal({ sub: 's' });
    expect(pickSessionClaims({ sub: 's', phone_number_verified: 'yes' }, defaultClaimMapping)).to.deep.equal({ sub: 's' });
  });
});
