import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, createLogSink, redactUrl } from '../../src/http/index.js';
import { createMetrics } from '../../src/ops/metrics.js';

/** A reader that never finishes a write: what a stalled log collector looks like from here. */
function stalledStream(): Writable {
  return new Writable({ highWaterMark: 1024, write() {} });
}

/** A reader that is gone: every write fails, as with EPIPE. */
function brokenStream(): Writable {
  return new Writable({
    write(_chunk, _enc, done) {
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
}

describe('redactUrl', () => {
  it('replaces secret query values and keeps the rest', () => {
    expect(redactUrl('/auth/callback?code=abc123&state=xyz&iss=https%3A%2F%2Fidp')).to.equal(
      '/auth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&iss=https%3A%2F%2Fidp',
    );
  });
  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/healthz')).to.equal('/healthz');
    expect(redactUrl(undefined)).to.equal('');
  });
});

describe('createLogger', () => {
  it('redacts the API key, cookies and tokens wherever the gateway logs them', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({
      req: { headers: { cookie: 'onetalk.sid=s%3Aabc', 'api-key': 'sk-live-1', authorization: 'Bearer t0k' } },
      apiKey: 'sk-live-2',
      ticket: 'eyJ.ticket',
      tokens: { access_token: 'at', id_token: 'it', refresh_token: 'rt' },
    });
    const text = lines.join('');
    for (const secret of ['s%3Aabc', 'sk-live-1', 'Bearer t0k', 'sk-live-2', 'eyJ.ticket', '"at"', '"it"', '"rt"']) {
      expect(text).not.to.include(secret);
    }
    expect(text).to.include('[redacted]');
  });
});

describe('createLogSink', () => {
  it('drops and counts lines once the buffer for a stalled reader is full, without blocking', () => {
    const sink = createLogSink({ stream: stalledStream(), maxBufferedBytes: 10_000 });
    const logger = createLogger('info', sink);
    const started = Date.now();
    for (let i = 0; i < 100; i += 1) logger.error({ detail: 'x'.repeat(1000) }, 'a big error line');
    expect(Date.now() - started).to.be.below(1000);
    // About 1 KB a line: the first ones fit the 10 KB bound, the rest are dropped and counted.
    expect(sink.dropped).to.be.within(85, 95);
  });

  it('drops and counts every line once the stream failed, never retrying one', async () => {
    const stream = brokenStream();
    let attempts = 0;
    stream.on('error', () => (attempts += 1));
    const sink = createLogSink({ stream });
    const logger = createLogger('info', sink);
    logger.info('first');
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 10; i += 1) logger.info('after the reader went away');
    expect(sink.dropped).to.equal(11);
    expect(attempts).to.equal(1);
    expect(await sink.flush(1000)).to.equal(false);
  });

  it('flushes within the time it is given, even when nothing can be written', async () => {
    const sink = createLogSink({ stream: stalledStream() });
    sink.write('{"msg":"stopped"}\n');
    const started = Date.now();
    expect(await sink.flush(100)).to.equal(false);
    expect(Date.now() - started).to.be.within(90, 1000);
  });

  it('flushes what a healthy reader takes', async () => {
    const lines: string[] = [];
    const sink = createLogSink({
      stream: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          setTimeout(done, 5);
        },
      }),
    });
    sink.write('one\n');
    sink.write('two\n');
    expect(await sink.flush(1000)).to.equal(true);
    expect(lines).to.deep.equal(['one\n', 'two\n']);
    expect(sink.dropped).to.equal(0);
  });

  it('reports the dropped lines as log_lines_dropped_total', async () => {
    const sink = createLogSink({ stream: stalledStream(), maxBufferedBytes: 10 });
    const metrics = createMetrics({ processMetrics: false });
    const read = async () => /^log_lines_dropped_total (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
    expect(await read()).to.equal('0');
    metrics.watch({ logSink: sink });
    for (let i = 0; i < 3; i += 1) sink.write('a line longer than ten bytes\n');
    expect(await read()).to.equal('3');
    sink.write('one more line longer than ten bytes\n');
    expect(await read()).to.equal('4');
  });
});
