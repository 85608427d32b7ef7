import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatOf, InputError, readRows, type InputFormat, type SourceRow } from '../../src/sync/reader.js';

describe('reading a contact file', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sync-reader-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function rows(text: string, format: InputFormat): Promise<Array<Omit<SourceRow, 'bytes'>>> {
    const path = join(dir, `f${++n}.${format}`);
    await writeFile(path, text);
    const out: Array<Omit<SourceRow, 'bytes'>> = [];
    for await (const { bytes: _bytes, ...row } of readRows(path, format)) out.push(row);
    return out;
  }
  const failure = (text: string, format: InputFormat) => rows(text, format).then(() => undefined, (e: unknown) => e);

  describe('formatOf', () => {
    it('goes by the extension, or by --format', () => {
      expect(formatOf('a.CSV')).to.equal('csv');
      expect(formatOf('a.jsonl')).to.equal('jsonl');
      expect(formatOf('a.ndjson')).to.equal('jsonl');
      expect(formatOf('a.txt', 'csv')).to.equal('csv');
    });
    it('refuses what it cannot tell', () => {
      expect(() => formatOf('a.txt')).to.throw(InputError, /--format/);
      expect(() => formatOf('a.csv', 'xml')).to.throw(InputError, /unknown format "xml"/);
    });
  });

  describe('CSV', () => {
    it('numbers rows by the physical line they start on (header, blank lines, CRLF, BOM, multi-line fields)', async () => {
      const text = '\uFEFFcustomerUserID,fullName\r\na,A\r\n\r\nb,"B\r\nsecond line"\r\nc,C';
      expect(await rows(text, 'csv')).to.deep.equal([
        { line: 2, value: { customerUserID: 'a', fullName: 'A' } },
        { line: 4, value: { customerUserID: 'b', fullName: 'B\nsecond line' } }, // line breaks come out as LF
        { line: 6, value: { customerUserID: 'c', fullName: 'C' } },
      ]);
    });

    it('handles a CRLF split across two 64 KiB read chunks', async () => {
      const name = 'n'.repeat(65_536 - 1 - 'customerUserID,fullName\r\na,'.length); // its CR is the chunk's last byte
      const read = await rows(`customerUserID,fullName\r\na,${name}\r\nb,B\r\n`, 'csv');
      expect(read).to.deep.equal([
        { line: 2, value: { customerUserID: 'a', fullName: name } },
        { line: 3, value: { customerUserID: 'b', fullName: 'B' } },
      ]);
    });

    it('keeps columns in any order, and makes a row of the wrong width a problem row, not the end', async () => {
      const read = await rows('fullName,customerUserID\nA,a\nB\nC,c,extra\nD,d\n', 'csv');
      expect(read.map((r) => r.line)).to.deep.equal([2, 3, 4, 5]);
      expect(read[0]?.value).to.deep.equal({ fullName: 'A', customerUserID: 'a' });
      expect(read[1]?.problem).to.equal('the row has 1 fields; the header has 2');
      expect(read[2]?.problem).to.equal('the row has 3 fields; the header has 2');
    });

    const headers: Array<[string, RegExp]> = [
      ['customerUserID,fullname\n', /unknown column "fullname"/],
      ['customerUserID,fullName,fullName\n', /column fullName appears twice/],
      ['customerUserID,email\n', /no fullName column/],
      ['', /is empty/],
    ];
    for (const [text, message] of headers) {
      it(`refuses the header ${JSON.stringify(text)}`, async () => {
        const error = await failure(text, 'csv');
        expect(error).to.be.instanceOf(InputError);
        expect((error as Error).message).to.match(message);
      });
    }

    it('stops on broken quoting, naming the line', async () => {
      const error = await failure('customerUserID,fullName\na,"A"x\n', 'csv');
      expect(error).to.be.instanceOf(InputError);
      expect((error as Error).message).to.match(/line 2/);
    });
  });

  describe('JSON Lines', () => {
    it('parses each line, skips blank ones, and marks lines that are not JSON objects', async () => {
      const text = '\uFEFF{"customerUserID":"a","fullName":"A"}\r\n\n{oops\n[1,2]\n  \n{"customerUserID":"b","fullName":"B"}';
      expect(await rows(text, 'jsonl')).to.deep.equal([
        { line: 1, value: { customerUserID: 'a', fullName: 'A' } },
        { line: 3, value: undefined, problem: 'the line is not valid JSON' },
        { line: 4, value: undefined, problem: 'the line is not a JSON object' },
        { line: 6, value: { customerUserID: 'b', fullName: 'B' } },
      ]);
    });

    it('keeps multi-byte characters whole across read chunks', async () => {
      const name = 'Ünïcødé 🦄 '.repeat(20_000);
      const read = await rows(`${JSON.stringify({ customerUserID: 'u', fullName: name })}\n`, 'jsonl');
      expect((read[0]?.value as { fullName: string }).fullName).to.equal(name);
    });
  });
});
