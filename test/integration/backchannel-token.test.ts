import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutTokenError, verifyLogoutToken, type LogoutTokenPolicy } from '../../src/auth/backchannel.js';
import { MemoryReplayGuard } from '../../src/auth/backchannel-replay.js';

const ISSUER = 'https://idp.example';
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const nowSec = NOW / 1000;

describe('logout token validation (verifyLogoutToken)', () => {
  let privateKey: CryptoKey;
  let policy: LogoutTokenPolicy;

  before(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    policy = { issuer: ISSUER, clientId: 'gateway', keys: createLocalJWKSet({ keys: [jwk] }), now: () => NOW };
  });

  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { typ: 'logout+jwt' }): Promise<string> =>
    new SignJWT({ iss: ISSUER, aud: 'gateway', iat: nowSec, exp: nowSec + 120, jti: randomUUID(), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
      .sign(privateKey);

  const refusal = async (token: string): Promise<string> => {
    try {
      await verifyLogoutToken(token, policy);
    } catch (err) {
      if (err instanceof LogoutTokenError) return err.reason;
      throw err;
    }
    throw new Error('the token was accepted');
  };

  describe('the typ header', () => {
    for (const typ of ['logout+jwt', 'application/logout+jwt', 'JWT', undefined]) {
      it(`accepts ${typ ?? 'no typ'}`, async () => {
        const verified = await verifyLogoutToken(await sign({ sub: 'alice' }, typ === undefined ? {} : { typ }), policy);
        expect(verified.target).to.deep.equal({ sub: 'alice' });
      });
    }
    it('refuses another JWT type (an access token is not a logout token)', async () => {
      expect(await refusal(await sign({ sub: 'alice' }, { typ: 'at+jwt' }))).to.equal('unexpected typ header');
    });
  });

  describe('the algorithm', () => {
    it('refuses a symmetric algorithm, whatever the key', async () => {
      const hs = await new SignJWT({ iss: ISSUER, aud: 'gateway', iat: nowSec, jti: 'j', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sub: 'a' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!'));
      expect(await refusal(hs)).to.equal('signing algorithm not allowed');
    });
    it('refuses an unsigned token (alg none)', async () => {
      const body = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'gateway', iat: nowSec, jti: 'j', sub: 'a' })).toString('base64url');
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
      expect(await refusal(none)).to.be.oneOf(['signing algorithm not allowed', 'malformed token']);
    });
  });

  describe('the target', () => {
    it('keeps both sid and sub when both are present', async () => {
      const verified = await verifyLogoutToken(await sign({ sid: 's1', sub: 'alice' }), policy);
      expect(verified.target).to.deep.equal({ sid: 's1', sub: 'alice' });
    });
    it('refuses an empty sid', async () => {
      expect(await refusal(await sign({ sid: '' }))).to.equal('invalid sid claim');
    });
    it('accepts an aud array that contains the client id', async () => {
      expect((await verifyLogoutToken(await sign({ sub: 'a', aud: ['other', 'gateway'] }), policy)).target).to.deep.equal({ sub: 'a' });
    });
  });

  describe('the replay window', () => {
    it('lasts until exp (plus skew) when exp comes first', async () => {
      const { replayWindowMs } = await verifyLogoutToken(await sign({ sub: 'a' }), policy);
      expect(replayWindowMs).to.equal((120 + 60) * 1000);
    });
    it('lasts until iat + the maximum age (plus skew) without exp', async () => {
      const { replayWindowMs } = await verifyLogoutToken(await sign({ sub: 'a', exp: undefined }), policy);
      expect(replayWindowMs).to.equal((600 + 60) * 1000);
    });
  });

  describe('MemoryReplayGuard', () => {
    // A real epoch instant: lru-cache, which keeps the ids, reads a start time of 0 as "no expiry".
    const T0 = Date.UTC(2026, 0, 1);

    it('accepts a jti once, again after its window, and again after release', async () => {
      let t = T0;
      const guard = new MemoryReplayGuard({ now: () => t });
      expect(await guard.firstUse('j1', 1000)).to.equal(true);
      expect(await guard.firstUse('j1', 1000)).to.equal(false);
      t = T0 + 1000;
      expect(await guard.firstUse('j1', 1000)).to.equal(false);
      t = T0 + 1001;
      expect(await guard.firstUse('j1', 1000)).to.equal(true);
      await guard.release('j1');
      expect(await guard.firstUse('j1', 1000)).to.equal(true);
    });
    it('stays bounded', async () => {
      const guard = new MemoryReplayGuard({ maxEntries: 2, now: () => T0 });
      for (const jti of ['a', 'b', 'c']) expect(await guard.firstUse(jti, 60_000)).to.equal(true);
      expect(await guard.firstUse('c', 60_000)).to.equal(false);
      expect(await guard.firstUse('a', 60_000)).to.equal(true); // forgotten first: the bound, not a policy
    });
    it('forgets ids whose window has passed before it forgets a live one', async () => {
      let t = T0;
      const guard = new MemoryReplayGuard({ maxEntries: 2, now: () => t });
      expect(await guard.firstUse('long', 60_000)).to.equal(true);
      expect(await guard.firstUse('short', 1_000)).to.equal(true);
      t = T0 + 2_000;
      expect(await guard.firstUse('third', 60_000)).to.equal(true);
      expect(await guard.firstUse('long', 60_000)).to.equal(false);
    });
  });
});
