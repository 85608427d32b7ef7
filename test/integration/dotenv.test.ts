import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { expect } from 'chai';
import { demoGatewayPort, DemoRefusedError } from '../../src/demo/config.js';
import { loadConfig } from '../../src/config/index.js';
import { minimalEnv, spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/net.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** tsx by absolute URL: the processes below run in a directory without node_modules. */
const tsx = import.meta.resolve('tsx');

const dotenv = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');

/** The node options `npm start` passes before its entry point. */
function startFlags(): string[] {
  const match = /^NODE_ENV=production node (.*)dist\/src\/server\.js$/.exec(packageJson.scripts.start ?? '');
  if (!match) throw new Error(`unexpected start script: ${packageJson.scripts.start}`);
  return (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

describe('.env', function () {
  this.timeout(30_000);
  let dir: string;
  let gateway: GatewayProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-dotenv-'));
  });
  afterEach(() => {
    gateway?.kill();
    gateway = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('npm start', () => {
    it("loads .env with Node's own loader, only when present", () => {
      expect(startFlags()).to.deep.equal(['--env-file-if-exists=.env']);
    });

    it('starts from .env.example copied to .env as it is (placeholders and empty values)', () => {
      expect(() => loadConfig(parseEnv(readFileSync(join(root, '.env.example'), 'utf8')))).not.to.throw();
    });

    it('takes the configuration from .env, and a variable already in the environment wins', async () => {
      const [filePort, envPort] = [await freePort(), await freePort()];
      writeFileSync(join(dir, '.env'), dotenv(minimalEnv(filePort, { PUBLIC_URL: 'http://localhost:8443' })));
      gateway = await spawnGateway({
        cwd: dir,
        env: { PORT: String(envPort) },
        command: { file: process.execPath, args: [...startFlags(), '--import', tsx, join(root, 'src/server.ts')] },
      });
      const listening = await gateway.waitForLine((l) => l.msg === 'gateway listening', 1000);
      expect(listening).to.include({ port: envPort, publicUrl: 'http://localhost:8443' });
    });
  });

  describe('the test suite', () => {
    it('never passes an env file to the processes it runs', () => {
      const mocharc = readFileSync(join(root, '.mocharc.json'), 'utf8');
      for (const text of [packageJson.scripts.test, packageJson.scripts['test:deploy'], mocharc]) expect(text).not.to.match(/env-file|loadEnvFile/);
    });

    it('starts gateways that ignore a .env in their working directory', async () => {
      writeFileSync(join(dir, '.env'), dotenv(minimalEnv(await freePort())));
      // Exactly as the suites spawn src/server.ts, but from a directory holding a complete .env.
      const child = spawn(process.execPath, ['--import', tsx, join(root, 'src/server.ts')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const [code] = (await once(child, 'close')) as [number];
      expect(code).to.equal(1);
      expect(stderr).to.include('PUBLIC_URL: is required');
    });
  });

  describe('npm run demo', () => {
    it('reads only PORT from a production .env, serves there and says so', async () => {
      const port = await freePort();
      writeFileSync(
        join(dir, '.env'),
        dotenv({ NODE_ENV: 'production', PORT: String(port), SESSION_SECRET: 'short', REDIS_URL: 'redis://127.0.0.1:9', OIDC_ISSUER_URL: 'https://idp.example.com' }),
      );
      const child = spawn(process.execPath, ['--import', tsx, join(root, 'src/demo/main.ts')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
            if (stdout.includes('Ctrl-C')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`demo exited (${code}): ${stderr}`)));
        });
        expect(stdout).to.include(`open http://127.0.0.1:${port}/`);
        expect(stdout).to.match(new RegExp(`Ports: gateway ${port} \\(PORT, from \\.env\\), IdP \\d+, emulator \\d+\\.`));
        const page = await fetch(`http://127.0.0.1:${port}/`);
        expect(page.status).to.equal(200);
        // Its own Redis-less, development-mode gateway: sessions work without the .env's Redis.
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });

    it('prefers PORT from the environment over .env, and refuses a bad one by where it came from', () => {
      writeFileSync(join(dir, '.env'), 'PORT=4321\nNODE_ENV=production\n');
      const envFile = join(dir, '.env');
      expect(demoGatewayPort({ PORT: '5000' }, envFile)).to.deep.equal({ port: 5000, source: 'environment' });
      expect(demoGatewayPort({}, envFile)).to.deep.equal({ port: 4321, source: '.env' });
      expect(demoGatewayPort({}, join(dir, 'missing.env'))).to.equal(undefined);
      writeFileSync(envFile, 'PORT=http\n');
      expect(() => demoGatewayPort({}, envFile)).to.throw(DemoRefusedError, `PORT (from ${envFile}) must be a whole number.`);
    });
  });
});
