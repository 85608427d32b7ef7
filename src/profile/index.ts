/**
 * OIDC claims → OneTalk fields: pure functions, no I/O.
 */
export { claimMappingSchema, defaultClaimMapping, DERIVED_SOURCES } from './mapping.js';
export type { ClaimMapping, DerivedSource, TextCandidate } from './mapping.js';
export { FALLBACK_FULL_NAME, mapClaims } from './map.js';
export type { MapErrorCode, MapOptions, MapResult } from './map.js';
export { ownerId, ownerIdKeyFromApiKey, ownerIdOfClaims, ownerIdOfSession, OWNER_ID_KEY_LABEL } from './owner-id.js';
export { displayUser, MAX_SESSION_CLAIM_LENGTH, pickSessionClaims } from './session.js';
export type { DisplayUser } from './session.js';
export type { CountryCode } from './phone.js';
export { deepFreeze } from './deep-freeze.js';
