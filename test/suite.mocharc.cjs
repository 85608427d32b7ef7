/**
 * `npm test`'s file list (`mocha --config test/suite.mocharc.cjs`): the settings of .mocharc.json,
 * every test file, three workers, heaviest files first.
 *
 * Why the order: mocha --parallel hands the files to its workers in list order, each worker taking
 * the next file when it finishes one. A heavy file handed out last runs alone at the end while the
 * other workers idle; handed out first, the many small files fill in around it and all workers
 * finish together. The list below names the files that take several seconds (browser, child
 * processes, deadlines); everything else follows in directory order. A file missing from the list
 * still runs, only later.
 *
 * Three workers on two cores, because many files mostly wait (on a browser, a child process, a
 * deadline): measured, 1 min 36 s of wall time against 1 min 46 s with two.
 */
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const base = require('../.mocharc.json');

const HEAVIEST_FIRST = [
  'test/e2e/widget-coherence.test.ts',
  'test/e2e/widget-adapter.test.ts',
  'test/e2e/demo.test.ts',
  'test/integration/gateway-idp.test.ts',
  'test/integration/shutdown-process.test.ts',
  'test/integration/sync-cli.test.ts',
  'test/e2e/livechat-client.test.ts',
  'test/integration/fault-injection.test.ts',
  'test/integration/bench-smoke.test.ts',
  'test/integration/ticket-shedding.test.ts',
  'test/integration/gateway-upstream.test.ts',
  'test/integration/login-limits.test.ts',
  'test/integration/hostile-input.test.ts',
  'test/e2e/demo-server.test.ts',
  'test/integration/logging-process.test.ts',
  'test/integration/server-timeouts.test.ts',
  'test/integration/session-revalidation.test.ts',
  'test/integration/startup-config.test.ts',
  'test/integration/emulator-main.test.ts',
  'test/integration/dotenv.test.ts',
  'test/integration/metrics-host.test.ts',
];

const root = join(__dirname, '..');
const all = ['e2e', 'integration', 'unit'].flatMap((dir) =>
  readdirSync(join(root, 'test', dir), { recursive: true })
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => `test/${dir}/${name}`),
);

module.exports = {
  ...base,
  parallel: true,
  jobs: 3,
  spec: [...HEAVIEST_FIRST.filter((file) => all.includes(file)), ...all.filter((file) => !HEAVIEST_FIRST.includes(file))],
};
