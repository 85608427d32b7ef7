/**
 * The OneTalk answer envelope and every error the emulator can answer with.
 *
 * Codes come in two kinds. DOCUMENTED_ERRORS are copied verbatim from OneTalk's public
 * document (`docs/onetalk-user-contact-api.txt`). EMULATOR_ERRORS are the emulator's own
 * choice for situations the document is silent on (wrong key, oversize body, sync conflicts…);
 * the README lists them so nobody mistakes them for OneTalk's.
 */

/** `error` member of the envelope. All three strings are empty on success. */
export interface EnvelopeError {
  code: string;
  message: string;
  field: string;
}

/** Every OneTalk answer: HTTP status and `status` are always equal. */
export interface OneTalkEnvelope {
  status: number;
  error: EnvelopeError;
  data: Record<string, unknown>;
}

/** An error the API can answer with: HTTP status, stable code, default message. */
export interface ErrorSpec {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Errors as the document gives them (code, status and message verbatim). */
export const DOCUMENTED_ERRORS = {
  /** HeaderValidationFailed: API-Key header missing or empty. */
  headerRequired: { status: 400, code: '40001', message: 'Request headers are required (API-Key)' },
  /** ParamValidationFailed: the message names what is wrong; `field` names the field. */
  paramInvalid: { status: 400, code: '40002', message: 'Customer user ID is required' },
  /** TierNotSelected: the organization has not picked a plan. */
  tierNotSelected: { status: 499, code: '49900', message: 'Please select a tier' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * The emulator's own codes. The document does not say what OneTalk answers in these cases;
 * these follow the document's pattern (HTTP status × 100 + a counter) so a client that
 * branches on `status` behaves sensibly, but a client must not rely on the exact codes.
 */
export const EMULATOR_ERRORS = {
  invalidApiKey: { status: 401, code: '40100', message: 'Invalid API key' },
  notFound: { status: 404, code: '40400', message: 'Not found' },
  methodNotAllowed: { status: 405, code: '40500', message: 'Method not allowed' },
  duplicateKeys: {
    status: 409,
    code: '40901',
    message: 'More than one contact matches customerUserID or phone: duplicate keys are not allowed',
  },
  customerUserIDChange: { status: 409, code: '40902', message: "Customer user ID can't be changed" },
  bodyTooLarge: { status: 413, code: '41300', message: 'Request body must be at most 64 KiB' },
  internal: { status: 500, code: '50000', message: 'Internal server error' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * The visitor API's refusals (the widget's side: token exchange, refresh, logout, chat). OneTalk
 * documents none of this; the codes are the emulator's own, in the same pattern as above.
 */
export const VISITOR_ERRORS = {
  secretKeyMissing: { status: 400, code: '40003', message: 'Request headers are required (Secret-Key)' },
  credentialsMissing: { status: 401, code: '40110', message: 'Authorization: Bearer <token> is required' },
  secretKeyInvalid: { status: 401, code: '40111', message: 'Invalid Secret-Key' },
  ticketInvalid: { status: 401, code: '40112', message: 'Invalid auth ticket' },
  ticketExpired: { status: 401, code: '40113', message: 'Auth ticket has expired' },
  ticketUsed: { status: 401, code: '40114', message: 'Auth ticket has already been used' },
  accessTokenInvalid: { status: 401, code: '40115', message: 'Invalid access token' },
  accessTokenExpired: { status: 401, code: '40116', message: 'Access token has expired' },
  refreshTokenInvalid: { status: 401, code: '40117', message: 'Invalid refresh token' },
  refreshTokenExpired: { status: 401, code: '40118', message: 'Refresh token has expired' },
  messageInvalid: { status: 400, code: '40004', message: 'Message body must be 1 to 2000 characters' },
} as const satisfies Record<string, ErrorSpec>;

/** Largest accepted API request body, in bytes. Not documented; generous for six short fields. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A success envelope: empty error strings, as in the document's success examples. */
export function successEnvelope(data: Record<string, unknown>): OneTalkEnvelope {
  return { status: 200, error: { code: '', message: '', field: '' }, data };
}

/** An error envelope with empty `data`, as in the document's error examples. */
export function errorEnvelope(spec: ErrorSpec, message: string = spec.message, field = ''): OneTalkEnvelope {
  return { status: spec.status, error: { code: spec.code, message, field }, data: {} };
}
