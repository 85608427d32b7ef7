import { expect } from 'chai';
import { FIELD_LIMITS, type Endpoint, type FieldName } from '../../src/onetalk/types.js';
import { callingCodeOf, phoneProblem } from '../../src/emulator/phone.js';
import { BODY_NOT_OBJECT, codePointLength, validateContactBody } from '../../src/emulator/validate.js';

const valid = { customerUserID: 'company:123', fullName: 'John Doe' };

describe('emulator validation', () => {
  describe('codePointLength', () => {
    it('counts code points, not UTF-16 units or bytes', () => {
      expect(codePointLength('abc')).to.equal(3);
      expect(codePointLength('😀😀')).to.equal(2);
      expect(codePointLength('é')).to.equal(1);
    });
  });

  describe('the body', () => {
    for (const body of [null, [], 'text', 42, true, undefined]) {
      it(`rejects ${JSON.stringify(body) ?? 'undefined'} as not a JSON object, with no field`, () => {
        expect(validateContactBody('syncContact', body)).to.deep.equal({ ok: false, field: '', message: BODY_NOT_OBJECT });
      });
    }

    it('ignores unknown properties and drops optional fields sent as ""', () => {
      const result = validateContactBody('requestAuthTicket', { ...valid, alias: '', nickname: 'JD' });
      expect(result).to.deep.equal({ ok: true, value: valid });
    });
  });

  describe('required fields', () => {
    const cases: [string, Record<string, unknown>, FieldName, string][] = [
      ['customerUserID missing', { fullName: 'J' }, 'customerUserID', 'Customer user ID is required'],
      ['customerUserID empty', { customerUserID: '', fullName: 'J' }, 'customerUserID', 'Customer user ID is required'],
      ['fullName missing', { customerUserID: 'c' }, 'fullName', 'Full name is required'],
      ['fullName empty', { customerUserID: 'c', fullName: '' }, 'fullName', 'Full name is required'],
      ['customerUserID a number', { customerUserID: 123, fullName: 'J' }, 'customerUserID', 'Customer user ID must be a string'],
      ['fullName null', { customerUserID: 'c', fullName: null }, 'fullName', 'Full name must be a string'],
      ['alias an object', { ...valid, alias: {} }, 'alias', 'Alias must be a string'],
      ['email an array', { ...valid, email: ['a@b.c'] }, 'email', 'Email must be a string'],
      ['phone a number', { ...valid, phone: 6281234567890 }, 'phone', 'Phone must be a string'],
      ['photoURL false', { ...valid, photoURL: false }, 'photoURL', 'Photo URL must be a string'],
    ];
    for (const [name, body, field, message] of cases) {
      it(`reports ${name} as field ${field}: "${message}"`, () => {
        expect(validateContactBody('requestAuthTicket', body)).to.deep.equal({ ok: false, field, message });
      });
    }

    it('reports the first failing field in document order', () => {
      const result = validateContactBody('requestAuthTicket', { fullName: '', phone: 'x', email: 5 });
      expect(result).to.include({ field: 'customerUserID' });
    });
  });

  describe('size ranges', () => {
    const endpoints: Endpoint[] = ['requestAuthTicket', 'syncContact'];
    for (const endpoint of endpoints) {
      for (const [field, max] of Object.entries(FIELD_LIMITS[endpoint])) {
        if (max === undefined) continue;
        // Phones must be digits with a country code; other fields also get a 4-byte character.
        const fill = (n: number): string => (field === 'phone' ? '62' + '1'.repeat(n - 2) : 'x'.repeat(n));
        it(`${endpoint}: ${field} accepts ${max} characters and rejects ${max + 1}`, () => {
          expect(validateContactBody(endpoint, { ...valid, [field]: fill(max) }).ok).to.equal(true);
          expect(validateContactBody(endpoint, { ...valid, [field]: fill(max + 1) })).to.deep.include({ ok: false, field });
        });
        if (field !== 'phone') {
          it(`${endpoint}: ${field} counts '😀' as one character (${max} ok, ${max + 1} not)`, () => {
            expect(validateContactBody(endpoint, { ...valid, [field]: '😀'.repeat(max) }).ok).to.equal(true);
            const over = validateContactBody(endpoint, { ...valid, [field]: '😀'.repeat(max + 1) });
            expect(over).to.have.property('message').that.matches(new RegExp(`must be 1 to ${max} characters$`));
          });
        }
      }
    }

    it('has no size limit for photoURL', () => {
      const photoURL = 'http://example.com/' + 'p'.repeat(5000);
      expect(validateContactBody('syncContact', { ...valid, photoURL })).to.deep.equal({ ok: true, value: { ...valid, photoURL } });
    });
  });

  describe('phone', () => {
    const cases: [string, string | undefined][] = [
      ['6281234567890', undefined],
      ['14155550123', undefined],
      ['447911123456', undefined],
      ['80012345678', undefined], // non-geographic: international freephone
      ['081234567890', 'Phone must start with a country code'],
      ['0', 'Phone must start with a country code'],
      ['+6281234567890', 'Phone must contain digits only'],
      ['62 812 3456', 'Phone must contain digits only'],
      ['62-812-3456', 'Phone must contain digits only'],
      ['٦٢٨١٢٣', 'Phone must contain digits only'],
      ['62', 'Phone must have a number after the country code'],
    ];
    for (const [phone, problem] of cases) {
      it(`${JSON.stringify(phone)} → ${problem ?? 'accepted'}`, () => {
        expect(phoneProblem(phone)).to.equal(problem);
      });
    }

    it('finds the calling code a number starts with', () => {
      expect(callingCodeOf('6281234')).to.equal('62');
      expect(callingCodeOf('1415')).to.equal('1');
      expect(callingCodeOf('88212345')).to.equal('882');
      expect(callingCodeOf('0812')).to.equal(undefined);
    });

    it('is checked by validateContactBody with field "phone"', () => {
      expect(validateContactBody('syncContact', { ...valid, phone: '0812345' })).to.deep.equal({
        ok: false,
        field: 'phone',
        message: 'Phone must start with a country code',
      });
    });
  });
});
