/**
 * The document's numbers as the emulator reads them (`docs/onetalk-user-contact-api.txt`),
 * written out here rather than imported from the gateway's client (src/onetalk): the emulator
 * plays OneTalk's side of the contract, so a wrong limit or path on our side must show up as a
 * refusal, not pass on both sides. A dependency-cruiser rule keeps the emulator from importing
 * any value from src/onetalk; test/unit/emulator-document.test.ts reads the document itself.
 */
import type { Endpoint, FieldName } from '../onetalk/types.js';

/**
 * "Size Range 1..N" per field (characters). photoURL has no range in the document. The ticket
 * endpoint allows 250 for fullName and email and 20 for phone; sync_contact allows 100 for all.
 */
export const DOCUMENT_FIELD_LIMITS = {
  requestAuthTicket: { customerUserID: 100, fullName: 250, alias: 100, email: 250, phone: 20, photoURL: undefined },
  syncContact: { customerUserID: 100, fullName: 100, alias: 100, email: 100, phone: 100, photoURL: undefined },
} as const satisfies Record<Endpoint, Record<FieldName, number | undefined>>;

/** The paths of the document's two URLs (`https://onetalk-api.taptalk.io/...`). */
export const DOCUMENT_PATHS = {
  requestAuthTicket: '/v1/user/request_auth_ticket',
  syncContact: '/api/integration/v1/user/sync_contact',
} as const satisfies Record<Endpoint, string>;

/** "An auth ticket is valid for 1 hour before it expires." */
export const DOCUMENT_TICKET_LIFETIME_MS = 60 * 60 * 1000;
