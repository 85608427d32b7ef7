import { expect } from 'chai';
import session from 'express-session';
import type { SessionData } from 'express-session';
import { LifetimeStore } from '../../src/session/lifetime-store.js';
import { BoundedMemoryStore, createSessionMiddleware, sessionCookieName } from '../../src/session/index.js';

describe('sessionCookieName', () => {
  const cases: Array<[boolean, string | undefined, string]> = [
    [true, undefined, '__Host-onetalk.sid'],
    [false, undefined, 'onetalk.sid'],
    [true, 'other.sid', '__Host-other.sid'],
    [false, 'other.sid', 'other.sid'],
  ];
  for (const [secure, base, expected] of cases) {
    it(`is ${expected} when secureCookies is ${secure} and the base is ${base ?? 'the default'}`, () => {
      expect(sessionCookieName(secure, base)).to.equal(expected);
    });
  }
});

describe('createSessionMiddleware', () => {
  const store = new BoundedMemoryStore({ pruneIntervalMs: 0 });
  const base = { store, secureCookies: false, secrets: ['s'.repeat(32)] };

  it('returns express-session, the store-error guard and the lifetime guard, in mounting order', () => {
    const handlers = createSessionMiddleware(base);
    expect(handlers).to.have.length(3);
    handlers.forEach((handler) => expect(handler).to.be.a('function'));
    // Express tells error handlers by their arity.
    expect(handlers.map((handler) => handler.length)).to.deep.equal([3, 4, 3]);
  });

  it('refuses an empty secret list or an empty secret', () => {
    expect(() => createSessionMiddleware({ ...base, secrets: [] })).to.throw(TypeError, /secrets/);
    expect(() => createSessionMiddleware({ ...base, secrets: ['s'.repeat(32), ''] })).to.throw(TypeError, /secrets/);
  });

  it('refuses timeouts that are not positive integers of ms', () => {
    expect(() => createSessionMiddleware({ ...base, idleTimeoutMs: 0 })).to.throw(RangeError, /idleTimeoutMs/);
    expect(() => createSessionMiddleware({ ...base, absoluteTimeoutMs: 1.5 })).to.throw(RangeError, /absoluteTimeoutMs/);
  });
});

describe('LifetimeStore', () => {
  const cookie = (): SessionData['cookie'] => {
    const c = new session.Cookie();
    c.maxAge = 60_000;
    return c;
  };
  const read = (store: LifetimeStore, sid: string) =>
    new Promise<SessionData | null | undefined>((resolve, reject) =>
      store.get(sid, (err, sess) => (err ? reject(err as Error) : resolve(sess))),
    );

  it('reads a session the policy has ended as absent, and destroys it in the inner store', async () => {
    const inner = new BoundedMemoryStore({ pruneIntervalMs: 0 });
    const store = new LifetimeStore(inner, (sess) => sess.createdAt === 0);
    await new Promise((resolve) => inner.set('over', { cookie: cookie(), createdAt: 0 }, resolve));
    await new Promise((resolve) => inner.set('live', { cookie: cookie(), createdAt: 1 }, resolve));
    expect(await read(store, 'over')).to.equal(null);
    expect(inner.size).to.equal(1);
    expect(await read(store, 'live')).to.include({ createdAt: 1 });
  });

  it('passes on the connect and disconnect events express-session watches', () => {
    const inner = new BoundedMemoryStore({ pruneIntervalMs: 0 });
    const store = new LifetimeStore(inner, () => false);
    const seen: string[] = [];
    store.on('disconnect', () => seen.push('disconnect'));
    store.on('connect', () => seen.push('connect'));
    inner.emit('disconnect');
    inner.emit('connect');
    expect(seen).to.deep.equal(['disconnect', 'connect']);
  });
});
