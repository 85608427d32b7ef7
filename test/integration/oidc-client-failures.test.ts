/**
 * How OidcClient.refresh sorts a token endpoint's failures, against a real loopback server that
 * answers what real IdPs and the proxies in front of them answer when things go wrong (as
 * openid-client's own tests do): 5xx pages, OAuth errors in JSON or in WWW-Authenticate, and
 * descriptions no log line should carry raw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { OidcClient } from '../../src/auth/oidc.js';
import { createLogger } from '../../src/http/index.js';

interface Canned {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

describe('OidcClient.refresh when the token endpoint fails', () => {
  let server: Server;
  let issuer: string;
  let next: Canned = { status: 500, body: '' };
  let userinfo: Canned = { status: 500, body: '' };
  let oidc: OidcClient;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, userinfo_endpoint: `${issuer}/me`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] }));
        return;
      }
      const answer = req.url === '/me' ? userinfo : next;
      req.resume();
      req.on('end', () => res.writeHead(answer.status, answer.headers ?? {}).end(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    oidc = new OidcClient(
      { issuerUrl: issuer, clientId: 'gateway', clientAuth: { method: 'client_secret_basic', secret: 's3cret' }, redirectUri: 'http://127.0.0.1:9/auth/callback', scopes: ['openid'], allowInsecureRequests: true },
      createLogger('silent'),
    );
    oidc.start();
    await oidc.whenReady();
  });
  after(async () => {
    oidc.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (status: number, body: unknown): Canned => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const cases: Array<[string, Canned, Record<string, unknown>]> = [
    ['a proxy\'s 502 HTML page', { status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad Gateway</h1>' }, { kind: 'unavailable' }],
    ['a 503 with a JSON OAuth error', json(503, { error: 'temporarily_unavailable' }), { kind: 'unavailable' }],
    ['a 500 server_error', json(500, { error: 'server_error' }), { kind: 'unavailable' }],
    ['429 Too Many Requests without a body', { status: 429, body: '' }, { kind: 'unavailable' }],
    ['invalid_client in a WWW-Authenticate challenge', { status: 401, headers: { 'www-authenticate': 'Basic realm="idp", error="invalid_client", error_description="client authentication failed"' }, body: '' }, { kind: 'refused', oauth: { error: 'invalid_client', description: 'client authentication failed', status: 401 } }],
    ['unauthorized_client in JSON', json(400, { error: 'unauthorized_client', error_description: 'refresh_token grant not allowed' }), { kind: 'refused', oauth: { error: 'unauthorized_client', description: 'refresh_token grant not allowed', status: 400 } }],
    ['invalid_grant in JSON', json(400, { error: 'invalid_grant', error_description: 'grant request is invalid' }), { kind: 'revoked', oauth: { error: 'invalid_grant', description: 'grant request is invalid', status: 400 } }],
    ['a 200 that is not a token response', json(200, { hello: 'world' }), { kind: 'invalid' }],
  ];
  for (const [name, canned, expected] of cases) {
    it(`sorts ${name} as ${String(expected.kind)}`, async () => {
      next = canned;
      expect(await oidc.refresh('rt', 'alice')).to.deep.include(expected);
    });
  }

  it('keeps an IdP description to one bounded line for the log', async () => {
    next = json(400, { error: 'invalid_client', error_description: `line one\r\nline two${'x'.repeat(1000)}` });
    const outcome = await oidc.refresh('rt', 'alice');
    if (outcome.kind !== 'refused') expect.fail(outcome.kind);
    expect(outcome.oauth?.description).to.match(/^line one line twox+$/).and.have.length(300);
  });

  describe('after the token endpoint answered (no ID token, a rotated refresh token)', () => {
    beforeEach(() => {
      next = json(200, { access_token: 'at', token_type: 'Bearer', refresh_token: 'rt-2' });
    });

    it('keeps the rotated token when userinfo cannot be read, with no profile this time', async () => {
      userinfo = { status: 503, body: '' };
      const outcome = await oidc.refresh('rt-1', 'alice');
      if (outcome.kind !== 'refreshed') expect.fail(outcome.kind);
      expect(outcome).to.deep.include({ claims: undefined, rotated: true });
      expect(outcome.tokens.refreshToken).to.equal('rt-2');
      expect(outcome.profileError).to.match(/HTTP 503/);
    });

    it('refuses a userinfo answer about another subject', async () => {
      userinfo = json(200, { sub: 'mallory', name: 'Mallory' });
      expect(await oidc.refresh('rt-1', 'alice')).to.deep.equal({ kind: 'invalid', reason: 'userinfo names a different subject' });
    });

    it('takes the profile from userinfo', async () => {
      userinfo = json(200, { sub: 'alice', name: 'Alice' });
      const outcome = await oidc.refresh('rt-1', 'alice');
      expect(outcome).to.deep.include({ kind: 'refreshed', claims: { sub: 'alice', name: 'Alice' }, rotated: true });
    });
  });
});
