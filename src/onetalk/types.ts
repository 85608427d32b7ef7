/**
 * The wire contract of OneTalk's User/Contact API, as its public document gives it
 * (`docs/onetalk-user-contact-api.txt`). Field limits count characters (code points), not bytes.
 */

/** Body of `POST /v1/user/request_auth_ticket`. Optional fields are left out when empty. */
export interface TicketUser {
  customerUserID: string;
  fullName: string;
  alias?: string;
  email?: string;
  phone?: string;
  photoURL?: string;
}

/** Body of `POST /api/integration/v1/user/sync_contact`. Same fields, every length 1..100. */
export type SyncContact = TicketUser;

/** What `requestAuthTicket` resolves to. `expiresAt` is ISO 8601: one hour after the call began. */
export interface AuthTicket {
  userID: string;
  ticket: string;
  expiresAt: string;
}

/** What `syncContact` resolves to. */
export interface SyncResult {
  userID: string;
  message: string;
}

/** The envelope every OneTalk answer comes in. */
export interface Envelope<T> {
  status: number;
  error: { code: string; message: string; field: string };
  data: T | Record<string, never>;
}

export type FieldName = keyof TicketUser;

/** Documented size ranges per endpoint (max characters; min is 1 for every present field). */
export const FIELD_LIMITS = {
  requestAuthTicket: { customerUserID: 100, fullName: 250, alias: 100, email: 250, phone: 20, photoURL: undefined },
  syncContact: { customerUserID: 100, fullName: 100, alias: 100, email: 100, phone: 100, photoURL: undefined },
} as const satisfies Record<string, Record<FieldName, number | undefined>>;

export type Endpoint = keyof typeof FIELD_LIMITS;

/** Paths under ONETALK_BASE_URL. The ticket path is the document's; copies also show it under /api/integration. */
export const DEFAULT_PATHS = {
  requestAuthTicket: '/v1/user/request_auth_ticket',
  syncContact: '/api/integration/v1/user/sync_contact',
} as const satisfies Record<Endpoint, string>;

/** Tickets are valid one hour (the document). */
export const TICKET_LIFETIME_MS = 60 * 60 * 1000;
