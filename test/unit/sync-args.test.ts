import { expect } from 'chai';
import { parseCliArgs, parseRate } from '../../src/sync/args.js';
import { UsageError } from '../../src/sync/run-file.js';

describe('sync-contacts arguments', () => {
  it('has the documented defaults', () => {
    expect(parseCliArgs(['contacts.csv'])).to.deep.equal({
      help: false,
      file: 'contacts.csv',
      format: undefined,
      dryRun: false,
      concurrency: 8,
      ratePerSecond: undefined,
      reportPath: undefined,
      resumePath: undefined,
    });
  });

  it('reads every option', () => {
    const args = parseCliArgs(['in.txt', '--dry-run', '--concurrency', '32', '--rate', '3000/min', '--report', 'r.jsonl', '--resume', 'old.jsonl', '--format', 'jsonl']);
    expect(args).to.include({ file: 'in.txt', dryRun: true, concurrency: 32, ratePerSecond: 50, reportPath: 'r.jsonl', resumePath: 'old.jsonl', format: 'jsonl' });
  });

  it('answers --help without a file', () => expect(parseCliArgs(['--help']).help).to.equal(true));

  const refused: Array<[string[], RegExp]> = [
    [[], /give the FILE/],
    [['a.csv', 'b.csv'], /one FILE, not 2/],
    [['a.csv', '--concurrency', '0'], /from 1 to 256/],
    [['a.csv', '--concurrency', '257'], /from 1 to 256/],
    [['a.csv', '--concurrency', 'many'], /from 1 to 256/],
    [['a.csv', '--rate', '0'], /positive number/],
    [['a.csv', '--rate', 'fast'], /positive number/],
    [['a.csv', '--unknown'], /Unknown option/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      expect(() => parseCliArgs(argv)).to.throw(UsageError, message);
    });
  }

  describe('--rate', () => {
    const rates: Array<[string, number]> = [['50', 50], ['50/s', 50], ['0.5/s', 0.5], ['120/min', 2], ['60/m', 1]];
    for (const [text, perSecond] of rates) it(`reads ${text} as ${perSecond}/s`, () => expect(parseRate(text)).to.equal(perSecond));
  });
});
