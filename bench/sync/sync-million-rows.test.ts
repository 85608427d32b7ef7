/**
 * Memory stays flat on a million rows: a measurement, opt-in because a real run takes a while
 * (`SYNC_MILLION_ROWS=1 npx mocha bench/sync/sync-million-rows.test.ts`). It samples the
 * CLI's resident memory from /proc as the run goes and fails if the end of the run needed
 * clearly more memory than its beginning: growth with the row count would show up there.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { expect } from 'chai';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { boundEmulatorMemory, cliEnv, startCli, SYNC_KEY, tempDir } from '../../test/helpers/sync-fixtures.js';

const ROWS = 1_000_000;
const enabled = process.env.SYNC_MILLION_ROWS === '1' && process.platform === 'linux';

async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('customerUserID,fullName,email,phone\n');
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`million:${i},Contact ${i},m${i}@example.com,62813${String(i).padStart(8, '0')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Resident set size of a process in MB (Linux). */
async function rssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** Runs the CLI and samples its RSS every 100 ms. */
async function measure(args: string[], env: Record<string, string>) {
  const run = startCli(args, env);
  const samples: number[] = [];
  const timer = setInterval(() => {
    void rssMb(run.child.pid ?? 0).then((rss) => rss !== undefined && samples.push(rss));
  }, 100);
  const result = await run.done;
  clearInterval(timer);
  // By time: the run reads the file at a steady pace, so the first and last fifths of the
  // samples are early and late rows. The first 5% (start-up) is left out.
  const slice = (from: number, to: number) => Math.max(...samples.slice(Math.floor(from * samples.length), Math.ceil(to * samples.length)));
  return { ...result, samples: samples.length, peak: Math.max(...samples), first: slice(0.05, 0.25), last: slice(0.8, 1) };
}

(enabled ? describe : describe.skip)('sync-contacts on 1,000,000 rows (memory; opt-in: SYNC_MILLION_ROWS=1)', function () {
  this.timeout(4 * 3600_000);
  let emulator: RunningEmulator;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let file: string;

  before(async () => {
    emulator = await startEmulator({ apiKey: SYNC_KEY });
    boundEmulatorMemory(emulator);
    tmp = await tempDir();
    file = tmp.path('million.csv');
    await generate(file);
  });
  after(async () => {
    await emulator.close();
    await tmp.cleanup();
  });

  for (const dry of [true, false]) {
    it(`keeps memory flat in a ${dry ? 'dry run' : 'real run against the emulator'}`, async () => {
      const args = [file, '--report', tmp.path(`million-${dry ? 'dry' : 'real'}.jsonl`), '--concurrency', '16', ...(dry ? ['--dry-run'] : [])];
      const started = performance.now();
      const m = await measure(args, cliEnv(emulator));
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `      ${dry ? 'dry run' : 'real run'}: exit ${m.code}, ${seconds.toFixed(0)} s; RSS peak ${m.peak.toFixed(0)} MB, ` +
          `max over 5-25% of the run: ${m.first.toFixed(0)} MB, over the last 20%: ${m.last.toFixed(0)} MB (${m.samples} samples); ${m.stdout.trim().split('\n').at(-1)}`,
      );
      expect(m.code, m.stderr).to.equal(0);
      expect(m.last).to.be.below(m.first * 1.25 + 16);
    });
  }
});
