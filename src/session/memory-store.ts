import session from 'express-session';
import type { SessionData } from 'express-session';

/** Options of {@link BoundedMemoryStore}. */
export interface BoundedMemoryStoreOptions {
  /** Most sessions held at once; past it the least recently used one is evicted. Default 100 000. */
  maxSessions?: number;
  /** How often expired sessions are swept, in ms; `0` disables the timer. Default 60 000. */
  pruneIntervalMs?: number;
  /** Lifetime of a session whose cookie carries no expiry, in ms. Default 12 h. */
  defaultTtlMs?: number;
  /** Clock, epoch ms. Tests pass a fake one. Default `Date.now`. */
  now?: () => number;
}

type Callback<T> = (err: unknown, value?: T) => void;

/** One stored session. The data lives only as its JSON string: never also as an object. */
class Entry {
  constructor(
    public json: string,
    public expiresAt: number,
  ) {}
}

/**
 * Always call back on a later microtask, even when the answer is at hand, so callers never
 * see a callback that is sometimes synchronous (no Zalgo).
 */
function defer<T>(callback: Callback<T> | undefined, err: unknown, value?: T): void {
  if (callback) queueMicrotask(() => callback(err, value));
}

/**
 * How long a session has left, in ms, from its cookie as express-session sets it.
 * `Cookie.maxAge` is the time left on express-session's own (real) clock; a plain object, as
 * `all()` hands out, only has `expires`. The TTL is then anchored on this store's clock, so a
 * fake clock in tests moves the expiry as expected.
 */
function ttlOf(sess: SessionData, defaultTtlMs: number): number {
  const cookie: Partial<SessionData['cookie']> | undefined = sess.cookie;
  if (typeof cookie?.maxAge === 'number') return cookie.maxAge;
  const expires: unknown = cookie?.expires;
  if (expires instanceof Date || typeof expires === 'string') {
    const at = new Date(expires).getTime();
    if (Number.isFinite(at)) return at - Date.now();
  }
  return defaultTtlMs;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RangeError(`BoundedMemoryStore: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

/**
 * The session store of a single instance, replacing express-session's `MemoryStore`, which
 * never prunes and grows without bound.
 *
 * - Bounded: at `maxSessions`, storing a new session evicts the least recently used one
 *   (a `Map` keeps insertion order; reads, writes and touches re-insert). Trade-off: a full
 *   store signs out its stalest user rather than refusing every new login, so it degrades
 *   instead of locking everyone out. The cost is that anyone who can create sessions fast
 *   enough (e.g. by starting logins) can push real users out: rate-limit the routes that
 *   create sessions, and size `maxSessions` well above the expected peak.
 * - Expiring: each entry expires when its cookie does (rolled forward by `touch`); reads ignore
 *   and drop expired entries, and an `unref()`ed timer sweeps the rest.
 * - Isolated: sessions are kept as JSON strings, so a caller mutating what `get` returned never
 *   changes the stored copy, and memory holds one representation per session.
 */
export class BoundedMemoryStore extends session.Store {
  readonly #sessions = new Map<string, Entry>();
  readonly #maxSessions: number;
  readonly #defaultTtlMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BoundedMemoryStoreOptions = {}) {
    super();
    this.#maxSessions = positive('maxSessions', options.maxSessions ?? 100_000);
    this.#defaultTtlMs = positive('defaultTtlMs', options.defaultTtlMs ?? 12 * 60 * 60 * 1000);
    this.#now = options.now ?? Date.now;
    const interval = positive('pruneIntervalMs', options.pruneIntervalMs ?? 60_000, true);
    if (interval > 0) {
      // unref: a pending sweep must never keep the process alive at shutdown.
      this.#timer = setInterval(() => this.prune(), interval).unref();
    }
  }

  /** Entries held, counting expired ones not yet swept: an upper bound on live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Reads a live session (a fresh copy); an expired one is dropped and reads as absent. */
  override get(sid: string, callback: Callback<SessionData | null>): void {
    const entry = this.#live(sid);
    if (!entry) return defer(callback, null, null);
    this.#sessions.delete(sid); // re-insert: now the most recently used
    this.#sessions.set(sid, entry);
    let sess: SessionData;
    try {
      sess = JSON.parse(entry.json) as SessionData;
    } catch (err) {
      return defer(callback, err);
    }
    defer(callback, null, sess);
  }

  /** Stores (or replaces) a session; one whose cookie has already expired is removed instead. */
  override set(sid: string, sess: SessionData, callback?: Callback<void>): void {
    const ttl = ttlOf(sess, this.#defaultTtlMs);
    this.#sessions.delete(sid);
    if (ttl <= 0) return defer(callback, null);
    let json: string;
    try {
      json = JSON.stringify(sess);
    } catch (err) {
      return defer(callback, err);
    }
    while (this.#sessions.size >= this.#maxSessions) this.#evictOldest();
    this.#sessions.set(sid, new Entry(json, this.#now() + ttl));
    defer(callback, null);
  }

  /** Removes a session; removing an unknown id is not an error. */
  override destroy(sid: string, callback?: Callback<void>): void {
    this.#sessions.delete(sid);
    defer(callback, null);
  }

  /** Pushes a live session's expiry forward from its cookie, keeping the stored data as is. */
  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    const entry = this.#live(sid);
    if (entry) {
      const ttl = ttlOf(sess, this.#defaultTtlMs);
      this.#sessions.delete(sid);
      if (ttl > 0) {
        entry.expiresAt = this.#now() + ttl;
        this.#sessions.set(sid, entry);
      }
    }
    if (callback) queueMicrotask(callback);
  }

  /** Counts live sessions (O(n); meant for health checks and tests, not hot paths). */
  override length(callback: Callback<number>): void {
    const now = this.#now();
    let count = 0;
    for (const entry of this.#sessions.values()) if (entry.expiresAt > now) count += 1;
    defer(callback, null, count);
  }

  /** Removes every session. */
  override clear(callback?: Callback<void>): void {
    this.#sessions.clear();
    defer(callback, null);
  }

  /** Every live session by id, as fresh copies (O(n) parses; for admin and tests). */
  override all(callback: Callback<Record<string, SessionData>>): void {
    const now = this.#now();
    const out: Record<string, SessionData> = Object.create(null) as Record<string, SessionData>;
    try {
      for (const [sid, entry] of this.#sessions) {
        if (entry.expiresAt > now) out[sid] = JSON.parse(entry.json) as SessionData;
      }
    } catch (err) {
      return defer(callback, err);
    }
    defer(callback, null, out);
  }

  /**
   * Destroys every live session the predicate selects, e.g. all sessions of one `sub` or one
   * IdP `sid` for OIDC back-channel logout. O(n) parses, which is fine for a rare admin event.
   * A predicate that throws rejects the promise; sessions already destroyed stay destroyed.
   * @returns how many sessions were destroyed.
   */
  async destroyWhere(predicate: (sess: SessionData) => boolean): Promise<number> {
    const now = this.#now();
    let destroyed = 0;
    // Deleting the current key while iterating a Map is well-defined in JavaScript.
    for (const [sid, entry] of this.#sessions) {
      if (entry.expiresAt <= now) {
        this.#sessions.delete(sid);
      } else if (predicate(JSON.parse(entry.json) as SessionData)) {
        this.#sessions.delete(sid);
        destroyed += 1;
      }
    }
    return destroyed;
  }

  /** Removes expired sessions now; the timer calls this. @returns how many were removed. */
  prune(): number {
    const now = this.#now();
    let removed = 0;
    for (const [sid, entry] of this.#sessions) {
      if (entry.expiresAt <= now) {
        this.#sessions.delete(sid);
        removed += 1;
      }
    }
    return removed;
  }

  /** Stops the sweep timer. The sessions stay readable; call at shutdown. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #live(sid: string): Entry | undefined {
    const entry = this.#sessions.get(sid);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#sessions.delete(sid);
      return undefined;
    }
    return entry;
  }

  #evictOldest(): void {
    const oldest = this.#sessions.keys().next();
    if (!oldest.done) this.#sessions.delete(oldest.value);
  }
}
