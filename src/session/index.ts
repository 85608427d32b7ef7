/**
 * Server-side sessions: the cookie holds only a signed id; the profile stays on the server.
 * Importing this module also loads the `SessionData` augmentation in `types.ts`.
 */
export { BoundedMemoryStore } from './memory-store.js';
export type { BoundedMemoryStoreOptions } from './memory-store.js';
export {
  clearSessionCookie,
  createSessionMiddleware,
  destroySession,
  saveSession,
  sessionCookieName,
  startAuthenticatedSession,
} from './middleware.js';
export type { AuthenticatedSessionData, SessionMiddlewareOptions } from './middleware.js';
export type { SessionUser } from './types.js';
