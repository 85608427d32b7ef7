/**
 * Keeps `npm run bench` from rotting: every scenario's setup, sign-in, load and teardown runs
 * for a moment with two connections. Asserts the shape of the results, never a speed.
 */
import { expect } from 'chai';
import { runBench, type BenchResults } from '../../bench/bench.js';
import { renderReport, verdicts } from '../../bench/report.js';

describe('npm run bench (smoke)', function () {
  // Child process start (tsx), one IdP, five sign-ins, seven short loads, one heap measurement.
  this.timeout(120_000);
  let results: BenchResults;

  before(async () => {
    results = await runBench({
      connections: 2,
      warmupMs: 20,
      durationMs: 60,
      rounds: 1,
      idleMs: 40,
      memoryCounts: [200],
      scenarios: ['ceiling', 'session', 'peer', 'ticket'],
    });
  });

  it('loads every target of scenarios 1 to 4 and gets only the expected answers', () => {
    expect(results.targets.map((t) => t.id)).to.deep.equal([
      'ceiling',
      'session-memory',
      'session-redis',
      'peer',
      'ticket-gateway',
      'ticket-direct',
      'ticket-upstream',
    ]);
    for (const { id, figures } of results.targets) {
      expect(figures.requests, id).to.be.greaterThan(0);
      expect(figures.errors, id).to.equal(0);
      expect(figures.rps, id).to.be.greaterThan(0);
      expect(figures.cpuUsPerRequest, id).to.be.greaterThan(0);
      for (const ms of [figures.loaded.p50, figures.loaded.p99, figures.idle.p50, figures.idle.p99]) {
        expect(ms, id).to.be.a('number').and.to.be.at.least(0);
      }
    }
  });

  it('measures heap per session in its own process', () => {
    expect(results.memory).to.have.length(1);
    expect(results.memory[0]?.sessions).to.equal(200);
    expect(results.memory[0]?.bytesPerSession).to.be.greaterThan(0);
  });

  it('judges every target of issue 7 and records the machine', () => {
    const judged = verdicts(results);
    expect(judged.map((v) => v.target)).to.have.length(5);
    for (const v of judged) expect(v.met, v.target).to.be.a('boolean');
    expect(results.machine.cores).to.be.greaterThan(0);
    expect(results.machine.node).to.equal(process.version);
    const report = renderReport(results);
    for (const label of ['Express 5, bare JSON route', 'gateway, memory store', 'express-openid-connect', 'gateway → emulator', '| 5 | 200 |']) {
      expect(report).to.include(label);
    }
  });
});
