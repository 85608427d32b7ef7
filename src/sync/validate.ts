/**
 * A row against the document's sync_contact rules, before anything is sent. The rules are the
 * OneTalk adapter's own `prepareBody('syncContact', …)`: one definition for the gateway, the
 * CLI and the tests, so the CLI can never accept a row the client would refuse.
 */
import { isOneTalkError, OneTalkErrorCode, prepareBody } from '../onetalk/index.js';
import type { SyncContact } from '../onetalk/index.js';
import { FIELD_NAMES } from './reader.js';
import type { SourceRow } from './reader.js';

/** The outcome of {@link checkRow}; `customerUserID` is carried either way, for the report. */
export type CheckedRow =
  | { ok: true; contact: SyncContact; customerUserID: string }
  | { ok: false; field?: string; message: string; customerUserID?: string };

/**
 * Validates one row: readable, no unknown fields, and every field within the documented range
 * (customerUserID and fullName required; each present field 1..100 characters; phone digits
 * starting with a country calling code; photoURL an absolute http(s) URL). Empty values are
 * absent fields, as the client treats them.
 */
export function checkRow(row: SourceRow): CheckedRow {
  const customerUserID = customerUserIdOf(row.value);
  const id = customerUserID === undefined ? {} : { customerUserID };
  if (row.problem !== undefined) return { ok: false, message: row.problem, ...id };
  const value = row.value as Record<string, unknown>;
  // CSV headers are checked once up front; a JSON line can still carry a misspelt key, whose
  // data would otherwise be dropped without a word.
  const unknown = Object.keys(value).find((key) => !FIELD_NAMES.includes(key));
  if (unknown !== undefined) return { ok: false, field: unknown, message: `unknown field ${JSON.stringify(unknown)}`, ...id };
  try {
    const contact = prepareBody('syncContact', value);
    return { ok: true, contact, customerUserID: contact.customerUserID };
  } catch (error) {
    if (isOneTalkError(error) && error.code === OneTalkErrorCode.INVALID_INPUT) {
      return { ok: false, message: error.message, ...(error.field === undefined ? {} : { field: error.field }), ...id };
    }
    throw error;
  }
}

function customerUserIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { customerUserID?: unknown }).customerUserID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
