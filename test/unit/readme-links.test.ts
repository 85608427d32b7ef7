import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

describe('README', () => {
  it('points nowhere outside the repository', () => {
    // A relative path that climbs out starts with `../` (a dot-segment inside a URL path, as in the
    // open-redirect examples `/..//host`, does not).
    expect(readme).not.to.match(/(^|[\s(`'"[])\.\.\//m);
    expect(readme).not.to.match(/\bshared\/[\w.-]+\.(txt|md)\b/);
  });

  it('links only to files that exist in it', () => {
    const links = [...readme.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));
    expect(links).not.to.deep.equal([]);
    for (const href of links) expect(existsSync(fileURLToPath(new URL(href, root))), href).to.equal(true);
  });

  it('names the deployment files that exist', () => {
    for (const path of ['Dockerfile', 'compose.yaml', 'deploy/haproxy/haproxy.cfg', 'deploy/kubernetes/', 'docs/onetalk-user-contact-api.txt']) {
      expect(readme, path).to.include(path.replace(/\/$/, ''));
      expect(existsSync(fileURLToPath(new URL(path, root))), path).to.equal(true);
    }
  });
});
