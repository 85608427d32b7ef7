import type { Request, Response } from 'express';
import { SessionCookie } from './cookie.js';
import { newSessionId } from './ids.js';
import { TokenSealer, type SessionTokens } from './seal.js';
import type { CreateRefusal, SessionStore } from './store.js';
import type { SessionRecord, SessionUser } from './types.js';

/** Options of {@link createSessions}. */
export interface SessionsOptions {
  store: SessionStore;
  /** Cookie-signing secrets: the first signs, every one verifies. */
  secrets: readonly string[];
  /** True when the public URL is https: `__Host-` cookie name and the `Secure` attribute. */
  secureCookies: boolean;
  /** A session unused this long is over, in ms. */
  idleTimeoutMs: number;
  /** A sign-in older than this is over however active it is, in ms. */
  absoluteTimeoutMs: number;
  /** Clock, epoch ms. Tests pass a fake one. Default `Date.now`. */
  now?: () => number;
  /** Cookie base name, default `onetalk.sid`. */
  cookieName?: string;
  /** Seals the IdP's tokens kept with each session. Default: one keyed by `secrets`. */
  sealer?: TokenSealer;
}

/** A live session as one request sees it. */
export interface LoadedSession {
  readonly id: string;
  /** The generation the record was read at; a replacement must name it. */
  readonly gen: number;
  readonly record: SessionRecord;
}

/** What a sign-in stores besides the user. */
export interface SignInOptions {
  /** The ID token's `iat` (epoch s): a back-channel logout issued later than it wins. */
  issuedAt: number;
  /**
   * The IdP's tokens, sealed here under the new session's id and kept under their own key (never
   * in the record, the cookie or a response). A refresh token turns re-validation on.
   */
  tokens?: SessionTokens;
}

/** The gateway's sessions, as routes use them. Nothing here writes a whole session back. */
export interface Sessions {
  readonly store: SessionStore;
  readonly cookieName: string;
  /** The verified session id of the request's cookie, without reading the store. */
  idOf(req: Request): string | undefined;
  /**
   * Reads the request's live session, or undefined. Ends (for good) a session past its idle or
   * absolute lifetime, and renews the activity stamp once a step, only if the session still
   * exists. Read once per request: call it where the session is used, after every check that
   * can refuse the request without it.
   */
  read(req: Request, res: Response): Promise<LoadedSession | undefined>;
  /**
   * Signs the user in under a new session id (so an id planted before never becomes signed in),
   * ending the session the browser had before. Resolves with the refusal when a back-channel
   * logout already ended this sign-in.
   */
  signIn(req: Request, res: Response, user: SessionUser, options: SignInOptions): Promise<CreateRefusal | undefined>;
  /** Ends the request's session for good and drops the cookie. @returns the id that ended, if any. */
  signOut(req: Request, res: Response): Promise<string | undefined>;
  /**
   * The IdP's tokens of a live session, opened; undefined when there are none, or they no longer
   * open (tampered, or sealed under a secret since dropped). Read only to refresh or to sign out.
   */
  tokens(id: string): Promise<SessionTokens | undefined>;
  /**
   * Replaces the record of `session` (and its tokens, sealed here, when given) only at the
   * generation it was read at. @returns the new generation, or undefined when it moved on or ended.
   */
  replace(session: LoadedSession, record: SessionRecord, tokens?: SessionTokens): Promise<number | undefined>;
}

/**
 * The two fields, copied out: whatever object the caller hands in (the OIDC client's wrapper
 * serializes as `[redacted]`), what is sealed is exactly these strings.
 */
function plainTokens(tokens: SessionTokens): SessionTokens {
  return {
    ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.idToken !== undefined ? { idToken: tokens.idToken } : {}),
  };
}

function positiveMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`createSessions: ${name} must be a positive integer of ms`);
  return value;
}

/**
 * Server-side sessions with a write model that cannot undo a sign-out (see {@link SessionStore}).
 *
 * Why not express-session: it saves the whole session it loaded at the end of every request that
 * changed it, unconditionally (last writer wins). A request that loaded a session before a
 * sign-out could so write it back afterwards, and a stale copy could overwrite a newer one.
 * Here a read never writes the record; activity is a separate, conditional stamp.
 *
 * Lifetimes: the idle timeout is enforced on the server (the store's TTL and `lastSeenAt`), the
 * absolute one on the server and by the cookie's Max-Age. `lastSeenAt` is renewed only when it
 * is at least a step old (1/30 of the idle timeout, at most a minute), so a session read costs no
 * store write most of the time, and a session may end up to one step early, never late.
 */
export function createSessions(options: SessionsOptions): Sessions {
  const { store } = options;
  const idleMs = positiveMs('idleTimeoutMs', options.idleTimeoutMs);
  const absoluteMs = positiveMs('absoluteTimeoutMs', options.absoluteTimeoutMs);
  const now = options.now ?? Date.now;
  const stepMs = Math.max(1, Math.min(60_000, Math.floor(idleMs / 30)));
  const cookie = new SessionCookie({
    secrets: options.secrets,
    secure: options.secureCookies,
    ...(options.cookieName ? { name: options.cookieName } : {}),
  });
  // After the cookie, which names a bad secret list in its error.
  const sealer = options.sealer ?? new TokenSealer(options.secrets);
  const ttlFrom = (record: SessionRecord, t: number): number => Math.max(1, Math.min(idleMs, record.createdAt + absoluteMs - t));
  // The ticket route asks for the verified cookie three times (is there one, the limiter's key,
  // the read): parse and verify its HMAC once per request. The request's Cookie header never
  // changes while it is handled, so neither does the answer.
  const verified = new WeakMap<Request, ReturnType<SessionCookie['read']> | null>();
  const signedOf = (req: Request): ReturnType<SessionCookie['read']> => {
    let signed = verified.get(req);
    if (signed === undefined) verified.set(req, (signed = cookie.read(req) ?? null));
    return signed ?? undefined;
  };

  return {
    store,
    cookieName: cookie.name,
    idOf: (req) => signedOf(req)?.id,

    async read(req, res) {
      const signed = signedOf(req);
      if (signed === undefined) return undefined;
      const { id } = signed;
      const stored = await store.get(id);
      if (!stored) {
        cookie.clear(res);
        return undefined;
      }
      const { record } = stored;
      const t = now();
      if (t - record.createdAt > absoluteMs || t - record.lastSeenAt > idleMs) {
        await store.destroy(id);
        cookie.clear(res);
        return undefined;
      }
      if (t - record.lastSeenAt >= stepMs) {
        // Conditional: false means the session ended since it was read, and so it is over here too.
        if (!(await store.touch(id, t, ttlFrom(record, t)))) {
          cookie.clear(res);
          return undefined;
        }
        record.lastSeenAt = t;
      }
      if (!signed.current) cookie.set(res, id, record.createdAt + absoluteMs - t);
      return { id, gen: stored.gen, record };
    },

    async signIn(req, res, user, signIn) {
      const sub = user.claims.sub;
      if (sub === undefined) throw new TypeError('signIn: the user has no sub');
      const previous = signedOf(req);
      if (previous !== undefined) await store.destroy(previous.id);
      const t = now();
      const tokens = signIn.tokens;
      // The sign-in itself is the first check at the IdP; without a refresh token there is no other.
      const record: SessionRecord = { user, createdAt: t, lastSeenAt: t, ...(tokens?.refreshToken ? { revalidation: { checkedAt: t } } : {}) };
      const id = newSessionId(sub);
      const sealed = tokens && (tokens.refreshToken !== undefined || tokens.idToken !== undefined) ? sealer.seal(id, plainTokens(tokens)) : undefined;
      const refusal = await store.create(id, record, {
        ttlMs: ttlFrom(record, t),
        issuedAt: signIn.issuedAt,
        ...(sealed !== undefined ? { tokens: sealed } : {}),
      });
      if (refusal) return refusal;
      cookie.set(res, id, absoluteMs);
      return undefined;
    },

    async signOut(req, res) {
      const id = signedOf(req)?.id;
      // The session ends first: a store that fails here fails the request with the cookie still
      // in place, so the browser can retry instead of losing it while the session lives on.
      if (id !== undefined) await store.destroy(id);
      cookie.clear(res);
      return id;
    },

    async tokens(id) {
      const sealed = await store.tokens(id);
      return sealed === undefined ? undefined : sealer.open(id, sealed);
    },

    replace(session, record, tokens) {
      return store.replace(session.id, session.gen, record, tokens === undefined ? undefined : sealer.seal(session.id, plainTokens(tokens)));
    },
  };
}
