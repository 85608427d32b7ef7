import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import { FIELD_LIMITS, type Endpoint } from '../../src/onetalk/types.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const API_KEY = 'test-onetalk-key';
const PATHS: Record<Endpoint, string> = {
  requestAuthTicket: '/v1/user/request_auth_ticket',
  syncContact: '/api/integration/v1/user/sync_contact',
};

/**
 * The document's request example. Its email reads "[email protected]" in our copy (the page was
 * run through an e-mail obfuscator), so a real-looking address stands in for it.
 */
const DOCUMENT_EXAMPLE = {
  customerUserID: 'company:123',
  fullName: 'John Doe',
  alias: '',
  email: 'john.doe@example.com',
  phone: '6281234567890',
  photoURL: 'http://www.example.com/photo/john_doe.jpg',
};

interface Answer {
  status: number;
  contentType: string | null;
  body: { status: number; error: { code: string; message: string; field: string }; data: Record<string, unknown> };
}

async function post(emu: RunningEmulator, path: string, body: unknown, headers: Record<string, string> = { 'API-Key': API_KEY }): Promise<Answer> {
  const response = await fetch(emu.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Answer['body'] };
}

function paramError(message: string, field: string): Answer['body'] {
  return { status: 400, error: { code: '40002', message, field }, data: {} };
}

describe('OneTalk emulator API', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ apiKey: API_KEY });
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  describe("the document's request example", () => {
    it('request_auth_ticket answers the documented success shape with a ticket', async () => {
      const answer = await post(emu, PATHS.requestAuthTicket, DOCUMENT_EXAMPLE);
      expect(answer.status).to.equal(200);
      expect(answer.contentType).to.match(/^application\/json\b/);
      const { ticket, userID, ...rest } = answer.body.data;
      expect({ ...answer.body, data: rest }).to.deep.equal({
        status: 200,
        error: { code: '', message: '', field: '' },
        data: { success: true, message: 'Contact created successfully' },
      });
      expect(Object.keys(answer.body.data)).to.deep.equal(['success', 'message', 'userID', 'ticket']);
      expect(userID).to.be.a('string').and.match(/^[0-9a-f-]{36}$/);
      // The document's example ticket starts with this very header: {"alg":"HS256","typ":"JWT"}.
      expect(ticket).to.be.a('string').and.satisfy((t: string) => t.startsWith('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.'));
      expect(decodeProtectedHeader(ticket as string)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    });

    it('request_auth_ticket also answers under /api/integration', async () => {
      const answer = await post(emu, `/api/integration${PATHS.requestAuthTicket}`, DOCUMENT_EXAMPLE);
      expect(answer.body.data).to.have.property('ticket');
    });

    it('a second call for the same user says "Contact updated successfully" with the same userID', async () => {
      const first = await post(emu, PATHS.requestAuthTicket, DOCUMENT_EXAMPLE);
      const second = await post(emu, PATHS.requestAuthTicket, DOCUMENT_EXAMPLE);
      expect(second.body.data).to.include({ message: 'Contact updated successfully', userID: first.body.data.userID });
    });

    it('sync_contact answers the documented success shape without a ticket', async () => {
      const answer = await post(emu, PATHS.syncContact, DOCUMENT_EXAMPLE);
      const userID = answer.body.data.userID;
      expect(answer.body).to.deep.equal({
        status: 200,
        error: { code: '', message: '', field: '' },
        data: { success: true, message: 'Contact created successfully', userID },
      });
    });

    it('reads the body whatever the Content-Type (the document makes it optional)', async () => {
      const answer = await post(emu, PATHS.syncContact, DOCUMENT_EXAMPLE, { 'API-Key': API_KEY, 'Content-Type': 'text/plain' });
      expect(answer.status).to.equal(200);
    });
  });

  for (const [endpoint, path] of Object.entries(PATHS) as [Endpoint, string][]) {
    describe(`POST ${path}: errors, in the document's order`, () => {
      it('answers the 40001 body verbatim when API-Key is missing', async () => {
        const answer = await post(emu, path, DOCUMENT_EXAMPLE, {});
        expect(answer.status).to.equal(400);
        expect(answer.contentType).to.match(/^application\/json\b/);
        expect(answer.body).to.deep.equal({
          status: 400,
          error: { code: '40001', message: 'Request headers are required (API-Key)', field: '' },
          data: {},
        });
      });

      it('answers 40001 when API-Key is empty', async () => {
        expect((await post(emu, path, DOCUMENT_EXAMPLE, { 'API-Key': '' })).body.error.code).to.equal('40001');
      });

      it("answers 401 '40100' (emulator-own) for a wrong key", async () => {
        const answer = await post(emu, path, DOCUMENT_EXAMPLE, { 'API-Key': 'wrong' });
        expect(answer.status).to.equal(401);
        expect(answer.body).to.deep.equal({ status: 401, error: { code: '40100', message: 'Invalid API key', field: '' }, data: {} });
      });

      it('answers the 499/49900 body verbatim when no tier is selected, after the key checks', async () => {
        emu.settings.tierSelected = false;
        const answer = await post(emu, path, {});
        expect(answer.status).to.equal(499);
        expect(answer.body).to.deep.equal({ status: 499, error: { code: '49900', message: 'Please select a tier', field: '' }, data: {} });
        expect((await post(emu, path, {}, {})).body.error.code).to.equal('40001');
        expect((await post(emu, path, {}, { 'API-Key': 'wrong' })).body.error.code).to.equal('40100');
      });

      for (const [name, body] of [['malformed JSON', '{"customerUserID":'], ['an array', '[]'], ['a string', '"company:123"'], ['null', 'null'], ['a number', '42'], ['empty', '']]) {
        it(`answers 40002 with field '' when the body is ${name}`, async () => {
          const answer = await post(emu, path, body);
          expect(answer.body).to.deep.equal(paramError('Request body must be a JSON object', ''));
        });
      }

      it("answers 413 '41300' (emulator-own) for a body over 64 KiB, and accepts exactly 64 KiB", async () => {
        const base = JSON.stringify({ ...DOCUMENT_EXAMPLE, photoURL: '' });
        const sized = (bytes: number): string => JSON.stringify({ ...DOCUMENT_EXAMPLE, photoURL: 'h'.repeat(bytes - base.length) });
        expect(Buffer.byteLength(sized(64 * 1024))).to.equal(64 * 1024);
        expect((await post(emu, path, sized(64 * 1024))).status).to.equal(200);
        const answer = await post(emu, path, sized(64 * 1024 + 1));
        expect(answer.status).to.equal(413);
        expect(answer.body).to.deep.equal({
          status: 413,
          error: { code: '41300', message: 'Request body must be at most 64 KiB', field: '' },
          data: {},
        });
      });

      it('answers the documented 40002 body verbatim when customerUserID is missing', async () => {
        expect((await post(emu, path, { fullName: 'John Doe' })).body).to.deep.equal(paramError('Customer user ID is required', 'customerUserID'));
      });

      it('reports the first failing field in document order', async () => {
        const answer = await post(emu, path, { customerUserID: 'c', fullName: '', phone: '0812' });
        expect(answer.body).to.deep.equal(paramError('Full name is required', 'fullName'));
      });

      it('answers 40002 naming the field for a non-string value', async () => {
        expect((await post(emu, path, { customerUserID: 'c', fullName: 'J', email: 7 })).body).to.deep.equal(paramError('Email must be a string', 'email'));
      });

      for (const [phone, message] of [
        ['081234567890', 'Phone must start with a country code'],
        ['+6281234567890', 'Phone must contain digits only'],
        ['62 812 345', 'Phone must contain digits only'],
      ]) {
        it(`rejects phone ${JSON.stringify(phone)}: ${message}`, async () => {
          expect((await post(emu, path, { customerUserID: 'c', fullName: 'J', phone })).body).to.deep.equal(paramError(message as string, 'phone'));
        });
      }

      for (const [field, max] of Object.entries(FIELD_LIMITS[endpoint])) {
        if (max === undefined) continue;
        const label = { customerUserID: 'Customer user ID', fullName: 'Full name', alias: 'Alias', email: 'Email', phone: 'Phone' }[field];
        const fills: [string, (n: number) => string][] =
          field === 'phone' ? [['digits', (n) => '62' + '8'.repeat(n - 2)]] : [['ASCII', (n) => 'a'.repeat(n)], ['😀', (n) => '😀'.repeat(n)]];
        for (const [kind, fill] of fills) {
          it(`${field}: ${max} ${kind} characters pass, ${max + 1} answer 40002`, async () => {
            const base = { customerUserID: 'company:limits', fullName: 'Limit Tester' };
            expect((await post(emu, path, { ...base, [field]: fill(max) })).status).to.equal(200);
            const over = await post(emu, path, { ...base, [field]: fill(max + 1) });
            expect(over.body).to.deep.equal(paramError(`${label} must be 1 to ${max} characters`, field));
          });
        }
      }
    });
  }

  describe('other paths and methods', () => {
    it("answers 404 '40400' in the envelope for an unknown path", async () => {
      const answer = await post(emu, '/v1/user/nope', {});
      expect(answer.body).to.deep.equal({ status: 404, error: { code: '40400', message: 'Not found', field: '' }, data: {} });
    });

    it("answers 405 '40500' for GET on an API route", async () => {
      const response = await fetch(emu.url + PATHS.syncContact);
      expect(response.status).to.equal(405);
      expect(((await response.json()) as Answer['body']).error.code).to.equal('40500');
    });
  });

  describe('the request log', () => {
    it('records each call with its raw API-Key header, parsed body, status and code', async () => {
      await post(emu, PATHS.syncContact, DOCUMENT_EXAMPLE);
      await post(emu, PATHS.requestAuthTicket, 'not json', { 'API-Key': 'wrong' });
      expect(emu.requests).to.have.length(2);
      const [first, second] = emu.requests;
      expect(first).to.deep.include({ method: 'POST', path: PATHS.syncContact, body: DOCUMENT_EXAMPLE, bodyKind: 'json', status: 200, code: '' });
      expect(first?.headers['api-key']).to.equal(API_KEY);
      expect(second).to.deep.include({ body: 'not json', bodyKind: 'text', status: 401, code: '40100' });
      expect(Date.parse(second?.at ?? '')).to.be.closeTo(Date.now(), 5_000);
    });
  });
});
