import { z } from 'zod';
import { parseClientPrivateKey, type ClientPrivateKey } from './private-key.js';

/**
 * The OIDC client's own variables: how it authenticates at the token endpoint, whether it pushes
 * its authorization requests (PAR), and which extra authorization parameters it sends. Rules that
 * join several variables live in {@link clientAuthenticationProblems}, so that one start-up error
 * still names every bad variable.
 */

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** How the gateway authenticates at the token (and PAR) endpoint. */
export type ClientAuthentication =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly secret: string }
  | { readonly method: 'private_key_jwt'; readonly key: ClientPrivateKey };

/**
 * Parameters the gateway sets itself on every authorization request. Letting configuration
 * override them would break state/nonce/PKCE binding, the fixed redirect URI, or client identity.
 */
export const GATEWAY_OWNED_PARAMS: ReadonlySet<string> = new Set([
  'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'redirect_uri', 'response_type',
  'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'request', 'request_uri', 'dpop_jkt',
]);

export const clientAuthMethod = z
  .enum(CLIENT_AUTH_METHODS, { error: `must be one of ${CLIENT_AUTH_METHODS.join(', ')}` })
  .optional()
  .transform((m) => m ?? 'client_secret_basic');

/** Empty counts as unset: an `.env` line `OIDC_CLIENT_SECRET=` means "none". */
export const clientSecret = z
  .string()
  .optional()
  .transform((s) => (s ? s : undefined));

export const clientPrivateKey = z
  .string()
  .optional()
  .transform((s, ctx): ClientPrivateKey | undefined => {
    if (!s || !s.trim()) return undefined;
    const parsed = parseClientPrivateKey(s);
    if (parsed.ok) return parsed.key;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });

export const usePar = z
  .enum(['auto', 'true', 'false'], { error: 'must be auto, true or false' })
  .optional()
  .transform((v): 'auto' | boolean => (v === undefined || v === 'auto' ? 'auto' : v === 'true'));

/**
 * `OIDC_AUTH_PARAMS`: a query string such as `prompt=consent&access_type=offline`. Checked after
 * decoding, on the names that will actually be sent (`%73tate` is `state`).
 */
export const authParams = z
  .string()
  .optional()
  .transform((s, ctx): Readonly<Record<string, string>> => {
    const params: Record<string, string> = {};
    const text = (s ?? '').trim().replace(/^\?/, '');
    if (!text) return params;
    const problems: string[] = [];
    const owned: string[] = [];
    for (const [name, value] of new URLSearchParams(text)) {
      if (GATEWAY_OWNED_PARAMS.has(name)) owned.push(name);
      else if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) problems.push(`"${name.slice(0, 64)}" is not a parameter name`);
      else if (Object.hasOwn(params, name)) problems.push(`${name} is given twice`);
      else if (!value || value.length > 1024 || /[\x00-\x1f\x7f]/.test(value)) problems.push(`${name} needs a value of 1..1024 printable characters`);
      else params[name] = value;
    }
    if (owned.length) {
      problems.unshift(`must not set ${[...new Set(owned)].join(', ')} (the gateway sets them; scopes belong in OIDC_SCOPES)`);
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length ? z.NEVER : params;
  });

/**
 * Rules across OIDC_CLIENT_AUTH, OIDC_CLIENT_SECRET and OIDC_CLIENT_PRIVATE_KEY, on the raw
 * environment so they run even when other variables failed (zod skips object-level rules once a
 * field aborts). A variable that already has its own message gets no second one.
 */
export function clientAuthenticationProblems(
  env: Readonly<Record<string, string | undefined>>,
  failed: ReadonlySet<string>,
): Array<{ variable: string; message: string }> {
  if (failed.has('OIDC_CLIENT_AUTH')) return [];
  const method = (env.OIDC_CLIENT_AUTH || 'client_secret_basic') as ClientAuthMethod;
  const hasSecret = Boolean(env.OIDC_CLIENT_SECRET);
  const hasKey = Boolean(env.OIDC_CLIENT_PRIVATE_KEY?.trim());
  const problems: Array<{ variable: string; message: string }> = [];
  const problem = (variable: string, message: string) => {
    if (!failed.has(variable)) problems.push({ variable, message });
  };
  if (method === 'private_key_jwt') {
    if (!hasKey) problem('OIDC_CLIENT_PRIVATE_KEY', 'is required with OIDC_CLIENT_AUTH=private_key_jwt');
    // An unused secret left in the environment is one more secret to leak and to forget rotating.
    if (hasSecret) problem('OIDC_CLIENT_SECRET', 'must be empty with OIDC_CLIENT_AUTH=private_key_jwt (the client signs with OIDC_CLIENT_PRIVATE_KEY)');
  } else {
    if (!hasSecret) problem('OIDC_CLIENT_SECRET', `is required (OIDC_CLIENT_AUTH is ${method})`);
    if (hasKey) problem('OIDC_CLIENT_PRIVATE_KEY', 'is used only with OIDC_CLIENT_AUTH=private_key_jwt; set that, or remove the key');
  }
  return problems;
}

/** The parsed variables joined into one {@link ClientAuthentication} (after the rules above passed). */
export function clientAuthentication(e: {
  OIDC_CLIENT_AUTH: ClientAuthMethod;
  OIDC_CLIENT_SECRET: string | undefined;
  OIDC_CLIENT_PRIVATE_KEY: ClientPrivateKey | undefined;
}): ClientAuthentication {
  if (e.OIDC_CLIENT_AUTH === 'private_key_jwt') {
    if (!e.OIDC_CLIENT_PRIVATE_KEY) throw new Error('unreachable: clientAuthenticationProblems requires OIDC_CLIENT_PRIVATE_KEY');
    return { method: 'private_key_jwt', key: e.OIDC_CLIENT_PRIVATE_KEY };
  }
  if (!e.OIDC_CLIENT_SECRET) throw new Error('unreachable: clientAuthenticationProblems requires OIDC_CLIENT_SECRET');
  return { method: e.OIDC_CLIENT_AUTH, secret: e.OIDC_CLIENT_SECRET };
}
