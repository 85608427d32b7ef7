import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CookieOptions, Request, Response } from 'express';
import { hashBinding, LoginBinding, type LoginBindingOptions } from '../../src/auth/binding.js';

const SECRET = 'a'.repeat(32);
const OLD_SECRET = 'b'.repeat(32);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A browser stand-in: keeps the login cookie the gateway sets, sends it back. */
class Browser {
  cookie: string | undefined;
  options: CookieOptions | undefined;
  request(): Request {
    return { headers: this.cookie ? { cookie: `onetalk.login=${this.cookie}` } : {} } as unknown as Request;
  }
  response(): Response {
    return {
      cookie: (name: string, value: string, options: CookieOptions) => {
        expect(name).to.equal('onetalk.login');
        this.cookie = value;
        this.options = options;
      },
    } as unknown as Response;
  }
}

describe('LoginBinding (the login cookie)', () => {
  let now: number;
  const binding = (options: Partial<LoginBindingOptions> = {}) =>
    new LoginBinding({ secrets: [SECRET], secureCookies: false, pendingTtlMs: 10 * MINUTE, signedInTtlMs: 30 * DAY, now: () => now, ...options });
  const alice = { issuer: 'https://idp.example.com', subject: 'alice-sub' };
  const bob = { issuer: 'https://idp.example.com', subject: 'bob-sub' };

  beforeEach(() => {
    now = Date.UTC(2026, 0, 5, 9, 0, 0);
  });

  /** A browser that started a sign-in, and, with `user`, finished it. */
  function browserOf(gateway: LoginBinding, user?: { issuer: string; subject: string }): Browser {
    const browser = new Browser();
    gateway.ensure(browser.request(), browser.response());
    if (user) gateway.markSignedIn(browser.request(), browser.response(), user);
    return browser;
  }

  it('issues an HttpOnly, SameSite=Lax cookie for the login transaction\'s lifetime, and reads it back', () => {
    const gateway = binding();
    const browser = new Browser();
    const hash = gateway.ensure(browser.request(), browser.response());
    expect(browser.options).to.include({ httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: 10 * MINUTE });
    const cookie = gateway.read(browser.request());
    expect(cookie).to.include({ issuedAt: now, user: undefined });
    expect(hashBinding(cookie!.id)).to.equal(hash);
    expect(gateway.bindingOf(browser.request())).to.equal(hash);
  });

  it('keeps the browser\'s id across sign-in starts, so every tab\'s pending sign-in still matches', () => {
    const gateway = binding();
    const browser = new Browser();
    const first = gateway.ensure(browser.request(), browser.response());
    const issued = browser.cookie;
    now += 5 * MINUTE;
    const second = gateway.ensure(browser.request(), browser.response());
    expect(second).to.equal(first);
    expect(browser.cookie, 'renewed: the new transaction must not outlive it').to.not.equal(issued);
    expect(gateway.read(browser.request())?.issuedAt).to.equal(now);
  });

  it('gives no budget key before a sign-in finished in the browser', () => {
    const gateway = binding();
    expect(gateway.userBudgetKey(browserOf(gateway).request())).to.equal(undefined);
    expect(gateway.userBudgetKey(new Browser().request())).to.equal(undefined);
  });

  describe('after a finished sign-in', () => {
    it('keeps the id (the binding hash) and names the user by a keyed hash, never in clear', () => {
      const gateway = binding();
      const browser = browserOf(gateway);
      const hash = gateway.bindingOf(browser.request());
      gateway.markSignedIn(browser.request(), browser.response(), alice);
      expect(gateway.bindingOf(browser.request())).to.equal(hash);
      expect(browser.options?.maxAge).to.equal(30 * DAY);
      expect(gateway.userBudgetKey(browser.request())).to.match(/^[A-Za-z0-9_-]{22}$/);
      expect(browser.cookie).to.not.include('alice');
    });

    it('gives every browser of one user the same budget key, and each user their own', () => {
      const gateway = binding();
      const laptop = gateway.userBudgetKey(browserOf(gateway, alice).request());
      const phone = gateway.userBudgetKey(browserOf(gateway, alice).request());
      const other = gateway.userBudgetKey(browserOf(gateway, bob).request());
      expect(laptop).to.equal(phone);
      expect(other).to.not.equal(laptop);
    });

    it('keeps the user through later sign-in starts, for 30 days after the last one', () => {
      const gateway = binding();
      const browser = browserOf(gateway, alice);
      const key = gateway.userBudgetKey(browser.request());
      now += 29 * DAY;
      gateway.ensure(browser.request(), browser.response());
      expect(gateway.userBudgetKey(browser.request())).to.equal(key);
      now += 30 * DAY + 2 * MINUTE;
      expect(gateway.read(browser.request())).to.equal(undefined);
    });
  });

  describe('refuses a cookie the gateway did not issue, or no longer accepts', () => {
    const tampered = (browser: Browser, edit: (parts: string[]) => void): Browser => {
      const parts = browser.cookie!.split('.');
      edit(parts);
      const forged = new Browser();
      forged.cookie = parts.join('.');
      return forged;
    };

    it('an invented value (as the old 32 random bytes were)', () => {
      const forged = new Browser();
      forged.cookie = randomBytes(32).toString('base64url');
      expect(binding().read(forged.request())).to.equal(undefined);
    });

    it('a value in the right format with a made-up MAC', () => {
      const gateway = binding();
      const forged = tampered(browserOf(gateway), (p) => (p[3] = randomBytes(32).toString('base64url')));
      expect(gateway.read(forged.request())).to.equal(undefined);
    });

    it('a pending cookie that claims a user (to get a budget of its own)', () => {
      const gateway = binding();
      const signedIn = browserOf(gateway, alice).cookie!.split('.');
      const forged = tampered(browserOf(gateway), (p) => (p[2] = signedIn[2]!));
      expect(gateway.read(forged.request())).to.equal(undefined);
      expect(gateway.userBudgetKey(forged.request())).to.equal(undefined);
    });

    it('a signed-in cookie whose issue time was moved forward (to live longer)', () => {
      const gateway = binding();
      const forged = tampered(browserOf(gateway, alice), (p) => (p[1] = Math.floor(now / 1000 + DAY / 1000).toString(36)));
      expect(gateway.read(forged.request())).to.equal(undefined);
    });

    it('a pending cookie past the login transaction\'s lifetime', () => {
      const gateway = binding();
      const browser = browserOf(gateway);
      now += 10 * MINUTE;
      expect(gateway.read(browser.request()), 'within the clock allowance').to.not.equal(undefined);
      now += 2 * MINUTE;
      expect(gateway.read(browser.request())).to.equal(undefined);
    });

    it('one signed by a secret that was rotated out, while accepting one signed by a secret still listed', () => {
      const before = binding({ secrets: [OLD_SECRET] });
      const browser = browserOf(before, alice);
      const rotating = binding({ secrets: [SECRET, OLD_SECRET] });
      expect(rotating.userBudgetKey(browser.request())).to.equal(before.userBudgetKey(browser.request()));
      // Re-issued under the new first secret, with the same id: pending sign-ins still match.
      const hashBefore = before.bindingOf(browser.request());
      expect(hashBefore).to.be.a('string');
      expect(rotating.ensure(browser.request(), browser.response())).to.equal(hashBefore);
      expect(before.read(browser.request()), 'now signed by the new secret').to.equal(undefined);
      const retired = binding({ secrets: [SECRET] });
      const stale = browserOf(before, alice);
      expect(retired.read(stale.request())).to.equal(undefined);
      expect(retired.read(browser.request())).to.not.equal(undefined);
    });
  });
});
