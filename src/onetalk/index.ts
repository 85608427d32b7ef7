/** The OneTalk adapter's public surface: the client, its policy, its typed errors, and the wire types. */
export { createOneTalkClient } from './client.js';
export type { OneTalkCallEvent, OneTalkCallOptions, OneTalkClient, OneTalkClientOptions, OneTalkLogger, OneTalkObserver, OneTalkStats } from './client.js';
export type { BreakerState } from './breaker.js';
export { backoffMs, type BackoffLimits } from './backoff.js';
export { withTimeout } from './deadline.js';
export { DEFAULT_POLICY, isHealthFailure, isRetryable, outcomeKind, retryDelayMs } from './policy.js';
export type { UpstreamPolicy } from './policy.js';
export { OneTalkError, OneTalkErrorCode, isOneTalkError } from './errors.js';
export type { OneTalkErrorDetails, OneTalkErrorJSON } from './errors.js';
export { prepareBody, REGION_CALLING_CODES, startsWithCallingCode } from './fields.js';
export { codePointLength, LONE_SURROGATE } from './text.js';
export { parseEnvelope, parseRetryAfter } from './envelope.js';
export type { ParseOptions, ResponseHeaders, SyncData, TicketData } from './envelope.js';
export { DEFAULT_PATHS, FIELD_LIMITS, TICKET_LIFETIME_MS } from './types.js';
export type { AuthTicket, Endpoint, Envelope, FieldName, SyncContact, SyncResult, TicketUser } from './types.js';
