/**
 * Checks for the OneTalk fields that are identifiers, not free text: an address or a URL is
 * sent exactly as given or not at all, because a "repaired" one would point somewhere else.
 */
import { codePointLength } from '../onetalk/text.js';

/** Whitespace, controls, format characters (bidi overrides…) and lone surrogates. */
const UNSAFE_IN_ADDRESS = /[\s\u0085\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * A deliberately plain plausibility check, not RFC 5322: exactly one `@`, a non-empty local part,
 * and a domain of at least two non-empty dot-separated labels; nothing invisible anywhere.
 * The IdP owns the address; we only refuse what OneTalk would store as garbage.
 */
export function isPlausibleEmail(text: string): boolean {
  if (UNSAFE_IN_ADDRESS.test(text)) return false;
  const parts = text.split('@');
  if (parts.length !== 2) return false;
  const [local = '', domain = ''] = parts;
  const labels = domain.split('.');
  return local !== '' && labels.length >= 2 && labels.every((label) => label !== '');
}

/** The address when it is plausible and fits `limit` code points; never truncated. */
export function emailField(value: string, limit: number): string | undefined {
  return isPlausibleEmail(value) && codePointLength(value) <= limit ? value : undefined;
}

/** The local part of a plausible address (`"ada"` from `"ada@example.com"`). */
export function emailLocalPart(value: string): string | undefined {
  return isPlausibleEmail(value) ? value.slice(0, value.indexOf('@')) : undefined;
}

/**
 * The serialised `href` of an absolute `http:`/`https:` URL, else `undefined`. Other schemes
 * (`javascript:`, `data:`, `file:`) could run script or read local files wherever an agent's
 * console renders the picture. URLs carrying credentials are refused too: they would leak
 * them to everyone who sees the contact, and browsers block them for images anyway.
 */
export function httpUrlField(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  if (url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
  return url.href;
}
