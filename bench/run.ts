/**
 * `npm run bench`: runs the five load scenarios on loopback, prints the markdown report and
 * writes `bench/results.json` (figures, verdicts and machine facts). About 2½ minutes.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OPTIONS, runBench } from './bench.js';
import { renderReport, verdicts } from './report.js';

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

// BENCH_SCENARIOS=session,peer runs a subset (e.g. while profiling); the default is all of them.
const only = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim()).filter(Boolean);
const results = await runBench({ ...DEFAULT_OPTIONS, ...(only?.length ? { scenarios: only } : {}) }, (line) => console.error(line));
console.log(renderReport(results));
if (only?.length) {
  console.error('\npartial run: bench/results.json left as it was');
} else {
  await writeFile(RESULTS, `${JSON.stringify({ ...results, verdicts: verdicts(results) }, null, 2)}\n`);
  console.error(`\nwrote ${RESULTS}`);
}
