/**
 * OIDC claims → OneTalk fields: pure functions, no I/O.
 */
export { claimMappingSchema, defaultClaimMapping, DERIVED_SOURCES } from './claim-mapping.js';
export type { ClaimMapping, DerivedSource, TextCandidate } from './claim-mapping.js';
export { FALLBACK_FULL_NAME, mapClaims } from './onetalk-user.js';
export type { MapErrorCode, MapOptions, MapResult } from './onetalk-user.js';
export { ownerId, ownerIdKeyFromApiKey, ownerIdOfClaims, ownerIdOfSession, OWNER_ID_KEY_LABEL } from './owner-id.js';
export { displayUser, MAX_SESSION_CLAIM_LENGTH, pickSessionClaims } from './kept-claims.js';
export type { DisplayUser } from './kept-claims.js';
export type { CountryCode } from './phone.js';
export { deepFreeze } from './deep-freeze.js';
