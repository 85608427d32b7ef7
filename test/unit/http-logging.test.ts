import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, redactUrl } from '../../src/http/index.js';

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
