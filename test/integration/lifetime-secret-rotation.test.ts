import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemorySessionStore } from '../../src/session/index.js';
import { startSystem, TEST_SESSION_SECRET, type System } from '../helpers/gateway.js';
import { readyzBecomes } from '../helpers/net.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';

const OLD = TEST_SESSION_SECRET;
const NEW = 'session-secret-B-NEVER-LEAK-fedcba9876543210';

/** The `name=value` pair of the session cookie in a response, if it sets one. */
function sessionCookieIn(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('onetalk.sid='));
}

/**
 * A ticket request carrying exactly this cookie, as a browser that kept it across the deploy.
 * The body is read to the end, as the widget does, so the session write is done when this resolves.
 */
async function ticketWith(system: System, cookie: string): Promise<{ status: number; code?: string; setCookie?: string }> {
  const res = await fetch(`${system.url}/api/livechat/ticket`, { method: 'POST', headers: { cookie, 'x-csrf': '1' } });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, ...(body.code ? { code: body.code } : {}), ...(sessionCookieIn(res) ? { setCookie: sessionCookieIn(res) } : {}) };
}

/** The session id inside a signed cookie value `<tag>.<id>.<signature>`. */
const sessionIdOf = (cookie: string) => /^onetalk\.sid=([\w-]+\.[\w-]+)\./.exec(cookie)?.[1];

const REDIS_URL = TEST_REDIS_URL;

for (const mode of ['memory', 'redis'] as const) describeRotation(mode);

function describeRotation(mode: 'memory' | 'redis'): void {
  describe(`SESSION_SECRET rotation across a restart (${mode} store)`, function () {
    // The store outlives the instances, as Redis outlives a deploy; only the process restarts.
    const store = new MemorySessionStore({ pruneIntervalMs: 0 });
    const prefix = `test-${randomUUID()}:`;
    let running: System | undefined;
    let oldCookie: string;

    async function restartWith(secret: string): Promise<System> {
      await running?.close();
      running =
        mode === 'memory'
          ? await startSystem({ env: { SESSION_SECRET: secret }, deps: { sessionStore: store } })
          : await startSystem({ env: { SESSION_SECRET: secret, REDIS_URL, REDIS_KEY_PREFIX: prefix } });
      await readyzBecomes(running.url, 200, 10_000);
      return running;
    }

    before(async () => {
      const first = await restartWith(OLD);
      const alice = await first.signIn('alice');
      const cookie = (await alice.cookies(first.url)).find((c) => c.key === 'onetalk.sid');
      oldCookie = `onetalk.sid=${cookie?.value ?? ''}`;
      expect(sessionIdOf(oldCookie)).to.match(/^[\w-]{11}\.[\w-]{43}$/);
      expect((await ticketWith(first, oldCookie)).status).to.equal(200);
    });
    after(async () => {
      await running?.close();
      if (mode === 'redis') await dropKeys(prefix);
    });

    it('accepts a cookie signed with the old secret when the old one is still listed (SESSION_SECRET=B,A)', async () => {
      const system = await restartWith(`${NEW},${OLD}`);
      const res = await ticketWith(system, oldCookie);
      expect(res.status).to.equal(200);
      // The cookie comes back signed with the new, first secret: same session, new signature.
      const resigned = res.setCookie;
      expect(resigned).to.be.a('string').and.not.equal(oldCookie);
      expect(sessionIdOf(resigned ?? '')).to.equal(sessionIdOf(oldCookie));
    });

    it('refuses the old cookie once the old secret is dropped (SESSION_SECRET=B), but not a re-signed one', async () => {
      let system = await restartWith(`${NEW},${OLD}`);
      const resigned = (await ticketWith(system, oldCookie)).setCookie ?? '';

      system = await restartWith(NEW);
      const refused = await ticketWith(system, oldCookie);
      expect(refused).to.include({ status: 401, code: 'not_signed_in' });
      expect((await ticketWith(system, resigned)).status).to.equal(200);
    });
  });
}
