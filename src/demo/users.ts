/**
 * Accounts of the development OpenID Provider. They exist to exercise the claim mapping:
 * one complete profile, one nearly empty, and one that breaks naive assumptions.
 */

/** A development account: `id` is both the login name and the OIDC `sub`. */
export interface DevUser {
  /** Login name typed into the sign-in form; also the account id. */
  id: string;
  /** Standard OIDC claims served by userinfo (filtered by the granted scopes). */
  claims: Record<string, unknown>;
}

// 300 Unicode code points (more than 300 UTF-16 units, because of the emoji), so that length
// limits are tested against what a user sees, not against JavaScript's `.length`.
const CAROL_NAME_SEED = 'Carol 🦄 Ünïcødé-Wonderland van der Bérg 🌸 ';
const CAROL_NAME = Array.from(CAROL_NAME_SEED.repeat(10)).slice(0, 300).join('');

/** The demo accounts, listed on the sign-in page (any password works). */
export const DEMO_USERS: readonly DevUser[] = Object.freeze([
  {
    id: 'alice',
    claims: {
      sub: 'alice',
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      nickname: 'ally',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      phone_number: '+62 812-3456-7890',
      phone_number_verified: true,
      picture: 'https://www.gravatar.com/avatar/0?d=identicon',
    },
  },
  {
    // Only what every IdP must send: the mapping has to cope with no name, email or phone.
    id: 'bob',
    claims: { sub: 'bob', preferred_username: 'bob' },
  },
  {
    id: 'carol',
    claims: {
      sub: 'carol',
      name: CAROL_NAME,
      preferred_username: 'carol',
      // Unverified, mixed case, sub-addressed: a mapping must not trust or "fix" it silently.
      email: 'Carol+Chat@Example.COM',
      email_verified: false,
      // National format, no country code: E.164 conversion needs a default region or fails.
      phone_number: '0812 3456 7890',
      // A script URL must never be rendered as a link or image source.
      picture: 'javascript:alert(document.cookie)',
    },
  },
]);
