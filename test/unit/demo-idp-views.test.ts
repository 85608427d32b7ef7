import { expect } from 'chai';
import { renderErrorPage, renderLoginPage } from '../../src/demo/idp-views.js';

const HOSTILE = `"><script>alert('x')</script>&`;
const ESCAPED = '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;';

describe("the development IdP's pages", () => {
  it('escape every interpolated value, in text and in quoted attributes', () => {
    const login = renderLoginPage({ uid: 'u1', users: [{ id: HOSTILE }] as never, error: HOSTILE, login: HOSTILE, clientName: HOSTILE });
    expect(login).not.to.include('<script>');
    expect(login).to.include(`value="${ESCAPED}"`);
    expect(login.split(ESCAPED).length - 1).to.equal(4);
    const error = renderErrorPage(HOSTILE, HOSTILE);
    expect(error).not.to.include('<script>');
    expect(error.split(ESCAPED).length - 1).to.equal(2);
  });
});
