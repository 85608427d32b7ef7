/**
 * What the gateway keeps in a server-side session. The browser only ever holds the signed
 * session id; everything here stays on the server, so keep it small (target ≤ 2 KB per session).
 */

/** The signed-in user, as the gateway remembers them between requests. */
export interface SessionUser {
  /**
   * The small set of OIDC claims the gateway needs later (e.g. `sub`, `name`, `email`,
   * `phone_number`, `picture`), flattened to strings. Not the whole ID token: it is large and
   * the ticket route needs only these.
   */
  claims: Record<string, string>;
  /** The IdP's session id (`sid` claim), kept so back-channel logout can find this session. */
  sid?: string;
}

declare module 'express-session' {
  interface SessionData {
    /** Epoch ms when the user signed in; the absolute-lifetime guard measures from here. */
    createdAt?: number;
    /**
     * Epoch ms of the last request seen, at a coarse resolution (see `createSessionMiddleware`).
     * Lets the guard enforce the idle timeout even with a store that does not expire entries.
     */
    lastSeenAt?: number;
    /** Present only once the user has signed in. */
    user?: SessionUser;
  }
}
