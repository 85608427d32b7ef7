/**
 * `returnTo` must be a same-origin relative path. Anything that a browser could resolve to another
 * origin (`https://…`, `//…`, `/\…`, control characters that browsers strip) falls back to `/`.
 *
 * The check runs on the value that goes into `Location`, not on the input: `new URL` removes dot
 * segments, including encoded ones (`%2e`, `%2E`), so `/.//evil`, `/a/..//evil` and
 * `/%2e%2e//evil` all come out as `//evil`, a protocol-relative URL to another host.
 */
const BASE = new URL('http://gateway.invalid');

/** Characters browsers strip (tab, CR, LF), other controls, and `\`, which they read as `/`. */
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/') || UNSAFE.test(value)) return '/';
  let resolved: URL;
  try {
    resolved = new URL(value, BASE);
  } catch {
    return '/';
  }
  // `//host/…` names another origin outright: refused, not rewritten to a path on ours.
  if (resolved.origin !== BASE.origin) return '/';
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return isSameOriginPath(path) ? path : '/';
}

/**
 * True when a browser resolving `path` against the gateway's origin stays on that origin and
 * lands on `path` itself: a fixed point of the URL parser, so no later normalization can turn it
 * into something else. The browser and `new URL` implement the same WHATWG parser.
 */
function isSameOriginPath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || UNSAFE.test(path)) return false;
  let again: URL;
  try {
    again = new URL(path, BASE);
  } catch {
    return false;
  }
  return again.origin === BASE.origin && `${again.pathname}${again.search}${again.hash}` === path;
}
