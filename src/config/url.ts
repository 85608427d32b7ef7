/**
 * URL rules shared by the config schema. Plain `http:` is allowed only towards loopback hosts:
 * anywhere else it would carry session cookies, OIDC codes or the OneTalk API key in clear text.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost')) return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** True when the URL is https, or http towards a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/**
 * Parses an origin (`scheme://host[:port]`, nothing else). Returns the normalised origin or
 * `undefined` when the text has a path, query, credentials or an unsupported scheme.
 */
export function parseOrigin(text: string): string | undefined {
  const url = URL.parse(text);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  // An origin has no path: `https://a.example/` and `https://a.example/x` are both refused.
  if (url.pathname !== '/' || text.endsWith('/')) return undefined;
  return url.origin;
}
