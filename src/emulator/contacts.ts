/**
 * The emulator's contact list and the document's sync rules, as pure in-memory logic.
 *
 * "The sync process will check for existing contacts using all the following keys:
 * customerUserID (required), phone (optional). If no contact is found, a new contact will be
 * created. If exactly one contact is found … the contact will be updated. If more than one …
 * the sync will be rejected … Customer user ID can't be changed for existing contacts … if the
 * existing contact is not tied to any customer user ID yet, it will be updated to the specified
 * customerUserID." `request_auth_ticket` saves its user by the same rules.
 */
import { randomUUID } from 'node:crypto';
import type { TicketUser } from '../onetalk/types.js';

/** One contact as OneTalk would hold it. Absent optional fields are `null`. */
export interface Contact {
  userID: string;
  /** `null` for a contact that came from another channel (e.g. a WhatsApp lead). */
  customerUserID: string | null;
  fullName: string;
  alias: string | null;
  email: string | null;
  phone: string | null;
  photoURL: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

/** A validated sync / ticket body. */
export type ContactInput = TicketUser;

/** A contact to seed directly (admin route): `customerUserID` may be left out or null. */
export type SeedInput = Omit<TicketUser, 'customerUserID'> & { customerUserID?: string | null };

/** What a sync decided. A rejected sync changed nothing. */
export type SyncOutcome =
  | { ok: true; action: 'created' | 'updated'; contact: Contact }
  | { ok: false; reason: 'duplicate_keys' | 'customer_user_id_change'; matchedUserIDs: string[] };

/** What a seed decided. */
export type SeedOutcome = { ok: true; contact: Contact } | { ok: false; reason: 'customer_user_id_taken' };

/** Injectable clock and id source, so tests can pin them. */
export interface ContactStoreOptions {
  now?: () => number;
  newId?: () => string;
}

const OPTIONAL_FIELDS = ['alias', 'email', 'phone', 'photoURL'] as const;

/** In-memory contacts keyed by OneTalk userID. Every read returns copies. */
export class ContactStore {
  readonly #contacts = new Map<string, Contact>();
  readonly #now: () => number;
  readonly #newId: () => string;

  constructor(options: ContactStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
  }

  /** Number of contacts. */
  get size(): number {
    return this.#contacts.size;
  }

  /** All contacts, oldest first. */
  list(): Contact[] {
    return [...this.#contacts.values()].map(copy);
  }

  /** The contact with this OneTalk userID. */
  get(userID: string): Contact | undefined {
    const found = this.#contacts.get(userID);
    return found && copy(found);
  }

  /** The contact tied to this customerUserID (there is at most one: sync never ties a second). */
  findByCustomerUserID(customerUserID: string): Contact | undefined {
    for (const contact of this.#contacts.values()) {
      if (contact.customerUserID === customerUserID) return copy(contact);
    }
    return undefined;
  }

  /**
   * Creates or updates the contact `input` identifies, or rejects it, per the document.
   * The decision is made over the whole set of matches before anything is written.
   */
  sync(input: ContactInput): SyncOutcome {
    const matches = [...this.#contacts.values()].filter(
      (c) => c.customerUserID === input.customerUserID || (input.phone !== undefined && c.phone === input.phone),
    );
    if (matches.length > 1) {
      return { ok: false, reason: 'duplicate_keys', matchedUserIDs: matches.map((c) => c.userID) };
    }
    const stamp = new Date(this.#now()).toISOString();
    const [existing] = matches;
    if (existing === undefined) {
      const contact = { ...fromInput(this.#newId(), input), createdAt: stamp, updatedAt: stamp };
      this.#contacts.set(contact.userID, contact);
      return { ok: true, action: 'created', contact: copy(contact) };
    }
    // Matched by phone alone, but tied to someone else: re-tying would hand one person's chat
    // history to another, which is exactly what the document forbids.
    if (existing.customerUserID !== null && existing.customerUserID !== input.customerUserID) {
      return { ok: false, reason: 'customer_user_id_change', matchedUserIDs: [existing.userID] };
    }
    existing.customerUserID = input.customerUserID; // adopts an untied contact; no-op otherwise
    existing.fullName = input.fullName;
    for (const field of OPTIONAL_FIELDS) {
      const given = input[field];
      if (given !== undefined) existing[field] = given; // absent fields keep their values
    }
    existing.updatedAt = stamp;
    return { ok: true, action: 'updated', contact: copy(existing) };
  }

  /**
   * Adds a contact as-is, e.g. a lead from another channel with a phone and no customerUserID.
   * Refuses a customerUserID already in use, which the API could never have produced.
   */
  seed(input: SeedInput): SeedOutcome {
    const customerUserID = input.customerUserID ?? null;
    if (customerUserID !== null && this.findByCustomerUserID(customerUserID)) {
      return { ok: false, reason: 'customer_user_id_taken' };
    }
    const stamp = new Date(this.#now()).toISOString();
    const contact = { ...fromInput(this.#newId(), input), customerUserID, createdAt: stamp, updatedAt: stamp };
    this.#contacts.set(contact.userID, contact);
    return { ok: true, contact: copy(contact) };
  }

  /** Forgets every contact. */
  clear(): void {
    this.#contacts.clear();
  }
}

function fromInput(userID: string, input: SeedInput): Omit<Contact, 'createdAt' | 'updatedAt'> {
  return {
    userID,
    customerUserID: input.customerUserID ?? null,
    fullName: input.fullName,
    alias: input.alias ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    photoURL: input.photoURL ?? null,
  };
}

function copy(contact: Contact): Contact {
  return { ...contact };
}
