import { expect } from 'chai';
import fc from 'fast-check';
import { safeReturnTo } from '../../src/auth/return-to.js';

/** Where a browser on the gateway's page would go with `Location: <path>`. */
const landsOn = (path: string, origin = 'https://chat.example.com') => new URL(path, origin);

describe('safeReturnTo', () => {
  const kept: Array<[string, string]> = [
    ['/', '/'],
    ['/shop/cart', '/shop/cart'],
    ['/search?q=chat#top', '/search?q=chat#top'],
    ['/a/../b', '/b'],
    ['/a/./b', '/a/b'],
    // Percent-encoded characters stay encoded in Location; browsers never decode them into `/` or `\`.
    ['/%0a/evil', '/%0a/evil'],
    ['/%09/evil', '/%09/evil'],
    ['/%5c/evil.example', '/%5c/evil.example'],
    ['/%5C%5Cevil.example', '/%5C%5Cevil.example'],
    ['/%2f/evil.example', '/%2f/evil.example'],
    ['/..%2f/evil.example', '/..%2f/evil.example'],
    ['/%2e%2e%2f%2fevil.example', '/%2e%2e%2f%2fevil.example'],
    ['/.../evil.example', '/.../evil.example'],
    ['/..;//evil.example', '/..;//evil.example'],
    // `//` after `?` or `#` is part of the query or fragment, not an authority.
    ['/?next=//evil.example', '/?next=//evil.example'],
    ['/#//evil.example', '/#//evil.example'],
    ['/ /x', '/%20/x'],
  ];
  for (const [input, output] of kept) {
    it(`keeps the same-origin path ${JSON.stringify(input)} as ${output}`, () => {
      expect(safeReturnTo(input)).to.equal(output);
      expect(landsOn(output).origin).to.equal('https://chat.example.com');
    });
  }

  const refused: unknown[] = [
    // Absolute and protocol-relative URLs.
    'https://evil.example/',
    'http://evil.example',
    '//evil.example/path',
    '///evil.example',
    'javascript:alert(1)',
    // Backslashes: browsers read `\` as `/`.
    '/\\evil.example',
    '\\\\evil.example',
    '/.\\/evil.example',
    // Tabs and newlines: browsers strip them, so `/\t/evil` is `//evil`.
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '/\u0000/evil.example',
    // Dot segments that normalize into `//host`, and their relatives.
    '/.//evil.example/x',
    '/..//evil.example/x',
    '/a/..//evil.example/x',
    '/a/b/../..//evil.example/x',
    '/././/evil.example/x',
    // Encoded dots, lower, upper and mixed case: `new URL` treats them as dot segments.
    '/%2e%2e//evil.example/x',
    '/%2E%2E//evil.example/x',
    '/%2e%2E//evil.example/x',
    '/%2e.//evil.example/x',
    '/.%2E//evil.example/x',
    '/%2e//evil.example/x',
    '/a/%2e%2e//evil.example/x',
    '/x/%2e%2e/%2e%2e//evil.example/x',
    // Not paths at all.
    'relative/path',
    '',
    '/x'.repeat(2000),
    undefined,
    ['/a', '/b'],
    { toString: () => '/a' },
  ];
  for (const input of refused) {
    it(`falls back to / for ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      expect(safeReturnTo(input)).to.equal('/');
    });
  }

  it('never answers anything a browser would resolve to another origin, whatever the input', () => {
    const pieces = fc.constantFrom('/', '.', '..', '%2e', '%2E', '\\', '%5c', '\t', '\n', 'evil.example', '?', '#', '@', ':', 'a', '%2f', ' ');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.string(), (parts, tail) => {
        const out = safeReturnTo(`/${parts.join('')}${tail}`);
        expect(out.startsWith('/')).to.equal(true);
        expect(out.startsWith('//')).to.equal(false);
        for (const origin of ['https://chat.example.com', 'http://127.0.0.1:3000']) {
          expect(landsOn(out, origin).origin).to.equal(origin);
        }
        // A fixed point: what the callback sends is what the check approved.
        expect(safeReturnTo(out)).to.equal(out);
      }),
      { numRuns: 2000 },
    );
  });
});
