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
  /** customerUserID → userID, and phone → userIDs: sync looks up by both keys, never by scanning. */
  readonly #byCustomerUserID = new Map<string, string>();
  readonly #byPhone = new Map<string, Set<string>>();
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
    const userID = this.#byCustomerUserID.get(customerUserID);
    const found = userID === undefined ? undefined : this.#contacts.get(userID);
    return found && copy(found);
  }

  /**
   * Creates or updates the contact `input` identifies, or rejects it, per the document.
   * The decision is made over the whole set of matches before anything is written.
   */
  sync(input: ContactInput): SyncOutcome {
    const ids = new Set(input.phone === undefined ? [] : this.#byPhone.get(input.phone));
    const tied = this.#byCustomerUserID.get(input.customerUserID);
    if (tied !== undefined) ids.add(tied);
    const matches = [...ids].map((id) => this.#contacts.get(id)!);
    if (matches.length > 1) {
      // Oldest first, as listed; a scan is fine on this rare path.
      const matchedUserIDs = [...this.#contacts.keys()].filter((id) => ids.has(id));
      return { ok: false, reason: 'duplicate_keys', matchedUserIDs };
    }
    const stamp = new Date(this.#now()).toISOString();
    const [existing] = matches;
    if (existing === undefined) {
      const contact = { ...fromInput(this.#newId(), input), createdAt: stamp, updatedAt: stamp };
      this.#insert(contact);
      return { ok: true, action: 'created', contact: copy(contact) };
    }
    // Matched by phone alone, but tied to someone else: re-tying would hand one person's chat
    // history to another, which is exactly what the document forbids.
    if (existing.customerUserID !== null && existing.customerUserID !== input.customerUserID) {
      return { ok: false, reason: 'customer_user_id_change', matchedUserIDs: [existing.userID] };
    }
    this.#unindex(existing);
    existing.customerUserID = input.customerUserID; // adopts an untied contact; no-op otherwise
    existing.fullName = input.fullName;
    for (const field of OPTIONAL_FIELDS) {
      const given = input[field];
      if (given !== undefined) existing[field] = given; // absent fields keep their values
    }
    existing.updatedAt = stamp;
    this.#index(existing);
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
    this.#insert(contact);
    return { ok: true, contact: copy(contact) };
  }

  /** Forgets every contact. */
  clear(): void {
    this.#contacts.clear();
    this.#byCustomerUserID.clear();
    this.#byPhone.clear();
  }

  #insert(contact: Contact): void {
    this.#contacts.set(contact.userID, contact);
    this.#index(contact);
  }

  #index(contact: Contact): void {
    if (contact.customerUserID !== null) this.#byCustomerUserID.set(contact.customerUserID, contact.userID);
    if (contact.phone !== null) {
      const ids = this.#byPhone.get(contact.phone) ?? new Set<string>();
      ids.add(contact.userID);
      this.#byPhone.set(contact.phone, ids);
    }
  }

  #unindex(contact: Contact): void {
    if (contact.customerUserID !== null) this.#byCustomerUserID.delete(contact.customerUserID);
    const ids = contact.phone === null ? undefined : this.#byPhone.get(contact.phone);
    ids?.delete(contact.userID);
    if (ids?.size === 0 && contact.phone !== null) this.#byPhone.delete(contact.phone);
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
