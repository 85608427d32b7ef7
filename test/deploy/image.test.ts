import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { repoRoot } from '../helpers/deploy-files.js';
import { freePort, readyzBecomes } from '../helpers/net.js';
import { dropKeys, TEST_REDIS_URL } from '../helpers/redis.js';
import { buildImage, pid1Of, runHealthcheck, runImage, type BuiltImage } from './helpers/image.js';
import { hasCommand } from './helpers/processes.js';
import { startUpstreams, type Upstreams } from './helpers/upstreams.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
/** npm as an operator runs it, going easy on the registry (the lockfile pins every package). */
const npm = (cwd: string, ...args: string[]) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' } });

const dotenv = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => `${name}=${value}\n`).join('');

describe('from a fresh clone, as an operator and as the container image would run it', function () {
  this.timeout(20 * 60_000);
  const prefix = `test-image-${randomBytes(4).toString('hex')}:`;
  let dir: string;
  let clone: string;
  let upstreams: Upstreams | undefined;
  let gateway: GatewayProcess | undefined;

  before(async function () {
    const missing = ['git', 'unshare', 'setpriv', 'tini'].filter((command) => !hasCommand(command));
    const problem = process.getuid?.() !== 0 ? 'it needs root (mount and PID namespaces, switching to the image user)' : missing.length ? `missing ${missing.join(', ')}` : '';
    if (problem) {
      if (process.env.CI) throw new Error(problem);
      console.log(`    skipped: ${problem}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gateway-image-'));
    // The image's unprivileged user must be able to reach its files, as in a real image.
    chmodSync(dir, 0o755);
    clone = join(dir, 'clone');
    const commit = git(repoRoot, 'rev-parse', 'HEAD');
    git(dir, 'clone', '--quiet', '--no-checkout', repoRoot, clone);
    git(clone, 'checkout', '--quiet', commit);
    console.log(`      fresh clone of ${commit.slice(0, 7)} (committed work only)`);
    upstreams = await startUpstreams('http://127.0.0.1:3000');
  });

  afterEach(() => {
    gateway?.kill();
    gateway = undefined;
  });

  after(async () => {
    await upstreams?.close();
    await dropKeys(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const operatorEnv = async (): Promise<Record<string, string>> => ({
    ...upstreams!.env,
    PORT: String(await freePort()),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'info',
  });

  describe('npm ci, npm run build, npm start', () => {
    it('serves with its configuration from .env, a variable already in the environment winning', async () => {
      npm(clone, 'ci', '--no-audit', '--no-fund');
      npm(clone, 'run', 'build');
      const fromFile = await operatorEnv();
      writeFileSync(join(clone, '.env'), dotenv({ ...fromFile, SHUTDOWN_DRAIN_DELAY_MS: '0' }));
      const port = await freePort();
      gateway = await spawnGateway({
        cwd: clone,
        env: { HOME: process.env.HOME ?? '/root', PORT: String(port) },
        command: { file: 'npm', args: ['start'] },
        detached: true,
      });
      expect(gateway.port).to.equal(port);
      await readyzBecomes(`http://127.0.0.1:${port}`, 200, 10_000);
      // As a terminal's Ctrl-C or a Procfile platform does it: the whole process group.
      process.kill(-(gateway.child.pid ?? 0), 'SIGTERM');
      await gateway.closed;
      expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
    });
  });

  describe('the image (Dockerfile replayed: build stage, runtime stage)', () => {
    let built: BuiltImage;
    before(() => {
      built = buildImage(clone, join(dir, 'image'));
      console.log(`      built: ${Object.entries(built.seconds).map(([stage, s]) => `${stage} ${s} s`).join(', ')}`);
    });

    it('holds the compiled server and production dependencies only: no sources, tests, dev packages or .env', () => {
      const has = (path: string) => existsSync(join(built.appDir, path));
      for (const path of ['dist/src/server.js', 'dist/src/healthcheck.js', 'public/livechat.js', 'node_modules/express']) expect(has(path), path).to.equal(true);
      for (const path of ['src', 'test', '.env', '.git', 'node_modules/typescript', 'node_modules/mocha', 'node_modules/tsx', 'dist/src/demo', 'dist/src/emulator']) {
        expect(has(path), path).to.equal(false);
      }
    });

    it('serves as its unprivileged user on a read-only root, node as PID 1: ready, healthy, and SIGTERM ends it cleanly', async () => {
      const env = { ...(await operatorEnv()), SHUTDOWN_DRAIN_DELAY_MS: '3000' };
      gateway = await runImage(built, { env, pid1: 'node' });
      const pid1 = pid1Of(gateway);
      const status = readFileSync(`/proc/${pid1}/status`, 'utf8');
      expect(/^Name:\s+(\S+)/m.exec(status)?.[1]).to.equal('node');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).to.equal((built.image.user ?? '').split(':')[0]);
      expect(/^NSpid:\s+\d+\s+(\d+)/m.exec(status)?.[1], 'its pid inside the namespace').to.equal('1');

      await readyzBecomes(gateway.url, 200, 15_000);
      expect(await runHealthcheck(built, env)).to.deep.include({ code: 0 });

      const signalled = Date.now();
      process.kill(pid1, 'SIGTERM');
      await gateway.waitForLine((l) => l.msg === 'shutting down', 5000);
      // Draining: the health check now reports the failing readiness.
      const draining = await runHealthcheck(built, env);
      expect(draining.code).to.equal(1);
      expect(draining.output).to.include('/readyz answered 503');
      expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
      expect(Date.now() - signalled).to.be.below(3000 + 10_000 + 2000);
      expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
    });

    it('does the same through an init (docker run --init, compose init: true), which forwards SIGTERM to node', async () => {
      gateway = await runImage(built, { env: { ...(await operatorEnv()), SHUTDOWN_DRAIN_DELAY_MS: '0' }, pid1: 'tini' });
      const pid1 = pid1Of(gateway);
      expect(/^Name:\s+(\S+)/m.exec(readFileSync(`/proc/${pid1}/status`, 'utf8'))?.[1]).to.equal('tini');
      await readyzBecomes(gateway.url, 200, 15_000);
      process.kill(pid1, 'SIGTERM');
      expect(await gateway.closed).to.deep.equal({ code: 0, signal: null });
      expect(gateway.lines.at(-1)?.msg).to.equal('stopped');
    });
  });
});
