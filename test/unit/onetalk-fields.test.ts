import { expect } from 'chai';
import { OneTalkError } from '../../src/onetalk/errors.js';
import { prepareBody } from '../../src/onetalk/fields.js';
import { codePointLength } from '../../src/onetalk/text.js';
import type { Endpoint } from '../../src/onetalk/types.js';

const base = { customerUserID: 'company:123', fullName: 'John Doe' };
const phoneOf = (n: number) => '62' + '8'.repeat(n - 2);
const emailOf = (n: number) => 'a'.repeat(n - '@example.com'.length) + '@example.com';

/** Asserts prepareBody refuses `input` with ONETALK_INVALID_INPUT on `field` and `message`. */
function expectInvalid(endpoint: Endpoint, input: unknown, field: string | undefined, message?: string): void {
  let caught: unknown;
  try {
    prepareBody(endpoint, input);
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(OneTalkError);
  const err = caught as OneTalkError;
  expect(err.code).to.equal('ONETALK_INVALID_INPUT');
  expect(err.endpoint).to.equal(endpoint);
  expect(err.field).to.equal(field);
  if (message !== undefined) expect(err.message).to.equal(message);
}

describe('onetalk/fields prepareBody', () => {
  describe('size limits, counted per endpoint', () => {
    // [endpoint, field, value builder, documented max]
    const cases: Array<[Endpoint, 'customerUserID' | 'fullName' | 'alias' | 'email' | 'phone', (n: number) => string, number]> = [
      ['requestAuthTicket', 'customerUserID', (n) => 'u'.repeat(n), 100],
      ['requestAuthTicket', 'fullName', (n) => 'n'.repeat(n), 250],
      ['requestAuthTicket', 'alias', (n) => 'a'.repeat(n), 100],
      ['requestAuthTicket', 'email', emailOf, 250],
      ['requestAuthTicket', 'phone', phoneOf, 20],
      ['syncContact', 'customerUserID', (n) => 'u'.repeat(n), 100],
      ['syncContact', 'fullName', (n) => 'n'.repeat(n), 100],
      ['syncContact', 'alias', (n) => 'a'.repeat(n), 100],
      ['syncContact', 'email', emailOf, 100],
      ['syncContact', 'phone', phoneOf, 100],
    ];
    for (const [endpoint, field, make, max] of cases) {
      it(`${endpoint} accepts ${field} of ${max} characters`, () => {
        const body = prepareBody(endpoint, { ...base, [field]: make(max) });
        expect(codePointLength(body[field] ?? '')).to.equal(max);
      });
      it(`${endpoint} refuses ${field} of ${max + 1} characters`, () => {
        expectInvalid(endpoint, { ...base, [field]: make(max + 1) }, field, `${field} must be at most ${max} characters`);
      });
    }
  });

  describe('characters are code points, not bytes nor UTF-16 units', () => {
    const cases: Array<[string, string, boolean]> = [
      ['100 emoji (200 UTF-16 units, 400 bytes)', '😀'.repeat(100), true],
      ['101 emoji', '😀'.repeat(101), false],
      ["100 'é' (200 bytes)", 'é'.repeat(100), true],
      ["101 'é'", 'é'.repeat(101), false],
    ];
    for (const [label, value, ok] of cases) {
      it(`${ok ? 'accepts' : 'refuses'} a customerUserID of ${label}`, () => {
        if (ok) expect(prepareBody('syncContact', { ...base, customerUserID: value }).customerUserID).to.equal(value);
        else expectInvalid('syncContact', { ...base, customerUserID: value }, 'customerUserID');
      });
    }
    it('refuses a lone surrogate', () => {
      expectInvalid('requestAuthTicket', { ...base, fullName: 'John \uD83D' }, 'fullName', 'fullName must be well-formed Unicode text');
    });
  });

  describe('absent optional fields', () => {
    for (const empty of [undefined, null, '']) {
      it(`leaves out optional fields given as ${JSON.stringify(empty) ?? 'undefined'}`, () => {
        const body = prepareBody('requestAuthTicket', { ...base, alias: empty, email: empty, phone: empty, photoURL: empty });
        expect(body).to.deep.equal(base);
        expect(Object.keys(body)).to.deep.equal(['customerUserID', 'fullName']);
      });
    }
  });

  describe('required fields and types', () => {
    const cases: Array<[string, unknown, string | undefined, string]> = [
      ['customerUserID missing', { fullName: 'John' }, 'customerUserID', 'customerUserID is required'],
      ['customerUserID empty', { ...base, customerUserID: '' }, 'customerUserID', 'customerUserID is required'],
      ['fullName null', { ...base, fullName: null }, 'fullName', 'fullName is required'],
      ['customerUserID a number', { ...base, customerUserID: 123 }, 'customerUserID', 'customerUserID must be a string'],
      ['fullName an object', { ...base, fullName: { first: 'J' } }, 'fullName', 'fullName must be a string'],
      ['email a boolean', { ...base, email: true }, 'email', 'email must be a string'],
      ['phone a number', { ...base, phone: 6281234567890 }, 'phone', 'phone must be a string'],
    ];
    for (const [label, input, field, message] of cases) {
      it(`refuses ${label}`, () => expectInvalid('requestAuthTicket', input, field, message));
    }
    for (const input of [null, undefined, 'user', 42, [base]]) {
      it(`refuses a non-object input (${Array.isArray(input) ? 'array' : String(input)})`, () => {
        expectInvalid('syncContact', input, undefined, 'the user must be an object');
      });
    }
  });

  describe('phone', () => {
    const cases: Array<[string, boolean]> = [
      ['6281234567890', true], // the document's example, Indonesia +62
      ['14155550123', true], // +1
      ['447911123456', true], // +44
      ['081234567890', false], // national trunk prefix: no calling code starts with 0
      ['62', false], // a calling code alone
      ['999123456', false], // 999 is no calling code
      ['+6281234567890', false],
      ['62 812 3456 7890', false],
      ['62812345678ab', false],
      ['62-812-3456', false],
    ];
    for (const [phone, ok] of cases) {
      it(`${ok ? 'accepts' : 'refuses'} ${JSON.stringify(phone)}`, () => {
        if (ok) expect(prepareBody('requestAuthTicket', { ...base, phone }).phone).to.equal(phone);
        else expectInvalid('requestAuthTicket', { ...base, phone }, 'phone');
      });
    }
  });

  describe('photoURL (stricter than the document: absolute http(s) only)', () => {
    const cases: Array<[string, boolean]> = [
      ['http://www.example.com/photo/john_doe.jpg', true],
      ['https://cdn.example.com/a.png?size=200', true],
      ['javascript:alert(1)', false],
      ['data:image/png;base64,AAAA', false],
      ['/photo/john.jpg', false],
      ['ftp://example.com/a.png', false],
      [' https://example.com/a.png', false],
    ];
    for (const [photoURL, ok] of cases) {
      it(`${ok ? 'accepts' : 'refuses'} ${JSON.stringify(photoURL)}`, () => {
        if (ok) expect(prepareBody('syncContact', { ...base, photoURL }).photoURL).to.equal(photoURL);
        else expectInvalid('syncContact', { ...base, photoURL }, 'photoURL', 'photoURL must be an absolute http(s) URL');
      });
    }
  });

  describe('the body it returns', () => {
    it('drops unknown properties and orders keys as the document does', () => {
      const input = {
        photoURL: 'https://example.com/p.jpg',
        extra: 'dropped',
        phone: '6281234567890',
        email: 'john@example.com',
        alias: 'JD',
        fullName: 'John Doe',
        customerUserID: 'company:123',
      };
      const body = prepareBody('requestAuthTicket', input);
      expect(Object.keys(body)).to.deep.equal(['customerUserID', 'fullName', 'alias', 'email', 'phone', 'photoURL']);
      expect(body).to.not.equal(input);
    });
  });
});
