import { expect } from 'chai';
import { claimMappingSchema, defaultClaimMapping } from '../../src/profile/index.js';
import { referencedClaims } from '../../src/profile/claim-mapping.js';
import mappingJson from '../../config/claim-mapping.json' with { type: 'json' };

const valid = { fullName: ['name'], alias: [], email: [], phone: [], photoURL: [] };

describe('claimMappingSchema', () => {
  it('parses config/claim-mapping.json into defaultClaimMapping', () => {
    expect(defaultClaimMapping).to.deep.equal(mappingJson);
    expect(defaultClaimMapping.fullName[1]).to.deep.equal(['given_name', 'family_name']);
  });

  it('freezes defaultClaimMapping so no caller can change it for the others', () => {
    expect(Object.isFrozen(defaultClaimMapping)).to.equal(true);
    expect(Object.isFrozen(defaultClaimMapping.fullName)).to.equal(true);
    expect(Object.isFrozen(defaultClaimMapping.fullName[1])).to.equal(true);
  });

  it('accepts a minimal mapping with empty optional lists', () => {
    expect(claimMappingSchema.safeParse(valid).success).to.equal(true);
  });

  it('accepts derived sources inside a join list', () => {
    expect(claimMappingSchema.safeParse({ ...valid, alias: [['nickname', '@email_local_part']] }).success).to.equal(true);
  });

  const refused: [string, unknown][] = [
    ['an empty fullName list', { ...valid, fullName: [] }],
    ['an unknown field (typo)', { ...valid, fullname: ['name'] }],
    ['a missing field', { fullName: ['name'], alias: [], email: [], phone: [] }],
    ['an empty claim name', { ...valid, fullName: [''] }],
    ['an empty join list', { ...valid, fullName: [[]] }],
    ['an unknown derived source', { ...valid, fullName: ['@email_localpart'] }],
    ['a derived source for email', { ...valid, email: ['@email_local_part'] }],
    ['a join list for phone', { ...valid, phone: [['a', 'b']] }],
    ['a nested join list', { ...valid, fullName: [[['a']]] }],
    ['a number as a claim name', { ...valid, fullName: [7] }],
    ['an array instead of an object', []],
  ];
  for (const [title, input] of refused) {
    it(`refuses ${title}`, () => expect(claimMappingSchema.safeParse(input).success).to.equal(false));
  }
});

describe('referencedClaims', () => {
  it('lists every claim the default mapping reads, derived sources resolved', () => {
    expect([...referencedClaims(defaultClaimMapping)].sort()).to.deep.equal(
      ['email', 'family_name', 'given_name', 'name', 'nickname', 'phone_number', 'picture', 'preferred_username', 'sub'].sort(),
    );
  });
});
