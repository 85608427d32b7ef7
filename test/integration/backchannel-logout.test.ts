import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { createClient } from 'redis';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/auth/backchannel.js';
import type { CookieClient } from '../helpers/cookie-client.js';
import { startSystem, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';

const REDIS = { host: '127.0.0.1', port: 6379 };
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Claims of a refused token (added to `aud` and `sub: alice`), the reason the gateway gives. */
const REFUSED: ReadonlyArray<[what: string, claims: Record<string, unknown>, reason: string]> = [
  ['from another issuer', { iss: 'http://127.0.0.1:1' }, 'invalid iss claim'],
  ['for another client', { aud: 'someone-else' }, 'invalid aud claim'],
  ['carrying a nonce (an ID token, not a logout token)', { nonce: 'n-0S6_WzA2Mj' }, 'nonce is not allowed in a logout token'],
  ['without an events claim', { events: undefined }, 'missing events claim'],
  ['whose events lack the back-channel logout member', { events: { 'http://example.com/other': {} } }, 'missing back-channel logout event'],
  ['whose logout event is not an object', { events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }, 'missing back-channel logout event'],
  ['naming neither sid nor sub', { sub: undefined }, 'neither sid nor sub present'],
  ['expired', { iat: nowSec() - 300, exp: nowSec() - 120 }, 'token expired'],
  ['issued in the future', { iat: nowSec() + 600, exp: nowSec() + 700 }, 'invalid iat claim'],
  ['without iat', { iat: undefined }, 'missing iat claim'],
  ['too old, however long its exp', { iat: nowSec() - 3600, exp: nowSec() + 3600 }, 'token too old'],
  ['without jti', { jti: undefined }, 'missing jti claim'],
];

for (const mode of ['memory', 'redis'] as const) {
  describe(`POST /auth/backchannel-logout (${mode} sessions)`, function () {
    this.timeout(30_000);
    const prefix = `test:${randomUUID()}:`;
    let system: System;

    const post = (body: Record<string, string>): Promise<Response> =>
      fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams(body) });
    const logoutToken = (claims: Record<string, unknown>): Promise<string> => system.idp.signLogoutToken({ aud: 'gateway', ...claims });
    const signedIn = async (browser: CookieClient): Promise<boolean> =>
      ((await (await browser.get(`${system.url}/auth/session`)).json()) as { authenticated: boolean }).authenticated;

    /** The IdP session id the gateway stored for this browser's session. */
    async function idpSidOf(browser: CookieClient): Promise<string> {
      const cookie = (await browser.cookies(system.url)).find((c) => c.key === 'onetalk.sid');
      const signed = decodeURIComponent(cookie?.value ?? '');
      const sid = (await system.gateway.sessionStore.get(signed.slice(0, signed.lastIndexOf('.'))))?.record.user.sid;
      if (!sid) throw new Error('no IdP sid stored for this session');
      return sid;
    }

    before(async () => {
      system = await startSystem({
        env: mode === 'redis' ? { REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`, REDIS_KEY_PREFIX: prefix } : {},
      });
      await readyzBecomes(system.url, 200, 10_000);
    });

    after(async () => {
      await system?.close();
      if (mode !== 'redis') return;
      const cleaner = createClient({ socket: REDIS });
      await cleaner.connect();
      for await (const keys of cleaner.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await cleaner.del(keys);
      await cleaner.close();
    });

    it('ends exactly the session a sid names: the same user elsewhere and other users stay signed in', async () => {
      const [alice1, alice2, bob] = [await system.signIn('alice'), await system.signIn('alice'), await system.signIn('bob')];
      const sid = await idpSidOf(alice1);
      expect(sid).to.not.equal(await idpSidOf(alice2));

      const res = await post({ logout_token: await logoutToken({ sid }) });
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('set-cookie')).to.equal(null);
      expect(await res.text()).to.equal('');
      expect([await signedIn(alice1), await signedIn(alice2), await signedIn(bob)]).to.deep.equal([false, true, true]);
    });

    it('ends every session of the user a sub names (two browsers), and no one else\'s', async () => {
      const [carol1, carol2, bob] = [await system.signIn('carol'), await system.signIn('carol'), await system.signIn('bob')];
      const res = await post({ logout_token: await logoutToken({ sub: 'carol' }) });
      expect(res.status).to.equal(200);
      expect([await signedIn(carol1), await signedIn(carol2), await signedIn(bob)]).to.deep.equal([false, false, true]);
    });

    it('with both sid and sub, ends only a session matching both', async () => {
      const alice = await system.signIn('alice');
      const sid = await idpSidOf(alice);
      expect((await post({ logout_token: await logoutToken({ sid, sub: 'bob' }) })).status).to.equal(200);
      expect(await signedIn(alice)).to.equal(true);
      expect((await post({ logout_token: await logoutToken({ sid, sub: 'alice' }) })).status).to.equal(200);
      expect(await signedIn(alice)).to.equal(false);
    });

    describe('a token that must be refused: 400 invalid_request, nothing ended', () => {
      let alice: CookieClient;
      let bob: CookieClient;
      before(async () => {
        [alice, bob] = [await system.signIn('alice'), await system.signIn('bob')];
      });
      afterEach(async () => {
        expect([await signedIn(alice), await signedIn(bob)]).to.deep.equal([true, true]);
      });

      const expectRefused = async (res: Response, reason: string): Promise<void> => {
        expect(res.status).to.equal(400);
        expect(res.headers.get('cache-control')).to.equal('no-store');
        expect(await res.json()).to.deep.equal({ error: 'invalid_request', error_description: reason });
      };

      for (const [what, claims, reason] of REFUSED) {
        it(`refuses a token ${what}`, async () => {
          await expectRefused(await post({ logout_token: await logoutToken({ sub: 'alice', ...claims }) }), reason);
        });
      }

      it('refuses a token signed by another key under the IdP\'s key id', async () => {
        const { kid } = decodeProtectedHeader(await logoutToken({ sub: 'alice' }));
        const { privateKey } = await generateKeyPair('RS256');
        const forged = await new SignJWT({ sub: 'alice', aud: 'gateway', jti: randomUUID(), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
          .setProtectedHeader({ alg: 'RS256', kid: kid ?? '', typ: 'logout+jwt' })
          .setIssuer(system.idp.issuer)
          .setIssuedAt()
          .setExpirationTime('2m')
          .sign(privateKey);
        await expectRefused(await post({ logout_token: forged }), 'signature verification failed');
      });

      it('refuses what is not a JWT, and a request without logout_token', async () => {
        await expectRefused(await post({ logout_token: 'not-a-jwt' }), 'malformed token');
        await expectRefused(await post({}), 'missing logout_token');
        const json = await fetch(`${system.url}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ logout_token: await logoutToken({ sub: 'alice' }) }),
        });
        await expectRefused(json, 'missing logout_token');
      });
    });

    it('refuses a replayed token (same jti), even once the user has signed in again', async () => {
      const first = await system.signIn('carol');
      const token = await logoutToken({ sub: 'carol' });
      expect((await post({ logout_token: token })).status).to.equal(200);
      expect(await signedIn(first)).to.equal(false);

      const again = await system.signIn('carol');
      const replay = await post({ logout_token: token });
      expect(replay.status).to.equal(400);
      expect(await replay.json()).to.deep.equal({ error: 'invalid_request', error_description: 'logout token already used' });
      expect(await signedIn(again)).to.equal(true);

      if (mode === 'redis') {
        // Shared by every instance, and forgotten once the token could no longer pass anyway.
        const client = createClient({ socket: REDIS });
        await client.connect();
        const ttl = await client.pTTL(`${prefix}logout-jti:${String(decodeJwt(token).jti)}`);
        await client.close();
        expect(ttl).to.be.within(1, 11 * 60_000);
      }
    });
  });
}
