import { expect } from 'chai';
import { TokenSealer } from '../../src/session/seal.js';

const OLD = 'old-secret-0123456789-0123456789-0123456789';
const NEW = 'new-secret-0123456789-0123456789-0123456789';
const TOKENS = { refreshToken: 'rt-SECRET-refresh-token-value', idToken: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' };

describe('TokenSealer', () => {
  it('seals tokens so that they open again for the same session, and hides them', () => {
    const sealer = new TokenSealer([NEW]);
    const sealed = sealer.seal('session-1', TOKENS);
    expect(sealed).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.to.include('SECRET');
    expect(sealer.open('session-1', sealed)).to.deep.equal(TOKENS);
    expect(sealer.seal('session-1', TOKENS)).not.to.equal(sealed); // a fresh IV each time
  });

  it('keeps only the known fields, and an empty set of tokens round-trips', () => {
    const sealer = new TokenSealer([NEW]);
    expect(sealer.open('s', sealer.seal('s', {}))).to.deep.equal({});
    expect(sealer.open('s', sealer.seal('s', { refreshToken: 'r' }))).to.deep.equal({ refreshToken: 'r' });
  });

  it('opens what an older secret sealed while that secret is still listed (rotation)', () => {
    const sealed = new TokenSealer([OLD]).seal('session-1', TOKENS);
    expect(new TokenSealer([NEW, OLD]).open('session-1', sealed)).to.deep.equal(TOKENS);
    expect(new TokenSealer([NEW]).open('session-1', sealed)).to.equal(undefined);
  });

  it('refuses a value moved to another session, tampered with, or not sealed at all', () => {
    const sealer = new TokenSealer([NEW]);
    const sealed = sealer.seal('session-1', TOKENS);
    expect(sealer.open('session-2', sealed)).to.equal(undefined);
    const [v, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    const flipped = `${body.slice(0, -2)}${body.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [`${v}.${iv}.${flipped}.${tag}`, `v2.${iv}.${body}.${tag}`, `${sealed}.extra`, 'plain', '', '...']) {
      expect(sealer.open('session-1', bad), bad).to.equal(undefined);
    }
  });
});
