import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readResume, ReportWriter, ResumeError } from '../../src/sync/report.js';

const INPUT = { size: 1234, head: 'abc' };
const header = { input: '/data/contacts.csv', format: 'csv', fingerprint: INPUT, dryRun: false };

describe('the sync report', () => {
  let dir: string;
  let n = 0;
  const next = () => join(dir, `r${++n}.jsonl`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sync-report-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function written(fill: (w: ReportWriter) => void, path = next()): Promise<{ path: string; records: Array<Record<string, unknown>> }> {
    const writer = await ReportWriter.open(path, false);
    fill(writer);
    await writer.close();
    const records = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    return { path, records };
  }

  it('writes one JSON object a line: run, rows, ok ranges, end', async () => {
    const { records } = await written((w) => {
      w.run(header);
      for (const line of [2, 3, 4, 7]) w.ok(line);
      w.invalid({ line: 5, customerUserID: 'c:5', field: 'phone', message: 'bad phone' });
      w.rejected({ line: 6, customerUserID: 'c:6', code: '40901', httpStatus: 409, error: 'ONETALK_REJECTED', message: 'duplicate' });
      w.end({ outcome: 'rejected' });
    });
    expect(records.map((r) => r.kind)).to.deep.equal(['run', 'invalid', 'rejected', 'ok', 'end']);
    expect(records[0]).to.include({ version: 1, input: '/data/contacts.csv' });
    expect(records[1]).to.deep.equal({ kind: 'invalid', line: 5, customerUserID: 'c:5', field: 'phone', message: 'bad phone' });
    expect(records[3]).to.deep.equal({ kind: 'ok', lines: '2-4,7' });
  });

  it('never overwrites an existing file unless asked to append', async () => {
    const path = next();
    await writeFile(path, 'precious\n');
    const error = await ReportWriter.open(path, false).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).to.equal('EEXIST');
    expect(await readFile(path, 'utf8')).to.equal('precious\n');
  });

  describe('readResume', () => {
    it('collects the synced lines of every run in the report', async () => {
      const { path } = await written((w) => {
        w.run(header);
        w.ok(2);
        w.ok(3);
      });
      const more = await ReportWriter.open(path, true);
      more.run(header);
      more.ok(9);
      await more.close();
      const done = await readResume(path, INPUT);
      expect([2, 3, 4, 9].map((l) => done.has(l))).to.deep.equal([true, true, false, true]);
    });

    it('tolerates a record torn by a kill, at the end or just before a resumed run', async () => {
      const { path } = await written((w) => {
        w.run(header);
        w.ok(2);
      });
      await appendFile(path, '{"kind":"ok","lines":"3-');
      expect((await readResume(path, INPUT)).has(2)).to.equal(true);
      const resumed = await ReportWriter.open(path, true); // ends the torn line first
      resumed.run(header);
      resumed.ok(5);
      await resumed.close();
      const done = await readResume(path, INPUT);
      expect([2, 3, 5].map((l) => done.has(l))).to.deep.equal([true, false, true]);
    });

    const refused: Array<[string, string, RegExp]> = [
      ['a different input file', JSON.stringify({ kind: 'run', version: 1, fingerprint: { size: 1, head: 'x' } }), /different input file/],
      ['a file that is no report', JSON.stringify({ hello: 'world' }), /no "run" record/],
      ['another report version', JSON.stringify({ kind: 'run', version: 99, fingerprint: INPUT }), /version 99/],
      ['garbage in the middle', `${JSON.stringify({ kind: 'run', version: 1, fingerprint: INPUT })}\nnot json\n{"kind":"ok","lines":"2"}`, /line 2 is not a report record/],
      ['a broken range', `${JSON.stringify({ kind: 'run', version: 1, fingerprint: INPUT })}\n{"kind":"ok","lines":"9-2"}`, /not a line range/],
    ];
    for (const [name, text, message] of refused) {
      it(`refuses ${name}`, async () => {
        const path = next();
        await writeFile(path, `${text}\n`);
        const error = await readResume(path, INPUT).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ResumeError);
        expect((error as Error).message).to.match(message);
      });
    }
  });
});
