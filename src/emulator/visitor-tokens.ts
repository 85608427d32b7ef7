/**
 * The widget's side of OneTalk as the emulator plays it: visitor access and refresh tokens, and
 * each visitor's conversation. Pure in-memory state, no HTTP (see visitor.ts for the routes).
 *
 * Nothing here is in OneTalk's public document. The shapes follow OneTalk's public SDK code
 * (`accessToken`, `accessTokenExpiry`, `refreshToken`, `refreshTokenExpiry`, epoch ms); the rules
 * are the emulator's: tokens are random and opaque, a refresh rotates both tokens and retires the
 * old pair, a logout retires the pair, and every token dies at its expiry.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** Default access token lifetime: one hour. */
export const DEFAULT_ACCESS_TOKEN_TTL_MS = 3_600_000;
/** Default refresh token lifetime: thirty days. */
export const DEFAULT_REFRESH_TOKEN_TTL_MS = 30 * 24 * 3_600_000;
/** Messages kept per conversation; older ones are dropped. */
export const MAX_MESSAGES = 200;

/** What a token exchange or a refresh answers with. Expiries are epoch ms. */
export interface VisitorTokens {
  accessToken: string;
  accessTokenExpiry: number;
  refreshToken: string;
  refreshTokenExpiry: number;
}

/** One signed-in widget: whose it is and its current token pair. */
interface VisitorSession extends VisitorTokens {
  id: string;
  userID: string;
  customerUserID: string;
}

/** A visitor session as the admin route shows it: never the tokens. */
export interface VisitorSessionView {
  id: string;
  userID: string;
  customerUserID: string;
  accessTokenExpiry: number;
  refreshTokenExpiry: number;
}

/** One chat message. */
export interface ChatMessage {
  from: 'visitor' | 'agent';
  body: string;
  at: string;
}

/** Why a token was refused. */
export type TokenRefusal = 'invalid' | 'expired';

/** Lifetimes; tests shorten them to make a widget refresh (or fail to). */
export interface VisitorTokenTtls {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
}

const token = (): string => randomBytes(32).toString('base64url');

/** Visitor sessions and conversations, keyed by OneTalk userID. */
export class VisitorStore {
  readonly #now: () => number;
  readonly ttls: VisitorTokenTtls;
  readonly #byAccess = new Map<string, VisitorSession>();
  readonly #byRefresh = new Map<string, VisitorSession>();
  readonly #conversations = new Map<string, ChatMessage[]>();

  constructor(ttls: Partial<VisitorTokenTtls> = {}, now: () => number = Date.now) {
    this.#now = now;
    this.ttls = {
      accessTokenTtlMs: checkTtl(ttls.accessTokenTtlMs ?? DEFAULT_ACCESS_TOKEN_TTL_MS),
      refreshTokenTtlMs: checkTtl(ttls.refreshTokenTtlMs ?? DEFAULT_REFRESH_TOKEN_TTL_MS),
    };
  }

  /** Starts a visitor session for this contact (a ticket was just redeemed). */
  open(userID: string, customerUserID: string): VisitorTokens {
    this.#prune();
    return this.#issue({ id: randomUUID(), userID, customerUserID });
  }

  /** The session an access token belongs to, while it is live. */
  byAccessToken(accessToken: string): { ok: true; userID: string; customerUserID: string } | { ok: false; reason: TokenRefusal } {
    const session = this.#byAccess.get(accessToken);
    if (session === undefined) return { ok: false, reason: 'invalid' };
    if (session.accessTokenExpiry <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, userID: session.userID, customerUserID: session.customerUserID };
  }

  /** Trades a live refresh token for a new pair; the old access and refresh tokens die at once. */
  refresh(refreshToken: string): { ok: true; userID: string; tokens: VisitorTokens } | { ok: false; reason: TokenRefusal } {
    const session = this.#byRefresh.get(refreshToken);
    if (session === undefined) return { ok: false, reason: 'invalid' };
    this.#retire(session);
    if (session.refreshTokenExpiry <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, userID: session.userID, tokens: this.#issue(session) };
  }

  /** Ends the session this access token belongs to (expired or not). Returns its userID. */
  logout(accessToken: string): string | undefined {
    const session = this.#byAccess.get(accessToken);
    if (session !== undefined) this.#retire(session);
    return session?.userID;
  }

  /** Ends every session, or every session of one contact: the widget's next refresh fails. */
  revoke(userID?: string): number {
    let count = 0;
    for (const session of new Set(this.#byAccess.values())) {
      if (userID === undefined || session.userID === userID) {
        this.#retire(session);
        count += 1;
      }
    }
    return count;
  }

  /** Live sessions, oldest first, without their tokens. */
  list(): VisitorSessionView[] {
    this.#prune();
    return [...new Set(this.#byAccess.values())].map(({ id, userID, customerUserID, accessTokenExpiry, refreshTokenExpiry }) => ({
      id,
      userID,
      customerUserID,
      accessTokenExpiry,
      refreshTokenExpiry,
    }));
  }

  /** A contact's conversation, oldest first (a copy). */
  messages(userID: string): ChatMessage[] {
    return [...(this.#conversations.get(userID) ?? [])];
  }

  /** Appends the visitor's message and the agent's automatic answer. */
  send(userID: string, body: string, agentReply: string): ChatMessage[] {
    const at = new Date(this.#now()).toISOString();
    const list = this.#conversations.get(userID) ?? [];
    list.push({ from: 'visitor', body, at }, { from: 'agent', body: agentReply, at });
    this.#conversations.set(userID, list.slice(-MAX_MESSAGES));
    return this.messages(userID);
  }

  /** Forgets every session and conversation (emulator reset). */
  clear(): void {
    this.#byAccess.clear();
    this.#byRefresh.clear();
    this.#conversations.clear();
  }

  #issue(who: Pick<VisitorSession, 'id' | 'userID' | 'customerUserID'>): VisitorTokens {
    const now = this.#now();
    const session: VisitorSession = {
      id: who.id,
      userID: who.userID,
      customerUserID: who.customerUserID,
      accessToken: token(),
      accessTokenExpiry: now + this.ttls.accessTokenTtlMs,
      refreshToken: token(),
      refreshTokenExpiry: now + this.ttls.refreshTokenTtlMs,
    };
    this.#byAccess.set(session.accessToken, session);
    this.#byRefresh.set(session.refreshToken, session);
    const { accessToken, accessTokenExpiry, refreshToken, refreshTokenExpiry } = session;
    return { accessToken, accessTokenExpiry, refreshToken, refreshTokenExpiry };
  }

  #retire(session: VisitorSession): void {
    this.#byAccess.delete(session.accessToken);
    this.#byRefresh.delete(session.refreshToken);
  }

  /** Drops sessions whose refresh token is dead: nothing can revive them. */
  #prune(): void {
    const now = this.#now();
    for (const session of new Set(this.#byRefresh.values())) if (session.refreshTokenExpiry <= now) this.#retire(session);
  }
}

/** A lifetime: a whole number of ms from 1 ms to a year. */
export function checkTtl(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > 365 * 24 * 3_600_000) {
    throw new RangeError('token lifetimes must be whole ms from 1 to one year');
  }
  return ms;
}
