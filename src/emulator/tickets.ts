/**
 * Auth tickets as the emulator mints them: HS256 JWTs under the emulator's own secret.
 *
 * The document only says a ticket is "valid for 1 hour" and can be traded for a Live Chat
 * access token; its example starts `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9`, i.e. an HS256 JWT.
 * Redeeming stands in for the widget's trade, and makes single use checkable in tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { DOCUMENT_TICKET_LIFETIME_MS } from './document.js';

/** Seconds a ticket lives: exactly one hour. */
export const TICKET_LIFETIME_S = DOCUMENT_TICKET_LIFETIME_MS / 1000;

/** The claims every emulator ticket carries. */
export interface TicketClaims {
  /** OneTalk userID. */
  sub: string;
  customerUserID: string;
  /** Seconds since the epoch. */
  iat: number;
  /** Always `iat + 3600`. */
  exp: number;
  /** Random, so two tickets are never equal and each can be redeemed once. */
  jti: string;
}

/** Result of checking a ticket's signature and lifetime. */
export type TicketVerification =
  | { valid: true; claims: TicketClaims }
  | { valid: false; reason: 'invalid' | 'expired' };

/** Result of redeeming (verify + single use). */
export type TicketRedemption = TicketVerification | { valid: false; reason: 'already_redeemed' };

/** Turns the option into key bytes; a fresh random 32-byte key when none is given. */
export function ticketKey(secret?: Uint8Array | string): Uint8Array {
  if (secret === undefined) return new Uint8Array(randomBytes(32));
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.length === 0) throw new Error('ticketSecret must not be empty');
  return key;
}

/** Mints, verifies and redeems tickets. Redemptions are remembered until the ticket expires. */
export class TicketIssuer {
  readonly #key: Uint8Array;
  readonly #now: () => number;
  /** jti → exp (seconds), pruned as tickets expire. */
  readonly #redeemed = new Map<string, number>();

  constructor(key: Uint8Array, now: () => number = Date.now) {
    this.#key = key;
    this.#now = now;
  }

  /** Signs a ticket for this contact. */
  async issue(userID: string, customerUserID: string): Promise<{ ticket: string; claims: TicketClaims }> {
    const iat = Math.floor(this.#now() / 1000);
    const claims: TicketClaims = { sub: userID, customerUserID, iat, exp: iat + TICKET_LIFETIME_S, jti: randomUUID() };
    const ticket = await new SignJWT({ customerUserID })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .setJti(claims.jti)
      .sign(this.#key);
    return { ticket, claims };
  }

  /** Checks signature, algorithm, lifetime and claim shapes. Does not consume the ticket. */
  async verify(ticket: string): Promise<TicketVerification> {
    try {
      const { payload } = await jwtVerify(ticket, this.#key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.#now()),
        requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      });
      const { sub, customerUserID, iat, exp, jti } = payload;
      if (typeof sub !== 'string' || typeof customerUserID !== 'string' || typeof jti !== 'string') {
        return { valid: false, reason: 'invalid' };
      }
      if (typeof iat !== 'number' || typeof exp !== 'number') return { valid: false, reason: 'invalid' };
      return { valid: true, claims: { sub, customerUserID, iat, exp, jti } };
    } catch (error) {
      return { valid: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  /** Verifies and consumes the ticket: the second redemption of the same ticket fails. */
  async redeem(ticket: string): Promise<TicketRedemption> {
    const verified = await this.verify(ticket);
    if (!verified.valid) return verified;
    // No await between the check and the add, so two concurrent redemptions cannot both pass.
    this.#prune();
    if (this.#redeemed.has(verified.claims.jti)) return { valid: false, reason: 'already_redeemed' };
    this.#redeemed.set(verified.claims.jti, verified.claims.exp);
    return verified;
  }

  /** Forgets redemptions (emulator reset). */
  clearRedemptions(): void {
    this.#redeemed.clear();
  }

  #prune(): void {
    const nowS = this.#now() / 1000;
    for (const [jti, exp] of this.#redeemed) if (exp <= nowS) this.#redeemed.delete(jti);
  }
}
