import { createHash, randomUUID } from 'node:crypto';
import type { CreateOptions, CreateRefusal, Revocation, SessionRecord, SessionStore, StoredSession } from '../session/index.js';
import { sessionOwner, splitSessionId, userTag } from '../session/index.js';
import { guarded } from './errors.js';
import { lua, type LuaScript, type RedisScripts } from './scripts.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  scripts: RedisScripts;
  /** `REDIS_KEY_PREFIX`. */
  keyPrefix: string;
  /** Longest a store operation may take before it fails as unavailable, in ms. */
  deadlineMs: number;
  /** How long the per-user indexes live: no session outlives its absolute lifetime. */
  indexTtlMs: number;
}

// Every script touches the keys of one user only, which share the `{tag}` hash slot: each is one
// atomic step, on a single node and in a Cluster alike. Members of the indexes are the random
// part of session ids; the scripts build the session keys from them within the same slot.

/** KEYS: session. → [record, gen, lastSeenAt] or nil. */
const GET = lua(`local v = redis.call('HMGET', KEYS[1], 'r', 'g', 'l')
if not v[1] then return nil end
return v`);

/**
 * KEYS: session, tokens, sub index, sid index, sub revocation, sid revocation.
 * ARGV: record, lastSeenAt, ttl, issuedAt, tokens ('' for none), member, index ttl, has sid,
 * session key prefix.
 *
 * Sessions leave the indexes by expiry or sign-out without being removed from them, and each
 * sign-in renews the indexes' TTL: a user who signs in again within every absolute lifetime (or a
 * script signing one account in over and over) would grow them for good, and every logout by
 * `sub` would walk them all. So a sign-in first drops the members whose session is gone.
 */
const CREATE = lua(`if redis.call('EXISTS', KEYS[1]) == 1 then return 'taken' end
if ARGV[8] == '1' and redis.call('EXISTS', KEYS[6]) == 1 then return 'revoked' end
local revokedAt = redis.call('GET', KEYS[5])
if revokedAt and tonumber(ARGV[4]) < tonumber(revokedAt) then return 'revoked' end
local function add(index)
  for _, member in ipairs(redis.call('SMEMBERS', index)) do
    if redis.call('EXISTS', ARGV[9] .. member) == 0 then redis.call('SREM', index, member) end
  end
  redis.call('SADD', index, ARGV[6])
  redis.call('PEXPIRE', index, ARGV[7])
end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'g', '1', 'l', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[3]) end
add(KEYS[3])
if ARGV[8] == '1' then add(KEYS[4]) end
return 'ok'`);

/** KEYS: the IdP session's map, its revocation. ARGV: user tag, ttl. Step one of a sign-in with a `sid`. */
const CLAIM_SID = lua(`if redis.call('EXISTS', KEYS[2]) == 1 then return 'revoked' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'ok'`);

/**
 * KEYS: session, tokens. ARGV: lastSeenAt, ttl. Only a live session is touched, and its stamp
 * only moves forward (instances whose clocks differ a little never move it back).
 */
const TOUCH = lua(`if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local seen = tonumber(redis.call('HGET', KEYS[1], 'l')) or 0
if tonumber(ARGV[1]) > seen then redis.call('HSET', KEYS[1], 'l', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`);

/** KEYS: session, tokens. ARGV: expected gen, record, tokens ('' to keep). → new gen, or 0. */
const REPLACE = lua(`local g = redis.call('HGET', KEYS[1], 'g')
if not g or g ~= ARGV[1] then return 0 end
local next = tonumber(g) + 1
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'g', tostring(next))
if ARGV[3] ~= '' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl) end
end
return next`);

/** KEYS: session, tokens. */
const TOKENS = lua(`if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
return redis.call('GET', KEYS[2])`);

/** KEYS: session, tokens. */
const DESTROY = lua(`return redis.call('DEL', KEYS[1], KEYS[2])`);

/**
 * KEYS: the index to end, the revocation to record. ARGV: 'sub' or 'sid', issuedAt, remember ms,
 * session key prefix, tokens key prefix. → sessions ended. A `sub` revocation keeps the latest
 * logout `iat`; a `sid` one is absolute (an IdP session never comes back).
 */
const REVOKE = lua(`if ARGV[1] == 'sub' then
  local current = redis.call('GET', KEYS[2])
  if (not current) or tonumber(current) < tonumber(ARGV[2]) then
    redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  else
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
else
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
local ended = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', ARGV[4] .. member)
  redis.call('DEL', ARGV[5] .. member)
end
redis.call('DEL', KEYS[1])
return ended`);

/** KEYS: the IdP session's map, its revocation. ARGV: remember ms. → the user tag, or nil. */
const REVOKE_SID = lua(`redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return redis.call('GET', KEYS[1])`);

/** KEYS: the refresh claim. ARGV: claim, ttl. */
const CLAIM = lua(`if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`);

/** KEYS: the refresh claim. ARGV: claim. Deletes it only if it is still this holder's. */
const RELEASE = lua(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

const hashOf = (value: string): string => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/**
 * Sessions in Redis, shared by every instance, with the write model of {@link SessionStore}: each
 * write is a Lua script that checks and writes in one step, so a sign-out can never be undone by
 * a request that loaded the session earlier, on this instance or another.
 *
 * Key layout (prefix `P`, user tag `T` from the session id, see `src/session/ids.ts`):
 * `P{T}:s:<id>` the session (hash: record, generation, lastSeenAt), `P{T}:t:<id>` its sealed
 * tokens, `P{T}:sub:<sub>` and `P{T}:sid:<sid>` the indexes back-channel logout uses,
 * `P{T}:rsub:<sub>` and `P{T}:rsid:<sid>` revocations, `P{T}:lock:<id>` a refresh in progress, and `P{sid:<hash>}:map` / `:dead` mapping
 * an IdP session to its user for a logout token that names only the `sid`.
 *
 * Writes that end sessions ({@link RedisSessionStore.destroy}, {@link RedisSessionStore.revoke})
 * answer only once a replica has them, where there are replicas (Sentinel, Cluster): see
 * {@link RedisScripts.runReplicated}.
 *
 * Fails fast and typed: every operation has a deadline, and every failure is a
 * `StoreUnavailableError` (503). It never falls back to memory: sessions written there would be
 * invisible to the other instances and lost at restart.
 */
export class RedisSessionStore implements SessionStore {
  readonly #scripts: RedisScripts;
  readonly #prefix: string;
  readonly #deadlineMs: number;
  readonly #indexTtlMs: number;

  constructor(options: RedisSessionStoreOptions) {
    this.#scripts = options.scripts;
    this.#prefix = options.keyPrefix;
    this.#deadlineMs = options.deadlineMs;
    this.#indexTtlMs = options.indexTtlMs;
  }

  #slot(tag: string): string {
    return `${this.#prefix}{${tag}}:`;
  }

  #keys(id: string): [session: string, tokens: string] {
    const { tag, key } = splitSessionId(id);
    const slot = this.#slot(tag);
    return [`${slot}s:${key}`, `${slot}t:${key}`];
  }

  #sidKeys(sid: string): [map: string, dead: string] {
    const slot = `${this.#prefix}{sid:${hashOf(sid)}}:`;
    return [`${slot}map`, `${slot}dead`];
  }

  #run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return guarded(this.#scripts.run(script, keys, args), this.#deadlineMs);
  }

  /**
   * A write that ends sessions: acknowledged only once a replica has it too (when there are
   * replicas, within their bound), so a failover right after a sign-out cannot bring it back.
   */
  #end(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return guarded(this.#scripts.runReplicated(script, keys, args), this.#deadlineMs + this.#scripts.replicaWaitMs);
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const reply = await this.#run(GET, this.#keys(id).slice(0, 1), []);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') return undefined;
    const [json, gen, lastSeenAt] = reply as [string, string, string];
    const record = JSON.parse(json) as SessionRecord;
    record.lastSeenAt = Number(lastSeenAt);
    return { record, gen: Number(gen) };
  }

  async create(id: string, record: SessionRecord, options: CreateOptions): Promise<CreateRefusal | undefined> {
    const { sub, sid } = sessionOwner(record, 'RedisSessionStore');
    const { tag, key } = splitSessionId(id);
    if (tag !== userTag(sub)) throw new Error('RedisSessionStore: the session id does not belong to this user');
    if (sid !== undefined) {
      // First make the IdP session findable by `sid` alone (its own slot), refusing one already
      // revoked; a revocation racing this step then finds the user and its check below.
      const claimed = await this.#run(CLAIM_SID, this.#sidKeys(sid), [tag, this.#indexTtlMs]);
      if (claimed === 'revoked') return 'revoked';
    }
    const slot = this.#slot(tag);
    const [sessionKey, tokensKey] = this.#keys(id);
    const { lastSeenAt, ...rest } = record;
    const reply = await this.#run(
      CREATE,
      [sessionKey, tokensKey, `${slot}sub:${sub}`, `${slot}sid:${sid ?? ''}`, `${slot}rsub:${sub}`, `${slot}rsid:${sid ?? ''}`],
      [JSON.stringify(rest), lastSeenAt, options.ttlMs, options.issuedAt, options.tokens ?? '', key, this.#indexTtlMs, sid === undefined ? 0 : 1, `${slot}s:`],
    );
    if (reply === 'revoked') return 'revoked';
    if (reply !== 'ok') throw new Error('RedisSessionStore: session id already taken');
    return undefined;
  }

  async touch(id: string, lastSeenAt: number, ttlMs: number): Promise<boolean> {
    return (await this.#run(TOUCH, this.#keys(id), [lastSeenAt, ttlMs])) === 1;
  }

  async replace(id: string, gen: number, record: SessionRecord, tokens?: string): Promise<number | undefined> {
    const { lastSeenAt: _ignored, ...rest } = record;
    const next = await this.#run(REPLACE, this.#keys(id), [gen, JSON.stringify(rest), tokens ?? '']);
    return typeof next === 'number' && next > 0 ? next : undefined;
  }

  async tokens(id: string): Promise<string | undefined> {
    const reply = await this.#run(TOKENS, this.#keys(id), []);
    return typeof reply === 'string' ? reply : undefined;
  }

  async destroy(id: string): Promise<void> {
    await this.#end(DESTROY, this.#keys(id), []);
  }

  async revoke({ target, issuedAt, rememberMs }: Revocation): Promise<number> {
    let tag: string;
    if (target.sub !== undefined) {
      tag = userTag(target.sub);
    } else if (target.sid !== undefined) {
      // Replicated too: this record is what refuses a sign-in still in flight for the IdP session.
      const found = await this.#end(REVOKE_SID, this.#sidKeys(target.sid), [rememberMs]);
      if (typeof found !== 'string') return 0; // no sign-in ever claimed this IdP session
      tag = found;
    } else {
      return 0;
    }
    const slot = this.#slot(tag);
    const [index, tomb, kind] =
      target.sid !== undefined ? [`${slot}sid:${target.sid}`, `${slot}rsid:${target.sid}`, 'sid'] : [`${slot}sub:${target.sub}`, `${slot}rsub:${target.sub}`, 'sub'];
    const ended = await this.#end(REVOKE, [index, tomb], [kind, issuedAt, rememberMs, `${slot}s:`, `${slot}t:`]);
    return typeof ended === 'number' ? ended : 0;
  }

  async claimRefresh(id: string, ttlMs: number): Promise<string | undefined> {
    const claim = randomUUID();
    return (await this.#run(CLAIM, [this.#claimKey(id)], [claim, ttlMs])) === 1 ? claim : undefined;
  }

  async releaseRefresh(id: string, claim: string): Promise<void> {
    await this.#run(RELEASE, [this.#claimKey(id)], [claim]);
  }

  #claimKey(id: string): string {
    const { tag, key } = splitSessionId(id);
    return `${this.#slot(tag)}lock:${key}`;
  }

  async ping(): Promise<void> {
    await this.#run(GET, [`${this.#prefix}{readyz}:s:probe`], []);
  }

  /** The Redis client belongs to the app's Redis resources, which close it. */
  async close(): Promise<void> {}
}
