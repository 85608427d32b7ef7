import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/index.js';
import { problemsOf, VALID_ENV } from '../helpers/config-env.js';

const valid = VALID_ENV;
const keyJwt = { ...valid, OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_AUTH: 'private_key_jwt' };


const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');
const rsaJwk = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'gateway-2025' };

describe('loadConfig: the OIDC client variables', () => {
  it('defaults to client_secret_basic, PAR when advertised, no extra parameters, and 5 min / 1 h re-validation', () => {
    const config = loadConfig(valid);
    expect(config.oidc.clientAuth).to.deep.equal({ method: 'client_secret_basic', secret: 'client-secret' });
    expect(config.oidc.usePar).to.equal('auto');
    expect(config.oidc.authParams).to.deep.equal({});
    expect(config.revalidation).to.deep.equal({ intervalMs: 300_000, graceMs: 3_600_000, waitMs: 2_000 });
  });

  it('reads client_secret_post, OIDC_USE_PAR and the re-validation timings', () => {
    const config = loadConfig({ ...valid, OIDC_CLIENT_AUTH: 'client_secret_post', OIDC_USE_PAR: 'true', SESSION_REVALIDATE_MS: '60000', SESSION_REVALIDATE_GRACE_MS: '0', SESSION_REVALIDATE_WAIT_MS: '500' });
    expect(config.oidc.clientAuth).to.deep.equal({ method: 'client_secret_post', secret: 'client-secret' });
    expect(config.oidc.usePar).to.equal(true);
    expect(loadConfig({ ...valid, OIDC_USE_PAR: 'false' }).oidc.usePar).to.equal(false);
    expect(config.revalidation).to.deep.equal({ intervalMs: 60_000, graceMs: 0, waitMs: 500 });
  });

  describe('private_key_jwt', () => {
    const cases: Array<[string, string, string, string | undefined]> = [
      ['a PKCS#8 RSA PEM', rsaPkcs8, 'RS256', undefined],
      ['a PKCS#1 RSA PEM', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 'RS256', undefined],
      ['a SEC1 EC P-384 PEM', ec384.privateKey.export({ type: 'sec1', format: 'pem' }).toString(), 'ES384', undefined],
      ['an Ed25519 PEM', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'Ed25519', undefined],
      ['a PEM pasted on one line with \\n escapes', rsaPkcs8.trim().replace(/\n/g, '\\n'), 'RS256', undefined],
      ['an RSA JWK with kid', JSON.stringify(rsaJwk), 'RS256', 'gateway-2025'],
      ['an RSA JWK asking for PS256', JSON.stringify({ ...rsaJwk, alg: 'PS256' }), 'PS256', 'gateway-2025'],
    ];
    for (const [name, text, alg, kid] of cases) {
      it(`accepts ${name} without a client secret (signs ${alg})`, () => {
        const { clientAuth } = loadConfig({ ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: text }).oidc;
        if (clientAuth.method !== 'private_key_jwt') expect.fail(`method ${clientAuth.method}`);
        expect(clientAuth.key.alg).to.equal(alg);
        expect(clientAuth.key.kid).to.equal(kid);
        // Normalised to PKCS#8, and still the same key.
        expect(clientAuth.key.pkcs8Pem).to.match(/^-----BEGIN PRIVATE KEY-----/);
        const given = text.startsWith('{') ? createPrivateKey({ key: JSON.parse(text), format: 'jwk' }) : createPrivateKey(text.replace(/\\n/g, '\n'));
        expect(createPrivateKey(clientAuth.key.pkcs8Pem).equals(given)).to.equal(true);
      });
    }
  });

  const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const encrypted = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' }).toString();
  const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const { d: _d, ...publicJwk } = rsaJwk;
  const ecJwkWrongAlg = JSON.stringify({ ...ec384.privateKey.export({ format: 'jwk' }), alg: 'RS256' });

  const refused: Array<[string, Record<string, string | undefined>, string[]]> = [
    ['an unknown method', { OIDC_CLIENT_AUTH: 'client_secret_jwt' }, ['OIDC_CLIENT_AUTH: must be one of client_secret_basic, client_secret_post, private_key_jwt']],
    ['a secret method without a secret', { OIDC_CLIENT_AUTH: 'client_secret_post', OIDC_CLIENT_SECRET: '' }, ['OIDC_CLIENT_SECRET: is required (OIDC_CLIENT_AUTH is client_secret_post)']],
    ['a key with a secret method', { OIDC_CLIENT_PRIVATE_KEY: rsaPkcs8 }, ['OIDC_CLIENT_PRIVATE_KEY: is used only with OIDC_CLIENT_AUTH=private_key_jwt; set that, or remove the key']],
    ['private_key_jwt without a key', { ...keyJwt }, ['OIDC_CLIENT_PRIVATE_KEY: is required with OIDC_CLIENT_AUTH=private_key_jwt']],
    ['private_key_jwt with a leftover secret', { ...keyJwt, OIDC_CLIENT_SECRET: 'old', OIDC_CLIENT_PRIVATE_KEY: rsaPkcs8 }, ['OIDC_CLIENT_SECRET: must be empty with OIDC_CLIENT_AUTH=private_key_jwt (the client signs with OIDC_CLIENT_PRIVATE_KEY)']],
    ['a key that is neither PEM nor JWK', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: 'not a key' }, ['OIDC_CLIENT_PRIVATE_KEY: must be a PEM private key ("-----BEGIN PRIVATE KEY-----") or a private JWK ({"kty": …})']],
    ['a public PEM', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: publicPem }, ['OIDC_CLIENT_PRIVATE_KEY: is a PEM public key, not a private key']],
    ['an encrypted PEM', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: encrypted }, ['OIDC_CLIENT_PRIVATE_KEY: is an encrypted PEM; give the key unencrypted (keep it in a secret store instead)']],
    ['a public JWK', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: JSON.stringify(publicJwk) }, ['OIDC_CLIENT_PRIVATE_KEY: is a public JWK; give the private key (with "d")']],
    ['a JWK set', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [rsaJwk] }) }, ['OIDC_CLIENT_PRIVATE_KEY: must be a single JWK object with "kty" (not a JWK set)']],
    ['a 1024-bit RSA key', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: weakRsa }, ['OIDC_CLIENT_PRIVATE_KEY: must be an RSA key of at least 2048 bits']],
    ['a secp256k1 key', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: k1 }, ['OIDC_CLIENT_PRIVATE_KEY: must be an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 private key']],
    ['a JWK whose alg does not fit its key', { ...keyJwt, OIDC_CLIENT_PRIVATE_KEY: ecJwkWrongAlg }, ['OIDC_CLIENT_PRIVATE_KEY: has "alg" RS256, which does not fit a key whose curve signs ES384']],
    ['OIDC_USE_PAR that is not a switch', { OIDC_USE_PAR: 'yes' }, ['OIDC_USE_PAR: must be auto, true or false']],
    ['auth params the gateway owns (after decoding)', { OIDC_AUTH_PARAMS: 'prompt=consent&state=x&%73cope=openid' }, ['OIDC_AUTH_PARAMS: must not set state, scope (the gateway sets them; scopes belong in OIDC_SCOPES)']],
    ['an auth param given twice', { OIDC_AUTH_PARAMS: 'prompt=login&prompt=consent' }, ['OIDC_AUTH_PARAMS: prompt is given twice']],
    ['an auth param without a value', { OIDC_AUTH_PARAMS: 'prompt=' }, ['OIDC_AUTH_PARAMS: prompt needs a value of 1..1024 printable characters']],
    ['an auth param name with a space', { OIDC_AUTH_PARAMS: 'access type=offline' }, ['OIDC_AUTH_PARAMS: "access type" is not a parameter name']],
    ['a re-validation period under a second', { SESSION_REVALIDATE_MS: '500' }, ['SESSION_REVALIDATE_MS: must be at least 1000']],
    ['a grace that is not a number', { SESSION_REVALIDATE_GRACE_MS: 'an hour' }, ['SESSION_REVALIDATE_GRACE_MS: must be a whole number']],
    ['a ticket wait for re-validation over 30 s', { SESSION_REVALIDATE_WAIT_MS: '60000' }, ['SESSION_REVALIDATE_WAIT_MS: must be at most 30000']],
  ];
  for (const [name, override, messages] of refused) {
    it(`refuses ${name}`, () => {
      expect(problemsOf({ ...valid, ...override })).to.deep.equal(messages);
    });
  }

  it('names a bad combination together with every other bad variable, never echoing the key', () => {
    const problems = problemsOf({ ...keyJwt, PUBLIC_URL: 'ftp://x', OIDC_CLIENT_SECRET: 'leftover-secret', OIDC_CLIENT_PRIVATE_KEY: weakRsa, OIDC_USE_PAR: 'maybe' });
    expect(problems).to.deep.equal([
      'PUBLIC_URL: must be an http(s) URL',
      'OIDC_CLIENT_SECRET: must be empty with OIDC_CLIENT_AUTH=private_key_jwt (the client signs with OIDC_CLIENT_PRIVATE_KEY)',
      'OIDC_CLIENT_PRIVATE_KEY: must be an RSA key of at least 2048 bits',
      'OIDC_USE_PAR: must be auto, true or false',
    ]);
    const body = weakRsa.split('\n')[1] ?? '';
    expect(problems.join('\n')).not.to.include(body.slice(0, 20)).and.not.to.include('leftover-secret');
  });

  it('reads extra authorization parameters from a query string', () => {
    const config = loadConfig({ ...valid, OIDC_AUTH_PARAMS: '?prompt=consent&access_type=offline&login_hint=a%40b.example' });
    expect(config.oidc.authParams).to.deep.equal({ prompt: 'consent', access_type: 'offline', login_hint: 'a@b.example' });
    expect(Object.isFrozen(config.oidc.authParams)).to.equal(true);
  });
});
