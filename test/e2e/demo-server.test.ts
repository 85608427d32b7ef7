import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { assertNotProduction, DemoRefusedError } from '../../src/demo/config.js';
import { startDemo, type Demo } from '../../src/demo/start.js';
import { createLogger } from '../../src/http/index.js';

// These need no browser: the demo's HTTP surface and its refusal to run in production.
describe('the demo server', function () {
  this.timeout(60_000);

  describe('in demo mode', () => {
    let demo: Demo;
    before(async () => {
      demo = await startDemo();
    });
    after(async () => {
      await demo?.close();
    });

    it('serves /livechat.js as a cacheable, embeddable script with an ETag', async () => {
      const res = await fetch(`${demo.url}livechat.js`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('public, max-age=300');
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      expect(res.headers.get('cross-origin-resource-policy')).to.equal('cross-origin');
      expect(res.headers.get('etag')).to.match(/^"[A-Za-z0-9_-]{27}"$/);
      expect(await res.text()).to.include('export function createLivechatClient');
    });

    it('answers /livechat.js with 304 to a matching If-None-Match', async () => {
      const etag = (await fetch(`${demo.url}livechat.js`)).headers.get('etag') ?? '';
      // Cache-Control as a browser revalidating its cache sends it (fetch would otherwise add
      // `no-cache`, which tells the server to ignore the condition).
      const res = await fetch(`${demo.url}livechat.js`, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
      expect(res.status).to.equal(304);
      expect(await res.text()).to.equal('');
    });

    it('serves the demo page under a CSP without inline code, open only to the widget\'s origin and the IdP', async () => {
      const res = await fetch(demo.url);
      expect(res.status).to.equal(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      const emulator = new URL(demo.emulator.url).origin;
      expect(csp).to.not.include('unsafe-inline');
      expect(csp).to.include(`script-src 'self' ${emulator};`);
      expect(csp).to.include(`style-src 'self' ${emulator};`);
      expect(csp).to.match(new RegExp(`connect-src 'self' ${emulator}(;|$)`));
      expect(csp).to.include(`form-action 'self' ${new URL(demo.idp.issuer).origin}`);
      expect(await res.text()).to.not.match(/<script>|<style>|\sstyle=|\son[a-z]+=/);
    });

    it('tells the page where the widget comes from and its public key, never the API key', async () => {
      const res = await fetch(`${demo.url}demo/config.json`);
      const body = await res.json();
      expect(body).to.deep.equal({ emulatorUrl: demo.emulator.url, widgetScriptUrl: demo.emulator.launcherUrl, widgetKey: 'dev-onetalk-widget-key' });
      expect(JSON.stringify(body)).to.not.include(demo.config.onetalk.apiKey);
    });

    it('serves the widget adapter /livechat-onetalk.js like /livechat.js, importing it', async () => {
      const res = await fetch(`${demo.url}livechat-onetalk.js`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      expect(res.headers.get('etag')).to.match(/^"[A-Za-z0-9_-]{27}"$/);
      const source = await res.text();
      expect(source).to.include("from './livechat.js'");
      expect(source).to.include('export function connectOneTalkWidget');
    });
  });

  describe('without a demo router (production)', () => {
    it('serves /livechat.js but neither the demo page nor its assets', async () => {
      const demo = await startDemo();
      const gateway = createApp(demo.config, { logger: createLogger('silent') });
      const server = gateway.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const address = server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      try {
        expect((await fetch(`${base}/livechat.js`)).status).to.equal(200);
        expect((await fetch(`${base}/livechat-onetalk.js`)).status).to.equal(200);
        for (const path of ['/', '/demo/config.json', '/demo/app.js']) {
          expect((await fetch(`${base}${path}`)).status, path).to.equal(404);
        }
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await gateway.close();
        await demo.close();
      }
    });
  });

  describe('NODE_ENV=production', () => {
    it('is refused by assertNotProduction, whatever the case or spacing', () => {
      for (const value of ['production', 'Production', ' PRODUCTION ']) {
        expect(() => assertNotProduction({ NODE_ENV: value }), value).to.throw(DemoRefusedError, /NODE_ENV=production/);
      }
      for (const value of [undefined, '', 'development', 'test']) {
        expect(() => assertNotProduction({ NODE_ENV: value })).to.not.throw();
      }
    });

    it('makes `npm run demo` exit 1 with a clear message before starting anything', async () => {
      // `npm run demo` is `tsx src/demo/main.ts`: the same loader, without the npx and tsx CLI
      // processes in front of it.
      const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
        cwd: fileURLToPath(new URL('../../', import.meta.url)),
        env: { ...process.env, NODE_ENV: 'production' },
      });
      const failure = await run.then(
        () => undefined,
        (err: unknown) => err as { code?: number; stdout?: string; stderr?: string },
      );
      expect(failure?.code).to.equal(1);
      expect(failure?.stderr).to.include('npm run demo refuses to run with NODE_ENV=production');
      expect(failure?.stdout).to.not.include('open http');
    });
  });
});
