import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What a session keeps of the IdP's tokens, server-side only. */
export interface SessionTokens {
  /** Used to re-validate the session at the IdP; absent when the IdP granted none. */
  readonly refreshToken?: string;
  /** Sent back as `id_token_hint` at sign-out, so the IdP ends its own session too. */
  readonly idToken?: string;
}

const VERSION = 'v1';
const INFO = 'onetalk-gateway/session-tokens/v1';

/**
 * Seals and opens {@link SessionTokens} with AES-256-GCM under keys derived (HKDF-SHA256) from
 * the session secrets. The first secret seals; every listed one opens, so rotating
 * `SESSION_SECRET` keeps existing sessions able to refresh. A sealed value is
 * `v1.<iv>.<ciphertext>.<tag>` (base64url), bound to its session id as additional data, so a
 * value copied to another session does not open there.
 */
export class TokenSealer {
  readonly #keys: readonly Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new TypeError('TokenSealer: at least one secret is needed');
    this.#keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32)));
  }

  seal(sessionId: string, tokens: SessionTokens): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0] as Buffer, iv);
    cipher.setAAD(Buffer.from(sessionId));
    const body = Buffer.concat([cipher.update(JSON.stringify(tokens), 'utf8'), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** The tokens, or undefined when the value is not one of ours (tampered, foreign, dropped key). */
  open(sessionId: string, sealed: string): SessionTokens | undefined {
    const [version, iv, body, tag, extra] = sealed.split('.');
    if (version !== VERSION || !iv || !body || !tag || extra !== undefined) return undefined;
    for (const key of this.#keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(sessionId));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
        const parsed = JSON.parse(plain) as Record<string, unknown>;
        return {
          ...(typeof parsed.refreshToken === 'string' ? { refreshToken: parsed.refreshToken } : {}),
          ...(typeof parsed.idToken === 'string' ? { idToken: parsed.idToken } : {}),
        };
      } catch {
        // Not this key (or not ours at all): try the next one.
      }
    }
    return undefined;
  }
}
