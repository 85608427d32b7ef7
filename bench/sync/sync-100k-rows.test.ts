import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { addRanges, LineSet } from '../../src/sync/lines.js';
import { boundEmulatorMemory, cliEnv, ofKind, readReport, runCli, SYNC_KEY, tempDir } from '../../test/helpers/sync-fixtures.js';

const ROWS = 100_000;
/** Every 10,000th row has a phone without a country code: the report must list exactly these. */
const isBad = (i: number) => i % 10_000 === 4_321;

/** Writes ROWS contacts as CSV through a stream (the test itself stays small in memory). */
async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('customerUserID,fullName,email,phone\n');
  for (let i = 0; i < ROWS; i++) {
    const phone = isBad(i) ? `0812${String(i).padStart(8, '0')}` : `62812${String(i).padStart(8, '0')}`;
    if (!out.write(`bulk:${i},"Contact ${i}, Jr.",c${i}@example.com,${phone}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('sync-contacts on a generated file of 100,000 rows (the CLI against the emulator)', function () {
  this.timeout(600_000);
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

  it('sends every valid row exactly once and reports exactly the invalid ones, in CI-friendly time', async () => {
    const file = tmp.path('100k.csv');
    await generate(file);
    const seen = boundEmulatorMemory(emulator);
    const report = tmp.path('100k.report.jsonl');

    const started = performance.now();
    const { code, stdout, stderr } = await runCli([file, '--report', report, '--concurrency', '16'], cliEnv(emulator));
    const seconds = (performance.now() - started) / 1000;
    console.log(`      100,000 rows in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s); CLI said: ${stdout.trim().split('\n').at(-1)}`);

    expect(code, stderr).to.equal(1); // ten invalid rows
    expect(stdout).to.include(`Synced ${ROWS - 10} of ${ROWS} rows: 10 invalid, 0 rejected.`);
    const records = await readReport(report);
    const badLines = Array.from({ length: ROWS }, (_, i) => i).filter(isBad).map((i) => i + 2);
    expect(ofKind(records, 'invalid').map((r) => r.line)).to.deep.equal(badLines);
    const ok = new LineSet();
    for (const record of ofKind(records, 'ok')) addRanges(String(record.lines), ok);
    expect(ok.size).to.equal(ROWS - 10);
    for (const line of badLines) expect(ok.has(line)).to.equal(false);
    // Compact: a few dozen `ok` records, not one per row.
    expect(ofKind(records, 'ok').length).to.be.below(500);
    expect(seen.size).to.equal(ROWS - 10);
    expect([...seen.values()].every((n) => n === 1)).to.equal(true);
  });
});
