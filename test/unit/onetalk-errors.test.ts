import { inspect } from 'node:util';
import { expect } from 'chai';
import { parseEnvelope, parseRetryAfter } from '../../src/onetalk/envelope.js';
import { OneTalkError, cleanUpstreamText, isOneTalkError, sanitizedCause } from '../../src/onetalk/errors.js';
import type { Endpoint } from '../../src/onetalk/types.js';

const KEY = 'sk-NEVER-LEAK-1234567890';
const NOW = Date.parse('2030-01-01T00:00:00Z');

/** The document's own bodies, verbatim. */
const DOC = {
  ticketOk: { status: 200, error: { code: '', message: '', field: '' }, data: { success: true, message: 'Contact updated successfully', userID: '354c63e1-2485-4380-b307-4f2ea1ff69d0', ticket: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' } },
  syncOk: { status: 200, error: { code: '', message: '', field: '' }, data: { success: true, message: 'Contact updated successfully', userID: '354c63e1-2485-4380-b307-4f2ea1ff69d0' } },
  param: { status: 400, error: { code: '40002', message: 'Customer user ID is required', field: 'customerUserID' }, data: {} },
  header: { status: 400, error: { code: '40001', message: 'Request headers are required (API-Key)', field: '' }, data: {} },
  tier: { status: 499, error: { code: '49900', message: 'Please select a tier', field: '' }, data: {} },
};
const envelope = (status: number, code: string, message = '') => ({ status, error: { code, message, field: '' }, data: {} });

function parseError(endpoint: Endpoint, status: number, body: unknown, headers: Record<string, string> = {}): OneTalkError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    parseEnvelope(endpoint, status, headers, text, { now: () => NOW, redact: (t) => t.split(KEY).join('[redacted]') });
  } catch (e) {
    expect(isOneTalkError(e)).to.equal(true);
    return e as OneTalkError;
  }
  throw new Error('expected parseEnvelope to throw');
}

describe('onetalk/errors OneTalkError', () => {
  const err = new OneTalkError('ONETALK_PARAM_VALIDATION', 'OneTalk parameter validation failed', {
    endpoint: 'syncContact',
    upstreamStatus: 400,
    upstreamCode: '40002',
    field: 'customerUserID',
    cause: sanitizedCause('ECONNRESET'),
  });

  it('carries a stable code and the safe details', () => {
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal('OneTalkError');
    expect(err.stack).to.match(/^OneTalkError: OneTalk parameter validation failed/);
    expect(err).to.include({ code: 'ONETALK_PARAM_VALIDATION', endpoint: 'syncContact', upstreamStatus: 400, upstreamCode: '40002', field: 'customerUserID' });
  });

  it('keeps cause non-enumerable and toJSON to the safe fields', () => {
    expect(Object.keys(err)).to.not.include('cause');
    expect((err.cause as Error & { code: string }).code).to.equal('ECONNRESET');
    expect(JSON.parse(JSON.stringify(err))).to.deep.equal({
      name: 'OneTalkError',
      code: 'ONETALK_PARAM_VALIDATION',
      message: 'OneTalk parameter validation failed',
      endpoint: 'syncContact',
      upstreamStatus: 400,
      upstreamCode: '40002',
      field: 'customerUserID',
    });
  });

  it('has no properties for details it does not have', () => {
    const bare = new OneTalkError('ONETALK_TIMEOUT', 'late', { endpoint: 'requestAuthTicket' });
    expect(Object.keys(bare).sort()).to.deep.equal(['code', 'endpoint']);
    expect(bare.toJSON()).to.deep.equal({ name: 'OneTalkError', code: 'ONETALK_TIMEOUT', message: 'late', endpoint: 'requestAuthTicket' });
  });

  it('isOneTalkError tells its own errors apart', () => {
    expect(isOneTalkError(err)).to.equal(true);
    expect(isOneTalkError(new Error('x'))).to.equal(false);
    expect(isOneTalkError({ code: 'ONETALK_TIMEOUT' })).to.equal(false);
  });

  it('sanitizedCause keeps only a token-like code', () => {
    expect(sanitizedCause('ECONNREFUSED').message).to.equal('ECONNREFUSED');
    expect(sanitizedCause(`x ${KEY}`).message).to.equal('UNKNOWN');
    expect(sanitizedCause(undefined).message).to.equal('UNKNOWN');
  });

  it('cleanUpstreamText flattens control characters and bounds length', () => {
    expect(cleanUpstreamText('line1\r\nfake log line')).to.equal('line1 fake log line');
    expect(cleanUpstreamText('😀'.repeat(300))).to.equal('😀'.repeat(200) + '…');
  });
});

describe('onetalk/envelope parseEnvelope', () => {
  describe('when OneTalk succeeds', () => {
    it('returns the ticket data of the document example', () => {
      expect(parseEnvelope('requestAuthTicket', 200, {}, JSON.stringify(DOC.ticketOk))).to.deep.equal({
        userID: '354c63e1-2485-4380-b307-4f2ea1ff69d0',
        ticket: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
        message: 'Contact updated successfully',
      });
    });
    it('returns the sync data of the document example', () => {
      expect(parseEnvelope('syncContact', 200, {}, JSON.stringify(DOC.syncOk))).to.deep.equal({
        userID: '354c63e1-2485-4380-b307-4f2ea1ff69d0',
        message: 'Contact updated successfully',
      });
    });
  });

  describe('maps every failure to a code', () => {
    // [label, endpoint, HTTP status, body, expected code, expected upstreamCode, expected field]
    const cases: Array<[string, Endpoint, number, unknown, string, string?, string?]> = [
      ['the document 40002 body', 'requestAuthTicket', 400, DOC.param, 'ONETALK_PARAM_VALIDATION', '40002', 'customerUserID'],
      ['the document 40001 body', 'syncContact', 400, DOC.header, 'ONETALK_HEADER_VALIDATION', '40001'],
      ['the document 49900 body', 'requestAuthTicket', 499, DOC.tier, 'ONETALK_TIER_NOT_SELECTED', '49900'],
      ['HTTP 499 without a body', 'syncContact', 499, '', 'ONETALK_TIER_NOT_SELECTED'],
      ['code 49900 under another 4xx', 'syncContact', 403, envelope(403, '49900'), 'ONETALK_TIER_NOT_SELECTED', '49900'],
      ['401', 'requestAuthTicket', 401, envelope(401, '40100', 'Invalid API key'), 'ONETALK_KEY_REFUSED', '40100'],
      ['403 HTML', 'requestAuthTicket', 403, '<html>Forbidden</html>', 'ONETALK_KEY_REFUSED'],
      ['409 duplicate keys', 'syncContact', 409, envelope(409, '40901', 'Duplicate keys'), 'ONETALK_REJECTED', '40901'],
      ['409 tied to another customer user ID', 'syncContact', 409, envelope(409, '40902'), 'ONETALK_REJECTED', '40902'],
      ['400 with an undocumented code', 'syncContact', 400, envelope(400, '40099'), 'ONETALK_REJECTED', '40099'],
      ['404 not an envelope', 'requestAuthTicket', 404, 'Not Found', 'ONETALK_REJECTED'],
      ['429', 'requestAuthTicket', 429, '', 'ONETALK_RATE_LIMITED'],
      ['500 HTML', 'requestAuthTicket', 500, '<html><body>Internal Server Error</body></html>', 'ONETALK_UNAVAILABLE'],
      ['503 envelope', 'syncContact', 503, envelope(503, '50300'), 'ONETALK_UNAVAILABLE', '50300'],
      ['302', 'requestAuthTicket', 302, '', 'ONETALK_BAD_RESPONSE'],
      ['204', 'requestAuthTicket', 204, '', 'ONETALK_BAD_RESPONSE'],
      ['200 not JSON', 'requestAuthTicket', 200, '<html>ok</html>', 'ONETALK_BAD_RESPONSE'],
      ['200 JSON null', 'requestAuthTicket', 200, 'null', 'ONETALK_BAD_RESPONSE'],
      ['200 JSON array', 'requestAuthTicket', 200, [DOC.ticketOk], 'ONETALK_BAD_RESPONSE'],
      ['200 envelope status 400', 'requestAuthTicket', 200, { ...DOC.ticketOk, status: 400 }, 'ONETALK_BAD_RESPONSE'],
      ['200 with an error code', 'syncContact', 200, { ...DOC.syncOk, error: { code: '40002', message: '', field: '' } }, 'ONETALK_BAD_RESPONSE'],
      ['200 without data', 'syncContact', 200, { status: 200, error: DOC.syncOk.error }, 'ONETALK_BAD_RESPONSE'],
      ['200 without a ticket', 'requestAuthTicket', 200, DOC.syncOk, 'ONETALK_BAD_RESPONSE'],
      ['200 with an empty ticket', 'requestAuthTicket', 200, { ...DOC.ticketOk, data: { ...DOC.ticketOk.data, ticket: '' } }, 'ONETALK_BAD_RESPONSE'],
      ['200 with a numeric userID', 'syncContact', 200, { ...DOC.syncOk, data: { ...DOC.syncOk.data, userID: 7 } }, 'ONETALK_BAD_RESPONSE'],
      ['200 with success "yes"', 'syncContact', 200, { ...DOC.syncOk, data: { ...DOC.syncOk.data, success: 'yes' } }, 'ONETALK_BAD_RESPONSE'],
      ['200 with success false', 'syncContact', 200, { ...DOC.syncOk, data: { ...DOC.syncOk.data, success: false } }, 'ONETALK_REJECTED'],
    ];
    for (const [label, endpoint, status, body, code, upstreamCode, field] of cases) {
      it(`${label} → ${code}`, () => {
        const err = parseError(endpoint, status, body);
        expect(err.code).to.equal(code);
        expect(err.endpoint).to.equal(endpoint);
        expect(err.upstreamStatus).to.equal(status);
        expect(err.upstreamCode).to.equal(upstreamCode);
        expect(err.field).to.equal(field);
      });
    }
  });

  it('keeps the upstream message for logs', () => {
    expect(parseError('requestAuthTicket', 400, DOC.param).message).to.equal(
      'OneTalk parameter validation failed on customerUserID: Customer user ID is required',
    );
    expect(parseError('requestAuthTicket', 404, 'nope').message).to.equal('OneTalk answered HTTP 404');
  });

  it('redacts the key if OneTalk echoes it in any member', () => {
    const echo = { status: 401, error: { code: KEY, message: `bad key ${KEY}`, field: KEY }, data: {} };
    const err = parseError('requestAuthTicket', 401, echo);
    expect(err.message).to.equal('OneTalk refused the API key (HTTP 401): bad key [redacted]');
    expect(inspect(err, { depth: 10 }) + JSON.stringify(err)).to.not.include(KEY);
  });

  it('reads Retry-After on 429 as seconds or as an HTTP-date', () => {
    expect(parseError('syncContact', 429, '', { 'Retry-After': '7' }).retryAfterMs).to.equal(7000);
    const date = new Date(NOW + 90_000).toUTCString();
    expect(parseError('syncContact', 429, '', { 'retry-after': date }).retryAfterMs).to.equal(90_000);
    expect(parseError('syncContact', 429, '').retryAfterMs).to.equal(undefined);
  });
});

describe('onetalk/envelope parseRetryAfter', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    ['0', 0],
    [' 120 ', 120_000],
    ['Wed, 01 Jan 2030 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2029 23:59:00 GMT', 0], // in the past
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['2030-01-01T00:01:00Z', undefined], // not an HTTP-date
    [undefined, undefined],
  ];
  for (const [value, ms] of cases) {
    it(`${JSON.stringify(value)} → ${ms}`, () => expect(parseRetryAfter(value, NOW)).to.equal(ms));
  }
});
