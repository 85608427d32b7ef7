/**
 * How OneTalk's document measures text. Its size ranges are in characters, read here as Unicode
 * code points (not bytes, not UTF-16 units), and a lone surrogate is no character at all: it
 * cannot be encoded as UTF-8, so it would reach OneTalk as U+FFFD or be refused. The pre-send
 * check, the claim mapping and the config's prefix rule all measure with these, so a value one of
 * them accepts is never one another refuses.
 */

/** Number of Unicode code points in `text` (a lone surrogate counts as one). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** An unpaired UTF-16 surrogate (with the `u` flag a proper pair is one code point and does not match). */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
