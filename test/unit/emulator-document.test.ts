import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DOCUMENT_FIELD_LIMITS, DOCUMENT_PATHS, DOCUMENT_TICKET_LIFETIME_MS } from '../../src/emulator/document.js';

const DOCUMENT = readFileSync(new URL('../../docs/onetalk-user-contact-api.txt', import.meta.url), 'utf8');

/**
 * The "Size Range 1..N" of each request field, per endpoint, read from the document's text: a
 * field's name on a line of its own, its range on one of the lines that follow.
 */
function documentedRanges(): Record<string, Record<string, number | undefined>> {
  const ranges: Record<string, Record<string, number | undefined>> = {};
  let endpoint: string | undefined;
  let field: string | undefined;
  for (const line of DOCUMENT.split('\n')) {
    if (/^https:\/\/\S+\/request_auth_ticket$/.test(line)) endpoint = 'requestAuthTicket';
    if (/^https:\/\/\S+\/sync_contact$/.test(line)) endpoint = 'syncContact';
    const named = /^(customerUserID|fullName|alias|email|phone|photoURL)( \(optional\))?$/.exec(line);
    if (named && endpoint) {
      field = named[1]!;
      ranges[endpoint] ??= {};
      ranges[endpoint]![field] ??= undefined;
    }
    const range = /Size Range 1\.\.(\d+)/.exec(line);
    if (range && endpoint && field) ranges[endpoint]![field] = Number(range[1]);
  }
  return ranges;
}

describe("the emulator's reading of the OneTalk document", () => {
  it('holds every field size range exactly as the document states it', () => {
    const ranges = documentedRanges();
    expect(ranges.requestAuthTicket?.fullName, 'the parser found the ticket table').to.equal(250);
    expect(DOCUMENT_FIELD_LIMITS).to.deep.equal(ranges);
  });

  it("serves the document's two paths and its one-hour ticket lifetime", () => {
    for (const path of Object.values(DOCUMENT_PATHS)) expect(DOCUMENT).to.include(`https://onetalk-api.taptalk.io${path}\n`);
    expect(DOCUMENT).to.include('An auth ticket is valid for 1 hour');
    expect(DOCUMENT_TICKET_LIFETIME_MS).to.equal(3_600_000);
  });
});
