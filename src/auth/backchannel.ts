/**
 * Logout token validation, OpenID Connect Back-Channel Logout 1.0 §2.6. Pure of HTTP: the
 * router (`backchannel-router.ts`) feeds it the token and acts on the result.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { LogoutTarget } from '../session/index.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Asymmetric algorithms only: the key set is public, so an HMAC "signed" with a public key
 * must never verify, and `none` is never acceptable.
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** `typ` values accepted: the registered `logout+jwt`, and plain JWT from IdPs that predate it. */
const TYPES = new Set(['logout+jwt', 'jwt']);

/** The token was refused. `reason` is short, safe to return to the IdP, and logged. */
export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/** What a valid logout token asks for. */
export interface VerifiedLogoutToken {
  readonly target: LogoutTarget;
  readonly jti: string;
  /** The token's `iat` (epoch s, the IdP's clock): sign-ins issued before it are over too. */
  readonly issuedAt: number;
  /**
   * How long, in ms from now, this token could still pass validation: remembering its `jti`
   * that long is enough to refuse every replay.
   */
  readonly replayWindowMs: number;
}

/** What the token is checked against. */
export interface LogoutTokenPolicy {
  /** The issuer from discovery. */
  issuer: string;
  /** This client's id: `aud` must contain it. */
  clientId: string;
  /** The IdP's signing keys (a remote JWKS from the discovered `jwks_uri`). */
  keys: JWTVerifyGetKey;
  /** Clock skew tolerated on `iat` and `exp`, in seconds. Default 60. */
  clockToleranceSec?: number;
  /**
   * Oldest `iat` accepted, in seconds. Default 600. Logout tokens are sent as the IdP session
   * ends; an old one is a replay, and the bound keeps the replay memory short.
   */
  maxAgeSec?: number;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalId = (payload: JWTPayload, name: 'sid' | 'sub'): string | undefined => {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) throw new LogoutTokenError(`invalid ${name} claim`);
  return value;
};

/** jose's failures, as short reasons that say what was wrong without echoing the token. */
function reasonFor(err: unknown): LogoutTokenError {
  if (err instanceof errors.JWSSignatureVerificationFailed) return new LogoutTokenError('signature verification failed', { cause: err });
  if (err instanceof errors.JWKSNoMatchingKey) return new LogoutTokenError('no matching signing key', { cause: err });
  if (err instanceof errors.JOSEAlgNotAllowed) return new LogoutTokenError('signing algorithm not allowed', { cause: err });
  if (err instanceof errors.JWTExpired) return new LogoutTokenError(err.claim === 'iat' ? 'token too old' : 'token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new LogoutTokenError(err.reason === 'missing' ? `missing ${err.claim} claim` : `invalid ${err.claim} claim`, { cause: err });
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return new LogoutTokenError('malformed token', { cause: err });
  }
  throw err; // key set unreachable and the like: not the token's fault (the router answers 503)
}

/**
 * Validates a logout token: signature by the IdP's keys, `iss`, `aud`, `iat` (present, not in
 * the future, not too old), `exp` when present, `jti`, the logout `events` member, `sid` and/or
 * `sub`, and no `nonce` (which would make it an ID token).
 * @throws LogoutTokenError when the token must be refused; other errors when the keys could not
 * be fetched.
 */
export async function verifyLogoutToken(token: string, policy: LogoutTokenPolicy): Promise<VerifiedLogoutToken> {
  const tolerance = policy.clockToleranceSec ?? 60;
  const maxAge = policy.maxAgeSec ?? 600;
  const nowMs = (policy.now ?? Date.now)();
  let payload: JWTPayload;
  let typ: string | undefined;
  try {
    ({ payload, protectedHeader: { typ } } = await jwtVerify(token, policy.keys, {
      issuer: policy.issuer,
      audience: policy.clientId,
      algorithms: ALGORITHMS,
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: maxAge,
      clockTolerance: tolerance,
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    throw reasonFor(err);
  }
  if (typ !== undefined && !TYPES.has(typ.toLowerCase().replace(/^application\//, ''))) throw new LogoutTokenError('unexpected typ header');
  if ('nonce' in payload) throw new LogoutTokenError('nonce is not allowed in a logout token');
  const events = payload.events;
  if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT])) throw new LogoutTokenError('missing back-channel logout event');
  const { jti } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new LogoutTokenError('invalid jti claim');
  const sid = optionalId(payload, 'sid');
  const sub = optionalId(payload, 'sub');

  // Accepted until the earlier of exp and iat + maxAge (each plus the tolerance): jose checked both.
  const iat = payload.iat as number;
  const lastSec = Math.min(payload.exp ?? Infinity, iat + maxAge) + tolerance;
  const replayWindowMs = Math.max(1000, lastSec * 1000 - nowMs);
  if (sid !== undefined) return { target: sub !== undefined ? { sid, sub } : { sid }, jti, issuedAt: iat, replayWindowMs };
  if (sub !== undefined) return { target: { sub }, jti, issuedAt: iat, replayWindowMs };
  throw new LogoutTokenError('neither sid nor sub present');
}
