/**
 * Contact sync at sign-in (`SYNC_CONTACT_ON_LOGIN=true`): after a successful callback the
 * signed-in user's mapped profile goes to OneTalk's `sync_contact`, so the contact list is
 * current before the user ever opens the chat.
 *
 * Fire and forget, on purpose: sign-in must not wait for, nor fail because of, a CRM update. The
 * promise is always settled by our own handlers (no unhandled rejection), and a failure is one
 * log line with OneTalk's code. The client keeps the key out of errors, so logging its safe
 * fields cannot leak it.
 */
import { isOneTalkError } from '../onetalk/index.js';
import type { OneTalkClient } from '../onetalk/index.js';
import { mapClaims } from '../profile/index.js';
import type { MapOptions } from '../profile/index.js';

/** The slice of a pino logger used here (the request's `req.log`). */
export interface LoginSyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Starts the background sync for one login's claims and returns at once. */
export type LoginSync = (claims: unknown, logger: LoginSyncLogger | undefined) => void;

export interface LoginSyncDeps {
  onetalk: Pick<OneTalkClient, 'syncContact'>;
  /** The gateway's claim mapping options; the sync endpoint's own field limits are applied. */
  profile: Omit<MapOptions, 'endpoint'>;
}

/** Builds the sign-in hook. One call per login: the callback that calls it is single-use. */
export function createLoginSync(deps: LoginSyncDeps): LoginSync {
  return (claims, logger) => {
    // sync_contact allows 100 characters where request_auth_ticket allows 250 (fullName,
    // email): map again under its limits rather than reuse the ticket body.
    const mapped = mapClaims(claims, { ...deps.profile, endpoint: 'syncContact' });
    if (!mapped.ok) {
      logger?.warn({ contactSync: 'skipped', reason: mapped.code }, 'contact sync at sign-in skipped');
      return;
    }
    const started = performance.now();
    void deps.onetalk.syncContact(mapped.user).then(
      (result) => logger?.info({ contactSync: 'ok', userID: result.userID, durationMs: elapsed(started) }, 'contact synced at sign-in'),
      (error: unknown) =>
        logger?.warn({ contactSync: 'failed', ...failure(error), durationMs: elapsed(started) }, 'contact sync at sign-in failed'),
    );
  };
}

/** The safe, stable fields of a failure: our code, OneTalk's code and HTTP status. */
function failure(error: unknown): Record<string, unknown> {
  if (!isOneTalkError(error)) return { code: 'UNEXPECTED' };
  const { code, upstreamCode, upstreamStatus } = error;
  return { code, upstreamCode, upstreamStatus };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
