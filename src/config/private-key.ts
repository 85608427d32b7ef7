import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** JWS algorithms the gateway signs `private_key_jwt` client assertions with. */
export type ClientAssertionAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'Ed25519';

/**
 * The client's signing key for `private_key_jwt`, checked at start-up. `pkcs8Pem` is the key
 * re-encoded as unencrypted PKCS#8 whatever form it was given in (PKCS#1, SEC1, JWK), so the
 * OIDC client can import it into WebCrypto without guessing formats.
 */
export interface ClientPrivateKey {
  readonly pkcs8Pem: string;
  readonly alg: ClientAssertionAlg;
  /** From a JWK's `kid`: IdPs holding several keys for a client pick the right one by it. */
  readonly kid: string | undefined;
}

export type ParsedKey = { ok: true; key: ClientPrivateKey } | { ok: false; message: string };

const CURVE_ALG: Readonly<Record<string, ClientAssertionAlg>> = { 'prime256v1': 'ES256', 'secp384r1': 'ES384', 'secp521r1': 'ES512' };
const RSA_ALGS = new Set<string>(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
const SUPPORTED = 'an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 private key';

const fail = (message: string): ParsedKey => ({ ok: false, message });

/** The algorithm a key signs with: the JWK's `alg` when it fits the key, else the key type's usual one. */
function algorithmFor(key: KeyObject, requested: unknown): { alg: ClientAssertionAlg } | { message: string } {
  const details = key.asymmetricKeyDetails ?? {};
  const misfit = (what: string) => ({ message: `has "alg" ${String(requested)}, which does not fit ${what}` });
  switch (key.asymmetricKeyType) {
    case 'rsa':
      if ((details.modulusLength ?? 0) < 2048) return { message: 'must be an RSA key of at least 2048 bits' };
      if (requested === undefined) return { alg: 'RS256' };
      return typeof requested === 'string' && RSA_ALGS.has(requested) ? { alg: requested as ClientAssertionAlg } : misfit('an RSA key');
    case 'ec': {
      const alg = CURVE_ALG[details.namedCurve ?? ''];
      if (!alg) return { message: `must be ${SUPPORTED}` };
      return requested === undefined || requested === alg ? { alg } : misfit(`a key whose curve signs ${alg}`);
    }
    case 'ed25519':
      return requested === undefined || requested === 'EdDSA' || requested === 'Ed25519' ? { alg: 'Ed25519' } : misfit('an Ed25519 key');
    default:
      return { message: `must be ${SUPPORTED}` };
  }
}

function fromJwk(text: string): ParsedKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    return fail('looks like a JWK but is not valid JSON');
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || typeof (jwk as { kty?: unknown }).kty !== 'string') {
    return fail('must be a single JWK object with "kty" (not a JWK set)');
  }
  const { d, kid, alg } = jwk as { d?: unknown; kid?: unknown; alg?: unknown };
  if (d === undefined) return fail('is a public JWK; give the private key (with "d")');
  if (kid !== undefined && (typeof kid !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(kid))) return fail('has a "kid" that is not 1..256 visible ASCII characters');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return fail(`is not a usable private JWK; it must be ${SUPPORTED}`);
  }
  return finish(key, alg, kid as string | undefined);
}

function fromPem(text: string): ParsedKey {
  // A PEM pasted into a one-line .env value often arrives with literal "\n" sequences.
  const pem = text.includes('\n') ? text : text.replace(/\\n/g, '\n');
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (!label) return fail('must be a PEM private key ("-----BEGIN PRIVATE KEY-----") or a private JWK ({"kty": …})');
  if (/ENCRYPTED/.test(label) || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) return fail('is an encrypted PEM; give the key unencrypted (keep it in a secret store instead)');
  if (!/PRIVATE KEY$/.test(label)) return fail(`is a PEM ${label.toLowerCase()}, not a private key`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return fail('is not a readable PEM private key');
  }
  return finish(key, undefined, undefined);
}

function finish(key: KeyObject, requestedAlg: unknown, kid: string | undefined): ParsedKey {
  const chosen = algorithmFor(key, requestedAlg);
  if ('message' in chosen) return fail(chosen.message);
  const pkcs8Pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ok: true, key: { pkcs8Pem, alg: chosen.alg, kid } };
}

/**
 * Reads `OIDC_CLIENT_PRIVATE_KEY`: a PEM private key (PKCS#8, PKCS#1 or SEC1) or a private JWK.
 * Messages never echo the key.
 */
export function parseClientPrivateKey(text: string): ParsedKey {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? fromJwk(trimmed) : fromPem(trimmed);
}
