// Loaded by mocha before every spec file (see .mocharc.json).
// An unhandled rejection anywhere in the suite is a defect, not noise: fail loudly.
process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection in test run:', reason);
  process.exitCode = 1;
});
