import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createOneTalkClient, type OneTalkClient } from '../../src/onetalk/index.js';
import { EXIT, syncFile, UsageError, type SyncFileOptions } from '../../src/sync/index.js';
import { addRanges, LineSet } from '../../src/sync/lines.js';
import { csv, ofKind, readReport, SYNC_KEY, syncBodies, tempDir, writeText } from '../helpers/sync-fixtures.js';

const HEADER = ['customerUserID', 'fullName', 'alias', 'email', 'phone', 'photoURL'];

describe('bulk contact sync against the emulator (in-process)', function () {
  let emulator: RunningEmulator;
  let client: OneTalkClient;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let files = 0;

  before(async () => {
    emulator = await startEmulator({ apiKey: SYNC_KEY });
    client = createOneTalkClient({ baseUrl: emulator.url, apiKey: SYNC_KEY, timeoutMs: 2000 });
    tmp = await tempDir();
  });
  after(async () => {
    client.close();
    await emulator.close();
    await tmp.cleanup();
  });
  beforeEach(() => emulator.reset());

  /** Writes `text` to a fresh file and syncs it; the report goes beside it. */
  async function sync(text: string, options: Partial<SyncFileOptions> = {}, ext = 'csv') {
    const file = await writeText(tmp.path(`in-${++files}.${ext}`), text);
    const summary = await syncFile({ file, client, reportPath: `${file}.report.jsonl`, ...options });
    return { file, summary, report: await readReport(summary.reportPath) };
  }

  describe('when every row is new', () => {
    it('creates one contact per row, sends the document\'s body, and records the lines as synced', async () => {
      const { summary, report } = await sync(
        csv(HEADER, [
          ['company:1', 'John Doe', '', 'john.doe@example.com', '6281234567890', 'http://www.example.com/photo/john_doe.jpg'],
          ['company:2', 'Siti', 'siti', '', '', ''],
        ]),
      );
      expect(summary.exitCode).to.equal(EXIT.OK);
      expect(summary.stats).to.include({ rows: 2, ok: 2, invalid: 0, rejected: 0 });
      expect(syncBodies(emulator)).to.have.deep.members([
        // The document's own example sends alias "" against its 1..100 range: empty means absent.
        { customerUserID: 'company:1', fullName: 'John Doe', email: 'john.doe@example.com', phone: '6281234567890', photoURL: 'http://www.example.com/photo/john_doe.jpg' },
        { customerUserID: 'company:2', fullName: 'Siti', alias: 'siti' },
      ]);
      expect(emulator.store.size).to.equal(2);
      expect(ofKind(report, 'ok').map((r) => r.lines)).to.deep.equal(['2-3']);
      expect(ofKind(report, 'end')[0]).to.include({ outcome: 'completed', ok: 2 });
    });
  });

  describe('when a contact already exists', () => {
    it('updates it in place (same OneTalk userID, new name, untouched absent fields)', async () => {
      const seeded = emulator.store.seed({ customerUserID: 'company:7', fullName: 'Old Name', email: 'old@example.com' });
      if (!seeded.ok) throw new Error('seed failed');
      const { summary } = await sync(csv(['customerUserID', 'fullName'], [['company:7', 'New Name']]));
      expect(summary.exitCode).to.equal(EXIT.OK);
      expect(emulator.store.size).to.equal(1);
      expect(emulator.store.get(seeded.contact.userID)).to.include({ fullName: 'New Name', email: 'old@example.com' });
    });

    it('adopts an untied contact found by phone (a lead with no customerUserID)', async () => {
      const lead = emulator.store.seed({ fullName: 'WhatsApp lead', phone: '6281111111111' });
      if (!lead.ok) throw new Error('seed failed');
      const { summary } = await sync(csv(['customerUserID', 'fullName', 'phone'], [['company:9', 'Nine', '6281111111111']]));
      expect(summary.exitCode).to.equal(EXIT.OK);
      expect(emulator.store.size).to.equal(1);
      expect(emulator.store.findByCustomerUserID('company:9')).to.include({ userID: lead.contact.userID, fullName: 'Nine' });
    });
  });

  describe('when OneTalk refuses rows', () => {
    it('reports duplicate keys (40901) and a contact tied to another customerUserID (40902) with their line numbers, and goes on', async () => {
      emulator.store.seed({ customerUserID: 'company:a', fullName: 'A', phone: '6281000000001' });
      emulator.store.seed({ fullName: 'Lead', phone: '6281000000002' });
      emulator.store.seed({ customerUserID: 'company:b', fullName: 'B', phone: '6281000000003' });
      const { summary, report } = await sync(
        csv(
          ['customerUserID', 'fullName', 'phone'],
          [
            ['company:a', 'A matches a lead by phone', '6281000000002'], // line 2: two contacts match
            ['company:x', 'X takes B\'s phone', '6281000000003'], // line 3: B is tied to company:b
            ['company:c', 'C is fine', '6281000000004'], // line 4
          ],
        ),
      );
      expect(summary.exitCode).to.equal(EXIT.REJECTED);
      expect(summary.outcome).to.equal('rejected');
      const rejected = ofKind(report, 'rejected').sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      expect(rejected.map(({ line, customerUserID, code, httpStatus, error }) => ({ line, customerUserID, code, httpStatus, error }))).to.deep.equal([
        { line: 2, customerUserID: 'company:a', code: '40901', httpStatus: 409, error: 'ONETALK_REJECTED' },
        { line: 3, customerUserID: 'company:x', code: '40902', httpStatus: 409, error: 'ONETALK_REJECTED' },
      ]);
      expect(rejected[0]?.message).to.match(/duplicate keys/);
      expect(ofKind(report, 'ok').map((r) => r.lines)).to.deep.equal(['4']);
    });
  });

  describe('when rows break the documented field rules', () => {
    it('reports each with its line, field and our own message, and never sends it', async () => {
      const long = 'x'.repeat(101);
      const { summary, report } = await sync(
        csv(HEADER, [
          ['company:1', '', '', '', '', ''], // 2: fullName missing
          ['company:2', 'Two', '', '', '0812345678', ''], // 3: no country code
          ['company:3', long, '', '', '', ''], // 4: over sync_contact's 100
          ['company:4', 'Four', '', '', '', 'javascript:alert(1)'], // 5
          ['company:5', 'Five', '', '', '', ''], // 6: fine
        ]) + 'company:6,Six\n', // 7: two fields where the header has six
      );
      expect(summary.exitCode).to.equal(EXIT.REJECTED);
      const invalid = ofKind(report, 'invalid').map(({ line, customerUserID, field }) => ({ line, customerUserID, field }));
      expect(invalid).to.deep.equal([
        { line: 2, customerUserID: 'company:1', field: 'fullName' },
        { line: 3, customerUserID: 'company:2', field: 'phone' },
        { line: 4, customerUserID: 'company:3', field: 'fullName' },
        { line: 5, customerUserID: 'company:4', field: 'photoURL' },
        { line: 7, customerUserID: undefined, field: undefined },
      ]);
      expect(ofKind(report, 'invalid')[2]?.message).to.equal('fullName must be at most 100 characters');
      expect(ofKind(report, 'invalid')[4]?.message).to.equal('the row has 2 fields; the header has 6');
      expect(syncBodies(emulator).map((b) => b.customerUserID)).to.deep.equal(['company:5']);
    });

    it('reads JSON Lines too: a bad line, a misspelt field and a number where text belongs are reported', async () => {
      const lines = [
        JSON.stringify({ customerUserID: 'j:1', fullName: 'One' }),
        '{"customerUserID": "j:2", "fullName": ', // 2: broken JSON
        JSON.stringify({ customerUserID: 'j:3', fullname: 'Three' }), // 3: misspelt
        '',
        JSON.stringify({ customerUserID: 'j:5', fullName: 'Five', phone: 6281234567890 }), // 5
      ];
      const { summary, report } = await sync(lines.join('\n'), {}, 'jsonl');
      expect(summary.stats).to.include({ rows: 4, ok: 1, invalid: 3 });
      expect(ofKind(report, 'invalid').map(({ line, message }) => ({ line, message }))).to.deep.equal([
        { line: 2, message: 'the line is not valid JSON' },
        { line: 3, message: 'unknown field "fullname"' },
        { line: 5, message: 'phone must be a string' },
      ]);
    });
  });

  describe('with --dry-run', () => {
    it('validates and reports, and sends nothing', async () => {
      const { summary, report } = await sync(csv(['customerUserID', 'fullName'], [['d:1', 'One'], ['d:2', '']]), { dryRun: true, client: undefined });
      expect(summary.stats).to.include({ ok: 1, invalid: 1 });
      expect(summary.exitCode).to.equal(EXIT.REJECTED);
      expect(emulator.requests).to.have.length(0);
      expect(ofKind(report, 'ok')).to.have.length(0);
      expect(ofKind(report, 'run')[0]).to.include({ dryRun: true });
    });
  });

  describe('when the organization has not selected a tier', () => {
    it('stops at once with 49900, sends no more than the calls already in flight, and lists no row as rejected', async () => {
      emulator.settings.tierSelected = false;
      const rows = Array.from({ length: 200 }, (_, i) => [`t:${i}`, `Tier ${i}`]);
      const { summary, report } = await sync(csv(['customerUserID', 'fullName'], rows), { concurrency: 4 });
      expect(summary.outcome).to.equal('stopped');
      expect(summary.exitCode).to.equal(EXIT.STOPPED);
      expect(summary.stop).to.include({ code: 'ONETALK_TIER_NOT_SELECTED', upstreamCode: '49900' });
      expect(syncBodies(emulator).length).to.be.at.most(4);
      expect(ofKind(report, 'rejected')).to.have.length(0);
      expect(ofKind(report, 'stop')[0]).to.include({ code: 'ONETALK_TIER_NOT_SELECTED', upstreamCode: '49900' });
    });

    it('stops the same way when the key is refused', async () => {
      const wrong = createOneTalkClient({ baseUrl: emulator.url, apiKey: 'not-the-key', timeoutMs: 2000 });
      try {
        const { summary } = await sync(csv(['customerUserID', 'fullName'], [['k:1', 'One'], ['k:2', 'Two']]), { client: wrong, concurrency: 1 });
        expect(summary.stop).to.include({ code: 'ONETALK_KEY_REFUSED' });
        expect(emulator.requests).to.have.length(1);
      } finally {
        wrong.close();
      }
    });
  });

  describe('when two rows share a customerUserID', () => {
    it('sends them one after the other, so the later row wins', async () => {
      const rows = [['s:1', 'First'], ['s:2', 'Other'], ['s:1', 'Second']];
      const { summary } = await sync(csv(['customerUserID', 'fullName'], rows), { concurrency: 8 });
      expect(summary.exitCode).to.equal(EXIT.OK);
      expect(emulator.store.findByCustomerUserID('s:1')?.fullName).to.equal('Second');
    });
  });

  describe('an interrupted run, resumed', () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`r:${i}`, `Row ${i}`]);

    it('after a graceful stop, resends no row and syncs every row exactly once', async () => {
      emulator.settings.latencyMs = 5;
      const stop = new AbortController();
      const counting: typeof client = {
        ...client,
        syncContact: async (contact, opts) => {
          if (syncBodies(emulator).length >= 30) stop.abort();
          return client.syncContact(contact, opts);
        },
      };
      const first = await sync(csv(['customerUserID', 'fullName'], rows), { client: counting, concurrency: 4, stop: stop.signal });
      expect(first.summary.exitCode).to.equal(EXIT.INTERRUPTED);
      expect(first.summary.stats.ok).to.be.within(30, 40);

      const resumed = await syncFile({ file: first.file, client, resumePath: first.summary.reportPath, concurrency: 4 });
      expect(resumed.exitCode).to.equal(EXIT.OK);
      expect(resumed.reportPath).to.equal(first.summary.reportPath);
      expect(resumed.stats.skipped).to.equal(first.summary.stats.ok);
      const sent = syncBodies(emulator).map((b) => b.customerUserID);
      expect(sent).to.have.length(120);
      expect(new Set(sent).size).to.equal(120);
      expect(ofKind(await readReport(resumed.reportPath), 'run')).to.have.length(2);
    });

    it('after a hard abort, resends none of the rows the report lists as synced', async () => {
      emulator.settings.latencyMs = 5;
      const abort = new AbortController();
      const counting: typeof client = {
        ...client,
        syncContact: async (contact, opts) => {
          if (syncBodies(emulator).length >= 30) abort.abort();
          return client.syncContact(contact, opts);
        },
      };
      const first = await sync(csv(['customerUserID', 'fullName'], rows), { client: counting, concurrency: 4, abort: abort.signal });
      expect(first.summary.exitCode).to.equal(EXIT.INTERRUPTED);
      const before = syncBodies(emulator).length;
      const listedOk = new LineSet();
      for (const record of ofKind(await readReport(first.summary.reportPath), 'ok')) addRanges(String(record.lines), listedOk);
      expect(listedOk.size).to.equal(first.summary.stats.ok);

      const resumed = await syncFile({ file: first.file, client, resumePath: first.summary.reportPath });
      expect(resumed.exitCode).to.equal(EXIT.OK);
      const again = syncBodies(emulator).slice(before).map((b) => Number(b.customerUserID?.slice(2)) + 2); // row i is on line i + 2
      expect(again.filter((line) => listedOk.has(line))).to.deep.equal([]);
      // A request the hard abort cut off client-side may still land at the emulator after `before`
      // was read, so count what the resumed run itself reports, not the bodies that arrived since.
      expect(resumed.stats.ok).to.equal(120 - listedOk.size);
      expect(new Set(again).size).to.equal(120 - listedOk.size);
    });

    it('resumed into a new report, carries the earlier successes over so that report can be resumed from too', async () => {
      const stop = new AbortController();
      const counting: typeof client = {
        ...client,
        syncContact: async (contact, opts) => {
          if (syncBodies(emulator).length >= 10) stop.abort();
          return client.syncContact(contact, opts);
        },
      };
      const first = await sync(csv(['customerUserID', 'fullName'], rows.slice(0, 40)), { client: counting, concurrency: 2, stop: stop.signal });
      const secondReport = `${first.file}.second.jsonl`;
      const second = await syncFile({ file: first.file, client, resumePath: first.summary.reportPath, reportPath: secondReport });
      expect(second.reportPath).to.equal(secondReport);
      expect(ofKind(await readReport(secondReport), 'ok')[0]).to.include({ carried: true });
      const third = await syncFile({ file: first.file, client, resumePath: secondReport });
      expect(third.stats).to.include({ skipped: 40, ok: 0 });
      expect(syncBodies(emulator)).to.have.length(40);
    });

    it('refuses to resume when the file changed since the report was written', async () => {
      const first = await sync(csv(['customerUserID', 'fullName'], [['c:1', 'One']]));
      await writeText(first.file, csv(['customerUserID', 'fullName'], [['c:2', 'Another'], ['c:1', 'One']]));
      const error = await syncFile({ file: first.file, client, resumePath: first.summary.reportPath }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.match(/different input file|changed/);
    });

    it('never overwrites an existing report', async () => {
      const first = await sync(csv(['customerUserID', 'fullName'], [['o:1', 'One']]));
      const error = await syncFile({ file: first.file, client, reportPath: first.summary.reportPath }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.include('--resume');
    });
  });
});
