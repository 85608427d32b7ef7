/**
 * `returnTo` must be a same-origin relative path. Anything that a browser could resolve to another
 * origin (`https://…`, `//…`, `/\…`, control characters that browsers strip) falls back to `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/')) return '/';
  // `//host` and `/\host` are protocol-relative to browsers; tabs/newlines are stripped by them too.
  if (value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  // Resolve against a fixed base: a same-origin path must stay on that origin.
  const base = 'http://gateway.invalid';
  let resolved: URL;
  try {
    resolved = new URL(value, base);
  } catch {
    return '/';
  }
  if (resolved.origin !== base) return '/';
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
