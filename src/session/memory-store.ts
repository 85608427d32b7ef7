import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { sessionMatches } from './revoke.js';
import { sessionOwner, type CreateOptions, type CreateRefusal, type Revocation, type SessionStore } from './store.js';
import type { SessionRecord, StoredSession } from './types.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most sessions held at once; past it the least recently used one is evicted. Default 100 000. */
  maxSessions?: number;
  /** How often expired entries are swept, in ms; `0` disables the timer. Default 60 000. */
  pruneIntervalMs?: number;
  /** Clock, epoch ms. Tests pass a fake one. Default `Date.now`. */
  now?: () => number;
}

/** One stored session. The record lives as its JSON string, so no caller can mutate the stored copy. */
interface Entry {
  json: string;
  gen: number;
  lastSeenAt: number;
  tokens: string | undefined;
  readonly sub: string;
  readonly sid: string | undefined;
}

/**
 * Session ids by `sub` or IdP `sid`. Most users hold one session: the entry is then the id
 * itself, and a Set only from the second on (a Set per user would cost more than the session).
 */
type Index = Map<string, string | Set<string>>;

function addTo(index: Index, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) index.set(key, id);
  else if (typeof ids === 'string') index.set(key, new Set([ids, id]));
  else ids.add(id);
}

function removeFrom(index: Index, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === id) index.delete(key);
  else if (ids instanceof Set) {
    ids.delete(id);
    if (ids.size === 1) index.set(key, ids.values().next().value as string);
  }
}

function idsIn(index: Index, key: string): string[] {
  const ids = index.get(key);
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RangeError(`MemorySessionStore: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

/**
 * The session store of a single instance: bounded (least recently used first out), expiring,
 * and every write conditional as {@link SessionStore} requires. JavaScript runs one callback at a
 * time, so each method is one atomic step: a check and the write it guards cannot interleave
 * with another request.
 *
 * Trade-off of the bound: a full store signs out its stalest user rather than refusing every new
 * sign-in. Only a completed OIDC sign-in creates a session, so strangers cannot fill it.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: LRUCache<string, Entry>;
  readonly #bySub: Index = new Map();
  readonly #bySid: Index = new Map();
  /** `sub` → the latest logout `iat` (epoch s) for that user; `sid` (or `sid\0sub`) → revoked. */
  readonly #revokedSubs: LRUCache<string, number>;
  readonly #revokedSids: LRUCache<string, true>;
  readonly #refreshClaims: LRUCache<string, string>;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemorySessionStoreOptions = {}) {
    const max = positive('maxSessions', options.maxSessions ?? 100_000);
    // lru-cache measures TTLs with `perf.now()`; ttlResolution 0 reads the clock on every check,
    // so a fake clock in tests moves expiry at once.
    const perf = { now: options.now ?? Date.now };
    this.#sessions = new LRUCache<string, Entry>({
      max,
      perf,
      ttlResolution: 0,
      // Keeps the indexes exact whatever removed the entry: delete, eviction or expiry. An
      // overwrite of the same id never happens (`create` refuses a taken id).
      dispose: (entry, id) => {
        removeFrom(this.#bySub, entry.sub, id);
        if (entry.sid !== undefined) removeFrom(this.#bySid, entry.sid, id);
      },
    });
    this.#revokedSubs = new LRUCache<string, number>({ max, perf, ttlResolution: 0 });
    this.#revokedSids = new LRUCache<string, true>({ max, perf, ttlResolution: 0 });
    this.#refreshClaims = new LRUCache<string, string>({ max, perf, ttlResolution: 0 });
    const interval = positive('pruneIntervalMs', options.pruneIntervalMs ?? 60_000, true);
    // unref: a pending sweep must never keep the process alive at shutdown.
    if (interval > 0) this.#timer = setInterval(() => this.prune(), interval).unref();
  }

  /** Entries held, counting expired ones not yet swept: an upper bound on live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const entry = this.#sessions.get(id);
    if (!entry) return undefined;
    const record = JSON.parse(entry.json) as SessionRecord;
    record.lastSeenAt = entry.lastSeenAt;
    return { record, gen: entry.gen };
  }

  async create(id: string, record: SessionRecord, options: CreateOptions): Promise<CreateRefusal | undefined> {
    const { sub, sid } = sessionOwner(record, 'MemorySessionStore');
    if (this.#sessions.has(id)) throw new Error('MemorySessionStore: session id already taken');
    if (sid !== undefined && (this.#revokedSids.has(sid) || this.#revokedSids.has(`${sid}\0${sub}`))) return 'revoked';
    const revokedAt = this.#revokedSubs.get(sub);
    if (revokedAt !== undefined && options.issuedAt < revokedAt) return 'revoked';
    this.#sessions.set(id, { json: JSON.stringify(record), gen: 1, lastSeenAt: record.lastSeenAt, tokens: options.tokens, sub, sid }, { ttl: options.ttlMs });
    addTo(this.#bySub, sub, id);
    if (sid !== undefined) addTo(this.#bySid, sid, id);
    return undefined;
  }

  async touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    const entry = this.#sessions.get(id);
    if (!entry) return false;
    entry.lastSeenAt = Math.max(entry.lastSeenAt, lastSeenAt);
    // Same object: lru-cache only renews the TTL (no dispose, the indexes stay as they are).
    this.#sessions.set(id, entry, { ttl: ttlMs });
    return true;
  }

  async replace(id: string, gen: number, record: SessionRecord, tokens?: string): Promise<number | undefined> {
    const entry = this.#sessions.get(id);
    if (!entry || entry.gen !== gen) return undefined;
    if (record.user.claims.sub !== entry.sub || record.user.sid !== entry.sid) {
      throw new Error('MemorySessionStore: a replacement cannot change whose session it is');
    }
    entry.json = JSON.stringify(record);
    entry.gen += 1;
    if (tokens !== undefined) entry.tokens = tokens;
    return entry.gen;
  }

  async tokens(id: string): Promise<string | undefined> {
    return this.#sessions.get(id)?.tokens;
  }

  async destroy(id: string): Promise<void> {
    this.#sessions.delete(id);
  }

  async revoke({ target, issuedAt, rememberMs }: Revocation): Promise<number> {
    let candidates: string[] = [];
    if (target.sid !== undefined) {
      this.#revokedSids.set(target.sub === undefined ? target.sid : `${target.sid}\0${target.sub}`, true, { ttl: rememberMs });
      candidates = idsIn(this.#bySid, target.sid);
    } else if (target.sub !== undefined) {
      const earlier = this.#revokedSubs.get(target.sub) ?? -Infinity;
      this.#revokedSubs.set(target.sub, Math.max(earlier, issuedAt), { ttl: rememberMs });
      candidates = idsIn(this.#bySub, target.sub);
    }
    let ended = 0;
    for (const id of candidates) {
      const entry = this.#sessions.get(id);
      if (!entry) continue;
      if (!sessionMatches({ claims: { sub: entry.sub }, ...(entry.sid !== undefined ? { sid: entry.sid } : {}) }, target)) continue;
      this.#sessions.delete(id);
      ended += 1;
    }
    return ended;
  }

  async claimRefresh(id: string, ttlMs: number): Promise<string | undefined> {
    if (this.#refreshClaims.has(id)) return undefined;
    const claim = randomUUID();
    this.#refreshClaims.set(id, claim, { ttl: ttlMs });
    return claim;
  }

  async releaseRefresh(id: string, claim: string): Promise<void> {
    if (this.#refreshClaims.get(id) === claim) this.#refreshClaims.delete(id);
  }

  async ping(): Promise<void> {}

  /** Removes expired entries now; the timer calls this. @returns how many were removed. */
  prune(): number {
    const before = this.#sessions.size;
    this.#sessions.purgeStale();
    this.#revokedSubs.purgeStale();
    this.#revokedSids.purgeStale();
    this.#refreshClaims.purgeStale();
    return before - this.#sessions.size;
  }

  /** Stops the sweep timer. The sessions stay readable; call at shutdown. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
