import { expect } from 'chai';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { TicketIssuer, ticketKey } from '../../src/emulator/tickets.js';

const key = ticketKey('a-test-secret-of-at-least-32-bytes!!');

describe('TicketIssuer', () => {
  let time = Date.parse('2026-03-01T10:00:00.400Z');
  const now = (): number => time;
  beforeEach(() => {
    time = Date.parse('2026-03-01T10:00:00.400Z');
  });

  it('signs an HS256 JWT with sub, customerUserID, iat, exp = iat + 3600 and a random jti', async () => {
    const issuer = new TicketIssuer(key, now);
    const { ticket, claims } = await issuer.issue('user-1', 'company:123');
    const { payload } = await jwtVerify(ticket, key, { algorithms: ['HS256'], currentDate: new Date(time) });
    expect(decodeProtectedHeader(ticket)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(payload).to.deep.equal(claims);
    expect(payload).to.include({ sub: 'user-1', customerUserID: 'company:123', iat: 1772359200, exp: 1772359200 + 3600 });
    const second = await issuer.issue('user-1', 'company:123');
    expect(second.claims.jti).to.not.equal(claims.jti);
    expect(second.ticket).to.not.equal(ticket);
  });

  it('verifies its own tickets until exp, then says expired', async () => {
    const issuer = new TicketIssuer(key, now);
    const { ticket } = await issuer.issue('user-1', 'c1');
    time += 3599_000;
    expect(await issuer.verify(ticket)).to.have.property('valid', true);
    time += 1_000;
    expect(await issuer.verify(ticket)).to.deep.equal({ valid: false, reason: 'expired' });
  });

  it('says invalid for another key, a tampered ticket, alg none and garbage', async () => {
    const issuer = new TicketIssuer(key, now);
    const other = await new TicketIssuer(ticketKey(), now).issue('user-1', 'c1');
    const { ticket } = await issuer.issue('user-1', 'c1');
    const [header, , signature] = ticket.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'user-2', customerUserID: 'c2' })).toString('base64url');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forgedPayload}.`;
    for (const bad of [other.ticket, `${header}.${forgedPayload}.${signature}`, unsigned, 'not-a-jwt']) {
      expect(await issuer.verify(bad)).to.deep.equal({ valid: false, reason: 'invalid' });
    }
  });

  it('says invalid for a correctly signed token without the ticket claims', async () => {
    const bare = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuedAt().setExpirationTime('1h').setJti('j').sign(key);
    expect(await new TicketIssuer(key).verify(bare)).to.deep.equal({ valid: false, reason: 'invalid' });
  });

  it('redeems a ticket once; a second redemption is already_redeemed', async () => {
    const issuer = new TicketIssuer(key, now);
    const { ticket } = await issuer.issue('user-1', 'c1');
    // Two redemptions race; WebCrypto may finish either first, so exactly one of them wins.
    const results = await Promise.all([issuer.redeem(ticket), issuer.redeem(ticket)]);
    expect(results.filter((r) => r.valid)).to.have.length(1);
    expect(results.filter((r) => !r.valid)).to.deep.equal([{ valid: false, reason: 'already_redeemed' }]);
    issuer.clearRedemptions();
    expect(await issuer.redeem(ticket)).to.have.property('valid', true);
  });

  it('refuses an empty secret', () => {
    expect(() => ticketKey('')).to.throw('ticketSecret must not be empty');
  });
});
