import { expect } from 'chai';
import fc from 'fast-check';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';
import type { CountryCode } from 'libphonenumber-js';
import { prepareBody } from '../../src/onetalk/index.js';
import { FIELD_LIMITS } from '../../src/onetalk/types.js';
import type { Endpoint, TicketUser } from '../../src/onetalk/types.js';
import { claimMappingSchema, defaultClaimMapping, displayUser, mapClaims, pickSessionClaims } from '../../src/profile/index.js';
import type { ClaimMapping, MapResult } from '../../src/profile/index.js';

/** Written independently of src/profile/text.ts on purpose: the oracle must not share the bug. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_OR_BIDI = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
const codePoints = (s: string): number => Array.from(s).length;

const CLAIMS = ['sub', 'name', 'given_name', 'family_name', 'nickname', 'preferred_username', 'email', 'phone_number', 'picture'];
const ENDPOINTS: Endpoint[] = ['requestAuthTicket', 'syncContact'];

const invisible = fc.constantFrom(' ', '\t', '\n', '\u0000', '\u0085', '\u009B', '\u00A0', '\u200B', '\u200D', '\u202E', '\u2066', '\uFEFF');
const loneSurrogate = fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF');
const messyText = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), invisible, loneSurrogate, fc.constant('\u{1F600}')),
  maxLength: 320,
});
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  messyText,
);
/** Real-looking mobile numbers of every region, written the ways people and IdPs write them. */
const examplePhone = fc
  .tuple(fc.constantFrom(...getCountries()), fc.constantFrom('E.164', 'INTERNATIONAL', 'NATIONAL', 'RFC3966') )
  .map(([region, format]) => getExampleNumber(region, examples)?.format(format) ?? '');
const noisyPhone = fc
  .tuple(
    fc.constantFrom('+62', '+1', '+44', '+49', '+91', '+800', '+999', '+', '0', '', 'tel:+1-'),
    fc.array(fc.oneof(fc.stringMatching(/^\d{1,4}$/), fc.constantFrom(' ', '-', '(', ')', '.', ' ext. ')), { maxLength: 8 }),
  )
  .map(([code, parts]) => code + parts.join(''));
const phone = fc.oneof(examplePhone, noisyPhone);
const url = fc.oneof(
  fc.webUrl(),
  fc.webUrl().map((u) => u.replace(/^https?/, 'javascript')),
  fc.constantFrom('javascript:alert(1)', 'data:image/png;base64,AA', '/relative.png', 'https://u:p@h.example/a', ' https://x.example/a '),
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const value = fc.oneof(text, fc.emailAddress(), phone, url, wrongType);
const sub = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 85, maxLength: 105 }) },
  fc.string({ unit: 'binary', maxLength: 110 }),
  messyText,
  fc.constant(''),
  wrongType,
);
const claims = fc
  .tuple(
    fc.record(
      {
        sub,
        name: value,
        given_name: value,
        family_name: value,
        nickname: value,
        preferred_username: value,
        email: fc.oneof(fc.emailAddress(), value),
        phone_number: fc.oneof(phone, value),
        picture: fc.oneof(url, value),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 4 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }));
const withSub = fc.tuple(claims, sub).map(([c, s]) => ({ ...c, sub: s }));
const input = fc.oneof(
  { weight: 15, arbitrary: withSub },
  { weight: 4, arbitrary: claims },
  { weight: 1, arbitrary: fc.anything() },
);

const claimName = fc.constantFrom(...CLAIMS, 'constructor', '__proto__', 'toString');
const textCandidate = fc.oneof(claimName, fc.constant('@email_local_part'), fc.array(fc.oneof(claimName, fc.constant('@email_local_part')), { minLength: 1, maxLength: 3 }));
const mapping: fc.Arbitrary<ClaimMapping> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(defaultClaimMapping) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        fullName: fc.array(textCandidate, { minLength: 1, maxLength: 4 }),
        alias: fc.array(textCandidate, { maxLength: 3 }),
        email: fc.array(claimName, { maxLength: 2 }),
        phone: fc.array(claimName, { maxLength: 2 }),
        photoURL: fc.array(claimName, { maxLength: 2 }),
      })
      .map((m) => claimMappingSchema.parse(m)),
  },
);
const options = fc.record({
  customerUserIdPrefix: fc.oneof(
    fc.constant(''),
    fc.constant('acme:'),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 105 }),
  ),
  mapping,
  endpoint: fc.constantFrom(...ENDPOINTS),
  defaultRegion: fc.constantFrom<CountryCode | undefined>(undefined, 'ID', 'US', 'GB', 'DE', 'IN'),
});

/** The document's rules, checked field by field (independently of prepareBody). */
function expectDocumentRules(user: TicketUser, endpoint: Endpoint): void {
  const limits = FIELD_LIMITS[endpoint];
  expect(Object.keys(user)).to.include.members(['customerUserID', 'fullName']);
  for (const [field, v] of Object.entries(user)) {
    expect(['customerUserID', 'fullName', 'alias', 'email', 'phone', 'photoURL']).to.include(field);
    expect(v, field).to.be.a('string');
    const s = v as string;
    const limit = limits[field as keyof typeof limits];
    expect(codePoints(s), field).to.be.at.least(1);
    if (limit !== undefined) expect(codePoints(s), field).to.be.at.most(limit);
    expect(UNPAIRED_SURROGATE.test(s), `${field} has a lone surrogate`).to.equal(false);
  }
  for (const field of ['fullName', 'alias'] as const) {
    const s = user[field];
    if (s === undefined) continue;
    expect(CONTROL_OR_BIDI.test(s), `${field} has a control or bidi character`).to.equal(false);
    expect(s.trim(), field).to.equal(s);
  }
  if (user.email !== undefined) expect(user.email.split('@')).to.have.length(2);
  if (user.phone !== undefined) {
    expect(user.phone).to.match(/^\d+$/);
    const code = parsePhoneNumberFromString(`+${user.phone}`)?.countryCallingCode;
    expect(code, 'phone calling code').to.be.a('string');
    expect(user.phone.startsWith(code ?? '\0')).to.equal(true);
  }
  if (user.photoURL !== undefined) {
    const parsed = new URL(user.photoURL);
    expect(['http:', 'https:']).to.include(parsed.protocol);
    expect(parsed.href).to.equal(user.photoURL);
  }
}

/** Why a refusal is right: only `sub` problems may refuse. */
function expectSubProblem(claimsIn: unknown, prefix: string, result: Extract<MapResult, { ok: false }>): void {
  const s = typeof claimsIn === 'object' && claimsIn !== null && !Array.isArray(claimsIn) && Object.hasOwn(claimsIn, 'sub')
    ? (claimsIn as Record<string, unknown>).sub
    : undefined;
  const usable = typeof s === 'string' && s !== '' && !UNPAIRED_SURROGATE.test(s);
  if (!usable) expect(result.code).to.equal('missing_sub');
  else {
    expect(result.code).to.equal('customer_user_id_too_long');
    expect(codePoints(prefix + s)).to.be.greaterThan(100);
  }
}

describe('mapClaims properties', function () {
  // Run counts: enough that each weighted branch of the generators (long composite subs, lone
  // surrogates, phone formats, custom mappings, arbitrary values) comes up dozens of times per
  // run, without spending seconds of the suite's budget on libphonenumber parsing.
  this.timeout(60_000);

  it('answers ok with a body the document accepts, or refuses only for sub problems', () => {
    fc.assert(
      fc.property(input, options, (claimsIn, opts) => {
        const result = mapClaims(claimsIn, opts);
        if (!result.ok) return expectSubProblem(claimsIn, opts.customerUserIdPrefix, result);
        expectDocumentRules(result.user, opts.endpoint);
        expect(result.user.customerUserID).to.equal(opts.customerUserIdPrefix + String((claimsIn as { sub: unknown }).sub));
        // The adapter's own pre-send check is a second oracle: it must accept the body unchanged.
        expect(prepareBody(opts.endpoint, result.user)).to.deep.equal(result.user);
      }),
      { numRuns: 1500 },
    );
  });

  it('maps the session subset to the same user as the full claims', () => {
    fc.assert(
      fc.property(claims, options, (claimsIn, opts) => {
        expect(mapClaims(pickSessionClaims(claimsIn, opts.mapping), opts)).to.deep.equal(mapClaims(claimsIn, opts));
      }),
      { numRuns: 600 },
    );
  });

  it('only ever keeps bounded string claims in the session', () => {
    fc.assert(
      fc.property(input, mapping, (claimsIn, m) => {
        const picked = pickSessionClaims(claimsIn, m);
        for (const v of Object.values(picked)) expect(v).to.be.a('string').with.length.at.most(2048);
        expect(Object.keys(picked).length).to.be.at.most(CLAIMS.length + 3);
      }),
      { numRuns: 600 },
    );
  });

  it('always gives displayUser a visible name and only safe extras', () => {
    fc.assert(
      fc.property(claims, mapping, (claimsIn, m) => {
        const shown = displayUser(pickSessionClaims(claimsIn, m), m);
        expect(codePoints(shown.name)).to.be.within(1, 250);
        expect(UNPAIRED_SURROGATE.test(shown.name)).to.equal(false);
        expect(CONTROL_OR_BIDI.test(shown.name)).to.equal(false);
        if (shown.picture !== undefined) expect(['http:', 'https:']).to.include(new URL(shown.picture).protocol);
      }),
      { numRuns: 600 },
    );
  });
});
