import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { DEFAULT_PATHS } from '../../src/onetalk/index.js';
import { addRanges, LineSet } from '../../src/sync/lines.js';
import { cliEnv, csv, ofKind, readReport, ROOT, runMain, startCli, SYNC_KEY, syncBodies, tempDir, writeText } from '../helpers/sync-fixtures.js';
import { until } from '../helpers/wait.js';

/**
 * The CLI's output and exit statuses. Most cases drive its body (`main`) in-process, as the entry
 * file does; the cases that need a process (signals, and the status the process exits with)
 * start one.
 */
describe('npm run sync-contacts', function () {
  this.timeout(60_000);
  let emulator: RunningEmulator;
  let tmp: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    emulator = await startEmulator({ apiKey: SYNC_KEY });
    tmp = await tempDir();
  });
  after(async () => {
    await emulator.close();
    await tmp.cleanup();
  });
  beforeEach(() => emulator.reset());

  const rows = (n: number, prefix = 'cli') => csv(['customerUserID', 'fullName'], Array.from({ length: n }, (_, i) => [`${prefix}:${i}`, `Name ${i}`]));

  describe('its output and exit status (in-process)', () => {
    it('prints its usage with --help and exits 0', async () => {
      const { code, stdout } = await runMain(['--help'], {});
      expect(code).to.equal(0);
      expect(stdout).to.include('Usage: npm run sync-contacts -- FILE');
      expect(stdout).to.include('--resume PATH');
    });

    it('exits 2, naming the variable, when ONETALK_API_KEY is missing (nothing sent)', async () => {
      const file = await writeText(tmp.path('nokey.csv'), rows(2));
      const { code, stderr } = await runMain([file], { ONETALK_BASE_URL: emulator.url });
      expect(code).to.equal(2);
      expect(stderr).to.include('ONETALK_API_KEY: is required');
      expect(emulator.requests).to.have.length(0);
    });

    it('exits 2 on a bad flag, sending nothing', async () => {
      const file = await writeText(tmp.path('flag.csv'), rows(1));
      const { code, stderr } = await runMain([file, '--concurrency', '0'], cliEnv(emulator));
      expect(code).to.equal(2);
      expect(stderr).to.include('--concurrency must be a whole number from 1 to 256');
      expect(emulator.requests).to.have.length(0);
    });

    it('syncs the example file and exits 0, with plain progress lines when stderr is not a terminal', async () => {
      const report = tmp.path('example.report.jsonl');
      const { code, stdout, stderr } = await runMain([join(ROOT, 'examples/contacts.csv'), '--report', report], cliEnv(emulator));
      expect(code, stderr).to.equal(0);
      expect(stdout).to.include('Synced 5 of 5 rows: 0 invalid, 0 rejected.');
      expect(stderr).to.match(/^sync: 100% \| 5 rows: 5 synced/m);
      expect(emulator.store.size).to.equal(5);
      expect(ofKind(await readReport(report), 'ok').map((r) => r.lines)).to.deep.equal(['2-6']);
    });

    it('exits 1 when a row is rejected, and never writes the key anywhere', async () => {
      emulator.store.seed({ customerUserID: 'taken', fullName: 'T', phone: '6281200000001' });
      const file = await writeText(tmp.path('reject.csv'), csv(['customerUserID', 'fullName', 'phone'], [['other', 'O', '6281200000001'], ['fine', 'F', '']]));
      const report = tmp.path('reject.report.jsonl');
      const { code, stdout, stderr } = await runMain([file, '--report', report, '--rate', '100/s'], cliEnv(emulator));
      expect(code).to.equal(1);
      expect(stderr).to.include('1 row(s) were not synced');
      const text = await readFile(report, 'utf8');
      expect(ofKind(await readReport(report), 'rejected')[0]).to.include({ line: 2, code: '40902' });
      for (const output of [stdout, stderr, text]) expect(output).not.to.include(SYNC_KEY);
    });

    it('exits 3 with a clear message when the tier is not selected', async () => {
      emulator.settings.tierSelected = false;
      const file = await writeText(tmp.path('tier.csv'), rows(50));
      const { code, stderr } = await runMain([file, '--report', tmp.path('tier.report.jsonl')], cliEnv(emulator));
      expect(code).to.equal(3);
      expect(stderr).to.include('STOPPED: OneTalk says the organization has not selected a tier (49900)');
      expect(stderr).to.include(`--resume ${tmp.path('tier.report.jsonl')}`);
      expect(syncBodies(emulator).length).to.be.at.most(8);
    });
  });

  // The entry file sets the process's exit status to what main() answers: SIGINT's 130 proves it.
  describe('as a process', () => {
    it('on SIGINT finishes the calls in flight, exits 130, and a resume sends every other row exactly once', async () => {
      // At most 4 calls of 10 ms at a time: half a second or more for the whole file, so the
      // signal lands mid-run.
      const total = 200;
      emulator.settings.latencyMs = 10;
      const file = await writeText(tmp.path('sigint.csv'), rows(total, 'int'));
      const report = tmp.path('sigint.report.jsonl');
      const run = startCli([file, '--report', report, '--concurrency', '4'], cliEnv(emulator));
      await until(() => syncBodies(emulator).length >= 40, 'the first 40 rows at OneTalk', 20_000);
      run.child.kill('SIGINT');
      const first = await run.done;
      expect(first.code, first.stderr).to.equal(130);
      expect(first.stderr).to.include('interrupted. Resume with:');
      const sentBefore = syncBodies(emulator).length;
      expect(sentBefore).to.be.below(total);
      // Every call that was sent got its answer before the exit: a resume skips exactly those.
      const listed = new LineSet();
      for (const record of ofKind(await readReport(report), 'ok')) addRanges(String(record.lines), listed);
      expect(listed.size).to.equal(sentBefore);

      emulator.settings.latencyMs = 0;
      const resumed = await runMain([file, '--resume', report, '--concurrency', '4'], cliEnv(emulator));
      expect(resumed.code, resumed.stderr).to.equal(0);
      expect(resumed.stdout).to.include(`${sentBefore} skipped (synced by an earlier run)`);
      const ids = syncBodies(emulator).map((b) => b.customerUserID);
      expect(ids).to.have.length(total);
      expect(new Set(ids).size).to.equal(total);
    });

    it('after SIGKILL leaves a report a resume can use: no row it lists as synced is sent again', async () => {
      // At most 4 calls of 20 ms at a time: the run lasts two seconds or more, so the kill lands
      // mid-run, right after the report's first timed flush (at one second) listed synced lines.
      const total = 400;
      emulator.settings.latencyMs = 20;
      const file = await writeText(tmp.path('kill.csv'), rows(total, 'kill'));
      const report = tmp.path('kill.report.jsonl');
      const run = startCli([file, '--report', report, '--concurrency', '4'], cliEnv(emulator));
      await until(async () => ofKind(await readReport(report).catch(() => []), 'ok').length > 0, 'a synced range in the report', 20_000);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).to.equal('SIGKILL');
      expect(syncBodies(emulator).length).to.be.below(total);
      const listed = new LineSet();
      for (const record of ofKind(await readReport(report), 'ok')) addRanges(String(record.lines), listed);
      expect(listed.size).to.be.above(0);

      emulator.settings.latencyMs = 0;
      // The emulator logs a call when it answers, so calls the killed run had in flight may still
      // be logged after it died: the resume's calls are those that arrived once it started.
      const resumedAt = Date.now();
      const resumed = await runMain([file, '--resume', report], cliEnv(emulator));
      expect(resumed.code, resumed.stderr).to.equal(0);
      const again = emulator.requests
        .filter((r) => r.path === DEFAULT_PATHS.syncContact && Date.parse(r.at) >= resumedAt)
        .map((r) => Number((r.body as { customerUserID: string }).customerUserID.split(':')[1]) + 2);
      expect(again.filter((line) => listed.has(line))).to.deep.equal([]);
      expect(again).to.have.length(total - listed.size);
    });
  });
});
