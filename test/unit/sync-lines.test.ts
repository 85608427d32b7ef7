import { expect } from 'chai';
import { addRanges, encodeRanges, LineSet } from '../../src/sync/lines.js';

describe('sync line sets', () => {
  describe('encodeRanges', () => {
    const cases: Array<[number[], string]> = [
      [[], ''],
      [[7], '7'],
      [[2, 3, 4], '2-4'],
      [[9, 2, 3, 5, 4, 11], '2-5,9,11'],
      [[3, 3, 4], '3-4'],
    ];
    for (const [lines, text] of cases) {
      it(`writes ${JSON.stringify(lines)} as "${text}"`, () => expect(encodeRanges(lines)).to.equal(text));
    }
  });

  describe('addRanges', () => {
    it('reads back what encodeRanges wrote', () => {
      const set = new LineSet();
      addRanges('2-5,9,11', set);
      expect([...Array(13).keys()].filter((n) => set.has(n))).to.deep.equal([2, 3, 4, 5, 9, 11]);
      expect(set.size).to.equal(6);
    });

    for (const bad of ['x', '5-2', '0', '1,,2', '-3', '1-', '1-999999999999']) {
      it(`refuses ${JSON.stringify(bad)}`, () => expect(() => addRanges(bad, new LineSet())).to.throw(RangeError));
    }
  });

  describe('LineSet', () => {
    it('writes itself back as ranges', () => {
      const set = new LineSet();
      for (const line of [9, 2, 3, 4, 5, 11, 8191, 8192]) set.add(line);
      expect(set.toRanges()).to.equal('2-5,9,11,8191-8192');
      expect(new LineSet().toRanges()).to.equal('');
    });

    it('grows to a million lines in about 125 KB and counts each line once', () => {
      const set = new LineSet();
      set.add(1_000_000);
      set.add(1_000_000);
      set.add(1);
      expect(set.size).to.equal(2);
      expect(set.has(1_000_000)).to.equal(true);
      expect(set.has(999_999)).to.equal(false);
      expect(set.has(5_000_000)).to.equal(false);
    });
  });
});
