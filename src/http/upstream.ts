import { isOneTalkError, type OneTalkError } from '../onetalk/index.js';
import { HttpProblem } from './problem.js';

/**
 * OneTalk failures as the browser sees them. A browser that did nothing wrong never gets a 4xx for
 * an upstream failure (shared/DESIGN.md), and the upstream's own message is never forwarded: it
 * goes to the log line of the request instead.
 */
function problemFor(err: OneTalkError): HttpProblem {
  const unavailable = (code: string, detail: string, headers: Record<string, string> = {}) =>
    new HttpProblem({ status: 503, code, title: 'Live chat is unavailable', detail, headers, cause: err });
  const badGateway = (code: string, detail: string) =>
    new HttpProblem({ status: 502, code, title: 'Live chat sign-in failed upstream', detail, cause: err });
  switch (err.code) {
    case 'ONETALK_TIER_NOT_SELECTED':
      return unavailable('upstream_not_configured', 'The live-chat organization is not set up yet (no tier selected).');
    case 'ONETALK_RATE_LIMITED':
      return unavailable('upstream_rate_limited', 'Live chat is busy; try again shortly.', { 'Retry-After': retryAfter(err) });
    case 'ONETALK_CIRCUIT_OPEN':
      // Refused without calling OneTalk: it failed repeatedly just now. Retry-After tells the
      // widget when the breaker will let a probe through.
      return unavailable('upstream_circuit_open', 'Live chat is unavailable right now; try again shortly.', { 'Retry-After': retryAfter(err) });
    case 'ONETALK_OVERLOADED':
      // Refused without calling OneTalk: no slot could come in time. Retry-After is when one
      // is expected to.
      return unavailable('upstream_overloaded', 'Live chat is busy; try again shortly.', { 'Retry-After': retryAfter(err) });
    case 'ONETALK_UNAVAILABLE':
    case 'ONETALK_ABORTED':
      return unavailable('upstream_unavailable', 'Live chat could not be reached; try again shortly.');
    case 'ONETALK_TIMEOUT':
      return new HttpProblem({ status: 504, code: 'upstream_timeout', title: 'Live chat did not answer in time', detail: 'Try again shortly.', cause: err });
    case 'ONETALK_KEY_REFUSED':
    case 'ONETALK_HEADER_VALIDATION':
      return badGateway('upstream_credentials_refused', 'The gateway could not authenticate to live chat.');
    case 'ONETALK_BAD_RESPONSE':
      return badGateway('upstream_bad_response', 'Live chat answered in an unexpected way.');
    default:
      // Parameter validation, our own pre-send check, conflicts: the profile we built was refused.
      return badGateway('upstream_rejected', 'Live chat refused the user profile.');
  }
}

/** `Retry-After` in whole seconds, at least one: the error's own estimate, else a second. */
function retryAfter(err: OneTalkError): string {
  return String(Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000)));
}

/** Maps a OneTalk client error to the problem the browser gets; other errors pass through. */
export function upstreamProblem(err: unknown): HttpProblem | undefined {
  return isOneTalkError(err) ? problemFor(err) : undefined;
}
