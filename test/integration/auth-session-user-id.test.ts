import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { ownerId } from '../../src/profile/index.js';
import { startSystem, TEST_API_KEY, type System } from '../helpers/gateway.js';

const USER_ID_SECRET = 'user-id-secret-NEVER-LEAK-0123456789abcdef';

interface SessionAnswer {
  authenticated: boolean;
  user?: { name: string; id?: string };
}

describe('GET /auth/session: the opaque user id', function () {
  let system: System;
  const sessionOf = async (login: string): Promise<SessionAnswer> => {
    const browser = await system.signIn(login);
    return (await (await browser.get(`${system.url}/auth/session`)).json()) as SessionAnswer;
  };

  before(async () => {
    system = await startSystem({ env: { CUSTOMER_USER_ID_PREFIX: 'company:', USER_ID_SECRET } });
  });
  after(async () => {
    await system.close();
  });

  it('is the keyed HMAC of the customerUserID OneTalk gets (prefix + sub)', async () => {
    const session = await sessionOf('alice');
    expect(session.user?.id).to.equal(ownerId('company:alice', USER_ID_SECRET));
  });

  it('is the same for every session of one user, and differs between users', async () => {
    const [alice1, alice2, bob] = [await sessionOf('alice'), await sessionOf('alice'), await sessionOf('bob')];
    expect(alice1.user?.id).to.be.a('string').and.equal(alice2.user?.id);
    expect(bob.user?.id).to.be.a('string').and.not.equal(alice1.user?.id);
  });

  it('reveals neither the user, a plain hash of them, the secret nor the API key', async () => {
    const id = (await sessionOf('alice')).user?.id ?? '';
    expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
    for (const plain of ['alice', 'company:alice']) {
      expect(id).to.not.equal(createHash('sha256').update(plain).digest('base64url'));
    }
    expect(id).to.not.include('alice');
    const logs = system.logs.join('');
    expect(logs).to.not.include(USER_ID_SECRET);
    expect(logs).to.not.include(TEST_API_KEY);
  });

  it('is absent for an anonymous visitor', async () => {
    const res = await system.browser().get(`${system.url}/auth/session`);
    expect(await res.json()).to.deep.equal({ authenticated: false });
  });
});
