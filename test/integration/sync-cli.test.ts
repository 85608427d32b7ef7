import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { addRanges, LineSet } from '../../src/sync/lines.js';
import { cliEnv, csv, ofKind, readReport, runCli, startCli, SYNC_KEY, syncBodies, tempDir, waitFor, writeText } from '../helpers/sync-fixtures.js';

describe('npm run sync-contacts (the CLI as a child process)', function () {
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

  it('prints its usage with --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help'], {});
    expect(code).to.equal(0);
    expect(stdout).to.include('Usage: npm run sync-contacts -- FILE');
    expect(stdout).to.include('--resume PATH');
  });

  it('exits 2, naming the variable, when ONETALK_API_KEY is missing (nothing sent)', async () => {
    const file = await writeText(tmp.path('nokey.csv'), rows(2));
    const { code, stderr } = await runCli([file], { ONETALK_BASE_URL: emulator.url });
    expect(code).to.equal(2);
    expect(stderr).to.include('ONETALK_API_KEY: is required');
    expect(emulator.requests).to.have.length(0);
  });

  it('exits 2 on a bad flag', async () => {
    const file = await writeText(tmp.path('flag.csv'), rows(1));
    const { code, stderr } = await runCli([file, '--concurrency', '0'], cliEnv(emulator));
    expect(code).to.equal(2);
    expect(stderr).to.include('--concurrency must be a whole number from 1 to 256');
  });

  it('syncs the example file and exits 0, with plain progress lines when stderr is not a terminal', async () => {
    const report = tmp.path('example.report.jsonl');
    const { code, stdout, stderr } = await runCli(['examples/contacts.csv', '--report', report], cliEnv(emulator));
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
    const { code, stdout, stderr } = await runCli([file, '--report', report, '--rate', '100/s'], cliEnv(emulator));
    expect(code).to.equal(1);
    expect(stderr).to.include('1 row(s) were not synced');
    const text = await readFile(report, 'utf8');
    expect(ofKind(await readReport(report), 'rejected')[0]).to.include({ line: 2, code: '40902' });
    for (const output of [stdout, stderr, text]) expect(output).not.to.include(SYNC_KEY);
  });

  it('exits 3 with a clear message when the tier is not selected', async () => {
    emulator.settings.tierSelected = false;
    const file = await writeText(tmp.path('tier.csv'), rows(50));
    const { code, stderr } = await runCli([file, '--report', tmp.path('tier.report.jsonl')], cliEnv(emulator));
    expect(code).to.equal(3);
    expect(stderr).to.include('STOPPED: OneTalk says the organization has not selected a tier (49900)');
    expect(stderr).to.include(`--resume ${tmp.path('tier.report.jsonl')}`);
    expect(syncBodies(emulator).length).to.be.at.most(8);
  });

  it('on SIGINT finishes the calls in flight, exits 130, and a resume sends every other row exactly once', async () => {
    emulator.settings.latencyMs = 10;
    const file = await writeText(tmp.path('sigint.csv'), rows(400, 'int'));
    const report = tmp.path('sigint.report.jsonl');
    const run = startCli([file, '--report', report, '--concurrency', '4'], cliEnv(emulator));
    await waitFor(() => syncBodies(emulator).length >= 40);
    run.child.kill('SIGINT');
    const first = await run.done;
    expect(first.code, first.stderr).to.equal(130);
    expect(first.stderr).to.include('interrupted. Resume with:');
    const sentBefore = syncBodies(emulator).length;
    expect(sentBefore).to.be.below(400);

    const resumed = await runCli([file, '--resume', report, '--concurrency', '4'], cliEnv(emulator, {}));
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.include(`${sentBefore} skipped (synced by an earlier run)`);
    const ids = syncBodies(emulator).map((b) => b.customerUserID);
    expect(ids).to.have.length(400);
    expect(new Set(ids).size).to.equal(400);
  });

  it('after SIGKILL leaves a report a resume can use: no row it lists as synced is sent again', async () => {
    emulator.settings.latencyMs = 5;
    const file = await writeText(tmp.path('kill.csv'), rows(3000, 'kill'));
    const report = tmp.path('kill.report.jsonl');
    const run = startCli([file, '--report', report, '--concurrency', '8'], cliEnv(emulator));
    // Past the first one-second flush, so the report holds some synced lines.
    await waitFor(() => syncBodies(emulator).length >= 1500, 30_000);
    run.child.kill('SIGKILL');
    await run.done;
    const before = syncBodies(emulator).length;
    const listed = new LineSet();
    for (const record of ofKind(await readReport(report), 'ok')) addRanges(String(record.lines), listed);
    expect(listed.size).to.be.above(0);

    emulator.settings.latencyMs = 0;
    const resumed = await runCli([file, '--resume', report], cliEnv(emulator));
    expect(resumed.code, resumed.stderr).to.equal(0);
    const again = syncBodies(emulator).slice(before).map((b) => Number(b.customerUserID?.split(':')[1]) + 2);
    expect(again.filter((line) => listed.has(line))).to.deep.equal([]);
    expect(again).to.have.length(3000 - listed.size);
  });
});
