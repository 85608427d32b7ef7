import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { expect } from 'chai';
import { defaultClaimMapping, ownerId, ownerIdKeyFromApiKey, ownerIdOfClaims, OWNER_ID_KEY_LABEL } from '../../src/profile/index.js';

const KEY = 'k'.repeat(32);
const profile = { customerUserIdPrefix: 'company:', mapping: defaultClaimMapping };

describe('the opaque user id of GET /auth/session', () => {
  describe('ownerId', () => {
    it('is base64url HMAC-SHA256 of customerUserID under the key', () => {
      const expected = createHmac('sha256', KEY).update('company:alice').digest('base64url');
      expect(ownerId('company:alice', KEY)).to.equal(expected).and.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it('is not the plain hash a dictionary would reverse, and shows nothing of the input', () => {
      const id = ownerId('alice@example.com', KEY);
      expect(id).to.not.equal(createHash('sha256').update('alice@example.com').digest('base64url'));
      expect(id).to.not.include('alice');
    });

    it('differs between users and between keys, and is stable for one user and key', () => {
      expect(ownerId('company:alice', KEY)).to.equal(ownerId('company:alice', KEY));
      expect(ownerId('company:alice', KEY)).to.not.equal(ownerId('company:bob', KEY));
      expect(ownerId('company:alice', KEY)).to.not.equal(ownerId('company:alice', 'j'.repeat(32)));
    });

    it('refuses an empty key rather than hashing without one', () => {
      expect(() => ownerId('company:alice', '')).to.throw(TypeError, /key/);
    });
  });

  describe('ownerIdKeyFromApiKey', () => {
    it('is HKDF-SHA256 of the API key under the fixed label, 32 bytes as base64url', () => {
      const expected = Buffer.from(hkdfSync('sha256', 'sk-live', '', OWNER_ID_KEY_LABEL, 32)).toString('base64url');
      expect(ownerIdKeyFromApiKey('sk-live')).to.equal(expected).and.have.length(43);
    });

    it('never contains the API key and changes when the key does', () => {
      expect(ownerIdKeyFromApiKey('sk-live-0123456789')).to.not.include('sk-live');
      expect(ownerIdKeyFromApiKey('sk-live-a')).to.not.equal(ownerIdKeyFromApiKey('sk-live-b'));
    });
  });

  describe('ownerIdOfClaims', () => {
    it('hashes the customerUserID the ticket route sends: prefix + sub, exactly', () => {
      expect(ownerIdOfClaims({ sub: 'alice', name: 'Alice' }, profile, KEY)).to.equal(ownerId('company:alice', KEY));
      // A sub that differs only in case or spacing is another user at OneTalk, so another id.
      expect(ownerIdOfClaims({ sub: 'Alice ' }, profile, KEY)).to.equal(ownerId('company:Alice ', KEY));
    });

    it('is undefined when the claims make no OneTalk user', () => {
      expect(ownerIdOfClaims({ name: 'no sub' }, profile, KEY)).to.equal(undefined);
      expect(ownerIdOfClaims({ sub: 'x'.repeat(100) }, profile, KEY)).to.equal(undefined);
    });
  });
});
