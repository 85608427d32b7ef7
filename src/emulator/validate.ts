/**
 * Parameter validation for both API endpoints, written from the document alone.
 *
 * This is deliberately independent of the gateway's own field rules (`src/onetalk/fields.ts`):
 * the emulator plays the other side of the contract, so a shared bug would hide itself.
 */
import type { Endpoint, FieldName, TicketUser } from '../onetalk/types.js';
import { DOCUMENT_FIELD_LIMITS } from './document.js';
import { phoneProblem } from './phone.js';

/** The document's field order; the first failing field in this order is the one reported. */
const FIELD_ORDER: readonly FieldName[] = ['customerUserID', 'fullName', 'alias', 'email', 'phone', 'photoURL'];

const REQUIRED: ReadonlySet<FieldName> = new Set<FieldName>(['customerUserID', 'fullName']);

/** Human names, so messages read like the document's "Customer user ID is required". */
const LABELS: Readonly<Record<FieldName, string>> = {
  customerUserID: 'Customer user ID',
  fullName: 'Full name',
  alias: 'Alias',
  email: 'Email',
  phone: 'Phone',
  photoURL: 'Photo URL',
};

/** Message for a body that is not a JSON object (field is then ''). */
export const BODY_NOT_OBJECT = 'Request body must be a JSON object';

/** Outcome of validating one request body. */
export type ValidationResult =
  | { ok: true; value: TicketUser }
  | { ok: false; field: FieldName | ''; message: string };

/** True for a plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Length in Unicode code points: the document's limits are characters, not bytes or UTF-16 units. */
export function codePointLength(text: string): number {
  // The string iterator walks code points; bodies are capped at 64 KiB, so the copy is cheap.
  return Array.from(text).length;
}

/**
 * Checks `body` against `endpoint`'s documented rules and returns the cleaned user.
 *
 * - Required fields missing or `''` → "<Field> is required".
 * - Optional fields sent as `''` count as absent: the document's own example sends `alias: ""`.
 * - Any other non-string value (number, null, object) → "<Field> must be a string".
 * - Lengths over the endpoint's limit → "<Field> must be 1 to N characters".
 * - Unknown properties are ignored, as a JSON API usually does.
 */
export function validateContactBody(endpoint: Endpoint, body: unknown): ValidationResult {
  if (!isJsonObject(body)) return { ok: false, field: '', message: BODY_NOT_OBJECT };
  const limits = DOCUMENT_FIELD_LIMITS[endpoint];
  const value: Partial<Record<FieldName, string>> = {};

  for (const field of FIELD_ORDER) {
    const raw = Object.hasOwn(body, field) ? body[field] : undefined;
    const label = LABELS[field];
    if (raw === undefined || raw === '') {
      if (REQUIRED.has(field)) return { ok: false, field, message: `${label} is required` };
      continue;
    }
    if (typeof raw !== 'string') return { ok: false, field, message: `${label} must be a string` };

    const max: number | undefined = limits[field];
    if (max !== undefined && codePointLength(raw) > max) {
      return { ok: false, field, message: `${label} must be 1 to ${max} characters` };
    }
    if (field === 'phone') {
      const problem = phoneProblem(raw);
      if (problem !== undefined) return { ok: false, field, message: problem };
    }
    value[field] = raw;
  }

  const { customerUserID, fullName } = value;
  // Both were checked as required above; this narrows the type without a cast.
  if (customerUserID === undefined || fullName === undefined) throw new Error('unreachable: required field missing');
  return { ok: true, value: { ...value, customerUserID, fullName } };
}
