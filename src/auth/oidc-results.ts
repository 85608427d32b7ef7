import { inspect } from 'node:util';

/**
 * The tokens a sign-in or refresh yields that the gateway keeps server-side: the ID token (the
 * `id_token_hint` at logout) and the refresh token (re-validation). Serializing or inspecting this
 * object (a log line, `JSON.stringify`, `console.log`) shows `[redacted]`; store them by reading the
 * fields explicitly, and never put them in a cookie or a response body.
 */
export class IdpTokens {
  constructor(
    readonly idToken: string | undefined,
    readonly refreshToken: string | undefined,
  ) {}

  toJSON(): Record<string, string | undefined> {
    return { idToken: this.idToken && '[redacted]', refreshToken: this.refreshToken && '[redacted]' };
  }

  [inspect.custom](): string {
    return `IdpTokens ${JSON.stringify(this.toJSON())}`;
  }
}

/** What a finished sign-in yields. */
export interface LoginResult {
  /** The ID token's claims merged with userinfo (userinfo wins, `sub` pinned to the ID token's). */
  claims: Record<string, unknown>;
  /** The IdP session id (`sid`), for back-channel logout. */
  sid: string | undefined;
  /** The ID token's `iat` (epoch s, the IdP's clock): a back-channel logout issued later wins. */
  issuedAt: number;
  /** `idToken` is always set here; `refreshToken` only when the IdP granted one. */
  tokens: IdpTokens;
  /** Scopes asked for in OIDC_SCOPES that the IdP did not grant (logged at sign-in). */
  missingScopes: readonly string[];
}

/**
 * The result of {@link OidcClient.refresh}. Phase 2's re-validation acts on `kind`:
 * - `refreshed`: the grant is alive. Store `tokens` (the refresh token may have rotated: the old
 *   one is then spent, and presenting it again may revoke the whole grant). `claims` is the fresh
 *   profile, or undefined when it could not be read this time (keep the previous one).
 * - `revoked`: the IdP answered `invalid_grant` (user disabled, consent withdrawn, grant or session
 *   ended, token expired): end the session now.
 * - `unavailable`: no usable answer (network, timeout, 5xx, discovery not done): keep the session
 *   within SESSION_REVALIDATE_GRACE_MS.
 * - `refused`: the IdP refused the gateway itself (`invalid_client`, …): a configuration problem,
 *   not the user's; log it loudly and treat it like `unavailable`.
 * - `invalid`: the answer failed verification (ID token checks, a different subject): the gateway
 *   can no longer tell who this is; end the session.
 */
export type RefreshOutcome =
  | {
      kind: 'refreshed';
      claims: Record<string, unknown> | undefined;
      sid: string | undefined;
      /** `idToken`: the new one, or undefined when the IdP sent none (keep the previous one). `refreshToken`: always set (the new one, or the one presented). */
      tokens: IdpTokens;
      rotated: boolean;
      /** Why `claims` is undefined, for the log. */
      profileError?: string;
    }
  | { kind: 'revoked'; reason: string; oauth: { error: string; description?: string; status: number } }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'refused'; reason: string; oauth?: { error: string; description?: string; status: number } }
  | { kind: 'invalid'; reason: string };

/**
 * Google answers the OIDC scopes `email` and `profile` with their URL forms in the token
 * response's `scope`; they are the same grant, not missing ones.
 */
const SCOPE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  email: ['https://www.googleapis.com/auth/userinfo.email'],
  profile: ['https://www.googleapis.com/auth/userinfo.profile'],
};

/**
 * Requested scopes absent from the granted `scope` string. An absent `scope` means "as requested"
 * (RFC 6749 §5.1). `offline_access` is left out: IdPs such as Entra ID never echo it, and whether
 * it worked shows in the refresh token, which is reported on its own.
 */
export function missingScopes(requested: readonly string[], granted: string | undefined): string[] {
  if (granted === undefined) return [];
  const have = new Set(granted.split(' ').filter(Boolean));
  return requested.filter(
    (scope) => scope !== 'offline_access' && !have.has(scope) && !(SCOPE_ALIASES[scope] ?? []).some((alias) => have.has(alias)),
  );
}
