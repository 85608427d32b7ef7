/**
 * Server-side sessions: the cookie holds only a signed id; the profile stays on the server, and
 * no write can bring back a session that ended (see `store.ts`).
 */
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';
export { createSessions, type LoadedSession, type Sessions, type SessionsOptions, type SignInOptions } from './sessions.js';
export { sessionCookieName } from './cookie.js';
export { newSessionId, slotTaggedId, splitSessionId, userTag, SESSION_ID } from './ids.js';
export { sessionMatches, type ReplayGuard } from './revoke.js';
export { sessionOwner, type CreateOptions, type CreateRefusal, type Revocation, type SessionStore } from './store.js';
export type { LogoutTarget, SessionRecord, SessionRevalidation, SessionUser, StoredSession } from './types.js';
export { TokenSealer, type SessionTokens } from './seal.js';
export { isLoginTransaction, type LoginTransaction, type LoginTransactionStore } from './login-transaction.js';
