import { Writable } from 'node:stream';
import { expect } from 'chai';
import { LoginError } from '../../src/auth/oidc-errors.js';
import { signInProblem } from '../../src/auth/sign-in-problem.js';
import { createLogger } from '../../src/http/index.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  return { lines, logger: createLogger('info', sink) };
}

describe('signInProblem: what the browser hears when the IdP exchange fails', () => {
  const oauth = { error: 'invalid_client', description: 'client authentication failed', status: 401 };
  const cases: Array<[LoginError, number, string, string, RegExp, number]> = [
    [new LoginError('client_refused', 'the IdP answered 401 invalid_client', { oauth }), 502, 'idp_refused', 'Sign-in could not be completed', /not something you did/, 50],
    [new LoginError('grant_refused', 'the IdP answered 400 invalid_grant', { oauth: { ...oauth, error: 'invalid_grant', status: 400 } }), 400, 'login_failed', 'Sign-in could not be completed', /no longer accepts this sign-in attempt/, 40],
    [new LoginError('exchange_failed', 'token endpoint: OAUTH_JWT_CLAIM_COMPARISON_FAILED'), 400, 'login_failed', 'Sign-in failed', /could not be verified/, 40],
    [new LoginError('idp_unreachable', 'the token endpoint could not be reached in time'), 502, 'idp_unreachable', 'Sign-in failed', /could not be reached/, 40],
  ];
  for (const [err, status, code, title, detail, level] of cases) {
    it(`answers ${err.kind} with ${status} ${code} and logs it at level ${level}`, () => {
      const { lines, logger } = capture();
      const problem = signInProblem(err, logger);
      expect([problem.status, problem.code, problem.title]).to.deep.equal([status, code, title]);
      expect(problem.detail).to.match(detail);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level, loginError: err.kind, reason: err.reason });
      if (err.oauth) expect(lines[0]).to.include({ idpError: err.oauth.error, idpErrorDescription: err.oauth.description, idpStatus: err.oauth.status });
    });
  }
});
