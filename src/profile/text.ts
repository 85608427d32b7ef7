/**
 * Display-text hygiene for names that OneTalk shows to agents.
 *
 * OneTalk counts field limits in characters (code points), so every length here is in code
 * points, and a cut never splits a surrogate pair.
 */
import { codePointLength } from '../onetalk/text.js';

/**
 * Invisible characters we delete: controls (C0/C1), format characters (bidi overrides and
 * isolates, zero-width space, BOM, soft hyphen…) and lone surrogates. Bidi overrides let a name
 * render as something else in the agent's console ("U+202E" reverses text), and lone surrogates
 * make the JSON body ill-formed Unicode. Kept: the whitespace controls (folded into spaces
 * below), ZWNJ/ZWJ (needed by Persian, Indic scripts and emoji sequences) and tag characters
 * (subdivision flags such as England's).
 */
const INVISIBLE = /(?![\t\n\v\f\r\u0085\u200C\u200D\u{E0020}-\u{E007F}])[\p{Cc}\p{Cf}\p{Cs}]/gu;

/** Any run of whitespace, including NEL (U+0085), which JavaScript's `\s` leaves out. */
const WHITESPACE_RUN = /[\s\u0085]+/gu;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Normalises free text for display: deletes invisible characters, composes to NFC (so decomposed
 * input does not eat into the limit), collapses whitespace runs to one space and trims.
 * May return `''`.
 */
export function normaliseText(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFC').replace(WHITESPACE_RUN, ' ').trim();
}

/**
 * Cuts `text` to at most `limit` code points, on a grapheme boundary when it can (so an emoji
 * sequence or a letter with its accents is kept whole or dropped whole), and trims what is left.
 * A single grapheme longer than the limit (e.g. stacked combining marks) is cut by code points.
 * Never leaves a lone surrogate behind.
 */
export function cutToCodePoints(text: string, limit: number): string {
  if (codePointLength(text) <= limit) return text;
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = codePointLength(segment);
    if (used + size > limit) break;
    kept += segment;
    used += size;
  }
  if (kept.trim() === '') kept = Array.from(text).slice(0, limit).join('');
  return kept.trim();
}
