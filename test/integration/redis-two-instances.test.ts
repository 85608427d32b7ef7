import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import { createClient } from 'redis';
import { createApp, type Gateway } from '../../src/app.js';
import { requestTicket, startSystem, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * Two gateway apps built by createApp with the same config, sharing one Redis. In production
 * both sit behind one PUBLIC_URL; here A's origin is the PUBLIC_URL (the IdP's redirect URI) and
 * B is called directly. The session cookie is host-scoped to 127.0.0.1, so the jar sends it to
 * both ports, as a browser would to one origin behind a load balancer.
 */
describe('two gateway instances sharing one Redis', function () {
  this.timeout(30_000);
  const prefix = `test:${randomUUID()}:`;
  let a: System;
  let b: Gateway;
  let bServer: Server;
  let bUrl: string;

  before(async () => {
    a = await startSystem({ env: { REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`, REDIS_KEY_PREFIX: prefix } });
    b = createApp(a.config, { logger: pino({ level: 'silent' }) });
    bServer = b.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => bServer.once('listening', resolve));
    bUrl = `http://127.0.0.1:${(bServer.address() as AddressInfo).port}`;
    await b.oidc.whenReady();
    await Promise.all([readyzBecomes(a.url, 200, 5000), readyzBecomes(bUrl, 200, 5000)]);
  });

  after(async () => {
    bServer?.closeAllConnections();
    bServer?.close();
    await b?.close();
    await a?.close();
    const cleaner = createClient({ socket: REDIS });
    await cleaner.connect();
    for await (const keys of cleaner.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await cleaner.del(keys);
    await cleaner.close();
  });

  it('behave as one: sign in through A, ticket through B, sign out through B, and A refuses the old cookie', async () => {
    const browser = await a.signIn('alice');
    const oldCookie = (await browser.jar.getCookieString(a.url)) || '';
    expect(oldCookie).to.match(/onetalk\.sid=/);

    const ticket = await browser.post(`${bUrl}/api/livechat/ticket`, { headers: { 'x-csrf': '1' } });
    expect(ticket.status).to.equal(200);
    expect(await ticket.json()).to.have.keys('ticket', 'expiresAt');

    const logout = await browser.post(`${bUrl}/auth/logout`, { headers: { 'x-csrf': '1' } });
    expect(logout.status).to.equal(303);

    // The cookie as it was before sign-out, replayed at A (the jar itself was cleared by B).
    const replayed = await fetch(`${a.url}/api/livechat/ticket`, { method: 'POST', headers: { cookie: oldCookie, 'x-csrf': '1' } });
    expect(replayed.status).to.equal(401);
    expect(await replayed.json()).to.include({ code: 'not_signed_in' });
    expect((await requestTicket(a, browser)).status).to.equal(401);
  });

  it('finish on B a sign-in started on A (login transactions live in Redis), once only', async () => {
    const browser = a.browser();
    const start = await browser.get(`${a.url}/auth/login?returnTo=%2Fchat`);
    expect(start.status).to.equal(303);
    const callback = await browser.signInAt(start.headers.get('location') ?? '', 'bob');
    expect(callback.origin).to.equal(a.url);

    const atB = new URL(`${callback.pathname}${callback.search}`, bUrl);
    const done = await browser.get(atB);
    expect(done.status).to.equal(303);
    expect(done.headers.get('location')).to.equal('/chat');

    const session = await browser.get(`${a.url}/auth/session`);
    expect(await session.json()).to.deep.include({ authenticated: true });
    expect((await requestTicket(a, browser)).status).to.equal(200);

    // GETDEL took the transaction: the same callback at A is refused.
    const again = await browser.get(callback, { headers: { accept: 'application/json' } });
    expect(again.status).to.equal(400);
    expect(await again.json()).to.include({ code: 'login_expired' });
  });

  it('keep everything under the configured key prefix, with TTLs', async () => {
    const client = createClient({ socket: REDIS });
    await client.connect();
    try {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
      // Sessions and their per-user indexes share the user's hash slot: `<prefix>{<tag>}:s:<id>`, `…:sub:<sub>`.
      const sessions = keys.filter((key) => /^[^{]*\{[\w-]{11}\}:s:/.test(key));
      expect(sessions.length).to.be.greaterThan(0);
      for (const key of [...sessions, ...keys.filter((k) => /\}:sub:/.test(k))]) {
        expect(await client.pTTL(key), key).to.be.greaterThan(0);
      }
    } finally {
      await client.close();
    }
  });
});
