/**
 * Scenario 5, memory: heap bytes per signed-in session in the MemorySessionStore, filled the way
 * a sign-in fills it (`store.create` with a fresh session id) with what the gateway keeps after a
 * sign-in: `pickSessionClaims` of a full userinfo answer, the IdP `sid`, and the lifetime
 * stamps. Needs `--expose-gc`, and a process of its own so that nothing else allocates while it
 * measures.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { defaultClaimMapping } from '../../src/profile/index.js';
import { pickSessionClaims } from '../../src/profile/kept-claims.js';
import { MemorySessionStore, newSessionId, type SessionRecord } from '../../src/session/index.js';
import type { MemoryFigures } from '../types.js';

const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
const FIRST = ['Alice', 'Bagus', 'Chandra', 'Dewi', 'Eko', 'Fitri', 'Gita', 'Hendra'];
const LAST = ['Liddell', 'Santoso', 'Wijaya', 'Kusuma', 'Pratama', 'Halim', 'Nugroho', 'Saputra'];

/** A full userinfo answer for user `i`: every value unique, so no two sessions share strings. */
function userinfo(i: number): Record<string, unknown> {
  const given = FIRST[i % FIRST.length] ?? 'Alice';
  const family = LAST[(i >> 3) % LAST.length] ?? 'Liddell';
  const login = `${given}.${family}${i}`.toLowerCase();
  return {
    sub: randomUUID(),
    name: `${given} ${family} ${i}`,
    given_name: given,
    family_name: family,
    nickname: given.toLowerCase(),
    preferred_username: login,
    email: `${login}@example.com`,
    email_verified: true,
    phone_number: `+62 812-${String(i % 10_000).padStart(4, '0')}-${String(i % 9_973).padStart(4, '0')}`,
    phone_number_verified: true,
    picture: `https://www.gravatar.com/avatar/${createHash('md5').update(login).digest('hex')}?d=identicon`,
    locale: 'id-ID',
    updated_at: 1_700_000_000 + i,
  };
}

/** One session record exactly as a sign-in hands it to `store.create`. */
function signedInRecord(i: number, now: number): SessionRecord {
  return {
    user: { claims: pickSessionClaims(userinfo(i), defaultClaimMapping), sid: randomBytes(16).toString('base64url') },
    createdAt: now,
    lastSeenAt: now,
  };
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

/** Fills a fresh store with `count` sessions and reports the heap it holds. */
async function measureOne(gc: () => void, count: number): Promise<MemoryFigures> {
  const before = await settledHeap(gc);
  const store = new MemorySessionStore({ maxSessions: count, pruneIntervalMs: 0 });
  const now = Date.now();
  let jsonChars = 0;
  for (let i = 0; i < count; i += 1) {
    const record = signedInRecord(i, now);
    jsonChars += JSON.stringify(record).length;
    const refused = await store.create(newSessionId(record.user.claims.sub ?? String(i)), record, { ttlMs: IDLE_TIMEOUT_MS, issuedAt: 1 });
    if (refused) throw new Error(`session ${i} refused: ${refused}`);
  }
  const after = await settledHeap(gc);
  if (store.size !== count) throw new Error(`store holds ${store.size} sessions, expected ${count}`);
  await store.close();
  return { sessions: count, heapBytes: after - before, bytesPerSession: Math.round((after - before) / count), jsonChars: Math.round(jsonChars / count) };
}

/** Heap per signed-in session at each fill level, smallest first. */
export async function measureSessionMemory(counts: readonly number[]): Promise<MemoryFigures[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory scenario needs node --expose-gc');
  const figures: MemoryFigures[] = [];
  for (const count of counts) figures.push(await measureOne(gc, count));
  return figures;
}
