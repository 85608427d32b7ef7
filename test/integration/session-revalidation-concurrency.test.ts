/**
 * One session is never refreshed twice at once. The IdP rotates refresh tokens and revokes the
 * whole grant when a spent one comes back, so a second refresh with the same token would sign the
 * user out: many parallel ticket requests on a due session must make exactly one refresh at the
 * real oidc-provider, in one instance (both stores) and across two instances sharing Redis.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createApp, type Gateway } from '../../src/app.js';
import { createLogger } from '../../src/http/index.js';
import { startRevalidationSystem, PERIOD_MS, STORE_MODES, waitFor, type RevalidationSystem, type StoreMode } from '../helpers/revalidation.js';

const PARALLEL = 16;

/** A second gateway instance on the first one's config, clock and log. */
async function secondInstance(rv: RevalidationSystem): Promise<{ gateway: Gateway; server: Server; url: string }> {
  const sink = new Writable({ write: (chunk, _enc, done) => { rv.system.logs.push(String(chunk)); done(); } });
  const gateway = createApp(rv.system.config, { logger: createLogger('trace', sink), now: rv.now });
  const server = gateway.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await gateway.oidc.whenReady();
  return { gateway, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function scenarios(mode: StoreMode): Array<[string, number]> {
  return mode === 'redis' ? [['on one instance', 1], ['on two instances sharing Redis', 2]] : [['on one instance', 1]];
}

for (const mode of STORE_MODES) {
  describe(`one refresh per session at a time (${mode} sessions)`, function () {
    this.timeout(30_000);
    let rv: RevalidationSystem;
    let second: Awaited<ReturnType<typeof secondInstance>> | undefined;

    before(async () => {
      rv = await startRevalidationSystem(mode);
      if (mode === 'redis') second = await secondInstance(rv);
    });
    after(async () => {
      second?.server.closeAllConnections();
      second?.server.close();
      await second?.gateway.close();
      await rv?.close();
    });

    for (const [where, instances] of scenarios(mode)) {
      it(`${where}: ${PARALLEL} parallel ticket requests on a due session make exactly one refresh, and all get a ticket`, async () => {
        const urls = [rv.system.url, ...(instances === 2 && second ? [second.url] : [])];
        const browser = await rv.system.signIn(instances === 2 ? 'judy' : 'mallory');
        const cookie = await browser.jar.getCookieString(rv.system.url);
        const before = rv.idp.refreshes;
        let arrived = 0;
        const servers = [rv.system.server, ...(instances === 2 && second ? [second.server] : [])];
        const count = (req: { url?: string }) => void (req.url?.includes('/ticket') && (arrived += 1));
        for (const server of servers) server.on('request', count);

        rv.advance(PERIOD_MS);
        rv.idp.hold(); // the IdP is slow: every request finds the refresh in flight
        const reachedIdp = rv.idp.tokenRequest();
        const answers = Array.from({ length: PARALLEL }, (_, i) =>
          fetch(`${urls[i % urls.length]}/api/livechat/ticket`, { method: 'POST', headers: { cookie, 'x-csrf': '1' } }));
        try {
          await reachedIdp;
          await waitFor(() => arrived === PARALLEL, 'every request to reach a gateway');
        } finally {
          rv.idp.release();
          for (const server of servers) server.off('request', count);
        }
        const statuses = await Promise.all(answers.map(async (p) => (await p).status));
        expect(statuses).to.deep.equal(Array.from({ length: PARALLEL }, () => 200));
        await rv.idp.refreshed(before + 1);

        // Still one: the session is fresh now, and the rotated token in the store is the live one.
        for (const url of urls) expect((await fetch(`${url}/api/livechat/ticket`, { method: 'POST', headers: { cookie, 'x-csrf': '1' } })).status).to.equal(200);
        expect(rv.idp.refreshes).to.equal(before + 1);
        rv.advance(PERIOD_MS);
        expect((await fetch(`${urls.at(-1)}/api/livechat/ticket`, { method: 'POST', headers: { cookie, 'x-csrf': '1' } })).status).to.equal(200);
        expect(rv.idp.refreshes).to.equal(before + 2);
      });
    }
  });
}
