import { expect } from 'chai';
import { codePointLength, LONE_SURROGATE } from '../../src/onetalk/text.js';
import { cutToCodePoints, normaliseText } from '../../src/profile/text.js';

describe('profile text hygiene', () => {
  describe('normaliseText', () => {
    const cases: [string, string, string][] = [
      ['trims and collapses whitespace runs', '  Ada \t\n  Lovelace  ', 'Ada Lovelace'],
      ['folds NBSP, ideographic space and NEL into one space', 'Ada\u00A0\u3000\u0085Lovelace', 'Ada Lovelace'],
      ['deletes C0 controls', 'Ada\u0000\u0007\u001BLove', 'AdaLove'],
      ['deletes C1 controls', 'Ada\u0080\u009FLove', 'AdaLove'],
      ['deletes the right-to-left override', 'evil\u202Egpj.exe', 'evilgpj.exe'],
      ['deletes bidi embeddings, isolates and marks', '\u202Aa\u202Bb\u202Cc\u2066d\u2067e\u2068f\u2069g\u200Eh\u200Fi\u061Cj', 'abcdefghij'],
      ['deletes zero-width space, BOM and soft hyphen', 'A\u200Bd\uFEFFa\u00AD', 'Ada'],
      ['deletes lone surrogates', 'A\uD800d\uDC00a', 'Ada'],
      ['keeps surrogate pairs', 'Ada \u{1F600}', 'Ada \u{1F600}'],
      ['keeps ZWJ emoji sequences whole', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'],
      ['keeps ZWNJ (Persian)', 'می\u200Cخواهم', 'می\u200Cخواهم'],
      ['keeps tag characters (England flag)', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'],
      ['composes to NFC', 'Jose\u0301', 'Jos\u00E9'],
      ['returns empty for invisible-only text', ' \u202E\u0000\u200B\t ', ''],
    ];
    for (const [title, input, expected] of cases) {
      it(title, () => expect(normaliseText(input)).to.equal(expected));
    }
  });

  describe('cutToCodePoints', () => {
    it('leaves text within the limit alone', () => expect(cutToCodePoints('Ada', 3)).to.equal('Ada'));
    it('cuts 300 emoji to 250 code points without a lone surrogate', () => {
      const cut = cutToCodePoints('\u{1F600}'.repeat(300), 250);
      expect(codePointLength(cut)).to.equal(250);
      expect(cut.length).to.equal(500);
      expect(LONE_SURROGATE.test(cut)).to.equal(false);
    });
    it('keeps a ZWJ sequence whole or drops it whole', () => {
      const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'; // 5 code points
      expect(cutToCodePoints(`ab${family}`, 6)).to.equal('ab');
      expect(cutToCodePoints(`ab${family}`, 7)).to.equal(`ab${family}`);
    });
    it('cuts a single over-long grapheme by code points', () => {
      const zalgo = `a${'\u0301'.repeat(20)}`;
      expect(cutToCodePoints(zalgo, 5)).to.equal(`a${'\u0301'.repeat(4)}`);
    });
    it('trims a space left at the end by the cut', () => expect(cutToCodePoints('Ada Lovelace', 4)).to.equal('Ada'));
  });

  describe('LONE_SURROGATE', () => {
    const cases: [string, boolean][] = [
      ['\uD83D\uDE00', false],
      ['\uD83D', true],
      ['\uDE00', true],
      ['a\uDE00\uD83D', true],
      ['plain', false],
    ];
    for (const [input, expected] of cases) {
      it(`${expected ? 'finds' : 'finds no'} unpaired surrogate in ${JSON.stringify(input)}`, () =>
        expect(LONE_SURROGATE.test(input)).to.equal(expected));
    }
  });
});
