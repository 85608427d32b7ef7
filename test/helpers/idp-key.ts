import { generateKeyPair } from 'jose';

let shared: Promise<CryptoKey> | undefined;

/**
 * One RS256 signing key for every dev IdP a test process starts through the helpers: an RSA key
 * costs about a third of a second of CPU, and the suite starts well over a hundred IdPs. Each IdP
 * still publishes it under a `kid` of its own. Tests about keys make their own.
 */
export function sharedIdpKey(): Promise<CryptoKey> {
  shared ??= generateKeyPair('RS256', { extractable: true }).then((pair) => pair.privateKey);
  return shared;
}
