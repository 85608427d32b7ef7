import { createPrivateKey, webcrypto } from 'node:crypto';
import * as client from 'openid-client';
import type { ClientAssertionAlg, ClientAuthentication, ClientPrivateKey } from '../config/index.js';

const HASH: Readonly<Record<string, string>> = { '256': 'SHA-256', '384': 'SHA-384', '512': 'SHA-512' };
const CURVE: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** The WebCrypto import parameters that make oauth4webapi sign with exactly `alg`. */
function importAlgorithm(alg: ClientAssertionAlg): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm {
  if (alg === 'Ed25519') return { name: 'Ed25519' };
  const hash = HASH[alg.slice(2)] ?? 'SHA-256';
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5', hash };
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', hash };
  return { name: 'ECDSA', namedCurve: CURVE[alg] ?? 'P-256' };
}

/**
 * openid-client's PrivateKeyJwt signs with a WebCrypto CryptoKey, not a Node KeyObject. The key
 * is imported non-extractable: once here, nothing can read it back out.
 */
export async function importSigningKey(key: ClientPrivateKey): Promise<client.PrivateKey> {
  const der = createPrivateKey(key.pkcs8Pem).export({ type: 'pkcs8', format: 'der' });
  const cryptoKey = await webcrypto.subtle.importKey('pkcs8', der, importAlgorithm(key.alg), false, ['sign']);
  return { key: cryptoKey as unknown as client.CryptoKey, ...(key.kid ? { kid: key.kid } : {}) };
}

/**
 * The openid-client pieces for one client authentication method: the client metadata to discover
 * with and the function that authenticates each token / PAR request.
 */
export async function clientAuthFor(auth: ClientAuthentication): Promise<{ metadata: Partial<client.ClientMetadata>; auth: client.ClientAuth }> {
  switch (auth.method) {
    case 'client_secret_basic':
      return { metadata: { client_secret: auth.secret }, auth: client.ClientSecretBasic(auth.secret) };
    case 'client_secret_post':
      return { metadata: { client_secret: auth.secret }, auth: client.ClientSecretPost(auth.secret) };
    case 'private_key_jwt':
      return { metadata: {}, auth: client.PrivateKeyJwt(await importSigningKey(auth.key)) };
  }
}
