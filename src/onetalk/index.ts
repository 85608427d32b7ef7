/** The OneTalk adapter's public surface: the client, its typed errors, and the wire types. */
export { createOneTalkClient } from './client.js';
export type { OneTalkCallOptions, OneTalkClient, OneTalkClientOptions, OneTalkLogger } from './client.js';
export { OneTalkError, OneTalkErrorCode, isOneTalkError } from './errors.js';
export type { OneTalkErrorDetails, OneTalkErrorJSON } from './errors.js';
export { charLength, prepareBody, startsWithCallingCode } from './fields.js';
export { parseEnvelope, parseRetryAfter } from './envelope.js';
export type { ParseOptions, ResponseHeaders, SyncData, TicketData } from './envelope.js';
export { DEFAULT_PATHS, FIELD_LIMITS, TICKET_LIFETIME_MS } from './types.js';
export type { AuthTicket, Endpoint, Envelope, FieldName, SyncContact, SyncResult, TicketUser } from './types.js';
