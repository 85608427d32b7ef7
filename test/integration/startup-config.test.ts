import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { builtEntry } from '../helpers/built-src.js';
import { VALID_ENV } from '../helpers/config-env.js';

/**
 * Runs `src/server.ts` as operators do (compiled, see `built-src.ts`); resolves with its exit code and stderr. A
 * process still running after `deadlineMs` accepted the config: it is killed, and the answer
 * says so (code `null`), so the test fails instead of leaving a gateway behind.
 */
async function start(env: Record<string, string>, deadlineMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [builtEntry('src/server.ts')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}

describe('start-up with an unsafe proxy or origin setting', function () {
  this.timeout(30_000);

  it('exits 1 before listening, naming TRUST_PROXY=true and every refused origin with the reason', async () => {
    const { code, stderr } = await start({
      PORT: '0',
      ...VALID_ENV,
      TRUST_PROXY: 'true',
      ALLOWED_ORIGINS: 'https://www.example.com,http://shop.example.com,https://*.example.com',
    });
    expect(code).to.equal(1);
    expect(stderr).to.include('TRUST_PROXY: true would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1)');
    expect(stderr).to.include('ALLOWED_ORIGINS: "http://shop.example.com" must use https (plain http is allowed only for a loopback origin)');
    expect(stderr).to.include('ALLOWED_ORIGINS: "https://*.example.com" is a wildcard, which never matches: list each origin');
    expect(stderr).to.not.include('www.example.com"');
  });
});
