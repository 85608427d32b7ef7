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
      alsoConnections: [3],
      warmupMs: 50,
      durationMs: 200,
      rounds: 2,
      idleMs: 100,
      memoryCounts: [200],
      scenarios: ['ceiling', 'floor', 'session', 'peer', 'ticket'],
      requestsPerRun: 20,
    });
  });

  it('loads every target and gets only the expected answers, in every round and at every connection count', () => {
    expect(results.targets.map((t) => t.id)).to.deep.equal([
      'ceiling',
      'floor',
      'session-memory',
      'session-redis',
      'peer',
      'peer-userinfo',
      'ticket-gateway',
      'ticket-proxy',
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
      expect(figures.rounds, id).to.have.length(2);
      for (const round of figures.rounds) expect(round.rps, id).to.be.greaterThan(0);
      expect(figures.alsoAt.map((a) => a.connections), id).to.deep.equal([3]);
      expect(figures.alsoAt[0]?.rps, id).to.be.greaterThan(0);
    }
  });

  it('measures heap per session in its own process', () => {
    expect(results.memory).to.have.length(1);
    expect(results.memory[0]?.sessions).to.equal(200);
    expect(results.memory[0]?.bytesPerSession).to.be.greaterThan(0);
  });

  it('judges every target and records the machine', () => {
    const judged = verdicts(results);
    expect(judged.map((v) => v.target)).to.have.length(7);
    // Every judged target says met or missed; the one informative row says neither.
    expect(judged.filter((v) => v.met === undefined).map((v) => v.target)).to.have.length(1);
    expect(results.machine.cores).to.be.greaterThan(0);
    expect(results.machine.node).to.equal(process.version);
    const report = renderReport(results);
    for (const label of ['Express 5, bare JSON route', 'floor: express-session', 'gateway, memory store', 'express-openid-connect', 'gateway → emulator', 'bare keep-alive fetch proxy', '| 5 | 200 |']) {
      expect(report).to.include(label);
    }
  });
});
