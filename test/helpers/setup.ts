// Loaded by mocha in every process that runs spec files (see .mocharc.json; with --parallel, in
// each worker). An unhandled rejection anywhere in the suite is a defect, not noise: the test
// during which it surfaced fails, naming it, and a rejection after the last test fails the run.
const unhandled: unknown[] = [];

process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
  console.error('unhandled rejection in test run:', reason);
  process.exitCode = 1;
});

function failOnUnhandled(): void {
  if (unhandled.length === 0) return;
  const reasons = unhandled.splice(0).map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)));
  throw new Error(`unhandled rejection(s) during this test:\n${reasons.join('\n')}`);
}

export const mochaHooks = {
  afterEach: failOnUnhandled,
  afterAll: failOnUnhandled,
};
