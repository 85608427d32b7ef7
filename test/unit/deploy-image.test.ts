import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { expect } from 'chai';
import { envSchema } from '../../src/config/schema.js';
import { parseDockerfile } from '../helpers/dockerfile.js';
import { read, repoRoot } from '../helpers/deploy-files.js';

// A CommonJS function export that its type declarations call a default export.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options: { ignorecase: boolean }) => Ignore;
const image = parseDockerfile(join(repoRoot, 'Dockerfile'));
const final = image.stages.at(-1);
const ignore = dockerignore({ ignorecase: false }).add(read('.dockerignore'));
const schemaVariables = new Set(Object.keys(envSchema.shape));

describe('Dockerfile', () => {
  it('builds in one stage and ships from another, with production dependencies only', () => {
    expect(image.stages.length).to.be.at.least(2);
    const build = image.stages[0];
    expect(build?.steps.some((step) => step.kind === 'RUN' && /\bnpm run build\b/.test(step.command))).to.equal(true);
    const installs = final?.steps.filter((step) => step.kind === 'RUN' && /\bnpm ci\b/.test(step.command)) ?? [];
    expect(installs).to.have.length(1);
    expect(installs[0]).to.have.property('command').that.matches(/--omit=dev\b/);
    // From the build stage only the compiled output: never its node_modules with dev packages.
    const fromBuild = final?.steps.filter((step) => step.kind === 'COPY' && step.from !== undefined) ?? [];
    expect(fromBuild.flatMap((step) => (step.kind === 'COPY' ? step.sources : []))).to.deep.equal(['/app/dist']);
  });

  it('runs as a numeric, non-root user (so Kubernetes runAsNonRoot can verify it)', () => {
    const match = /^(\d+)(?::(\d+))?$/.exec(image.user ?? '');
    expect(match, `USER ${image.user}`).not.to.equal(null);
    expect(Number(match?.[1])).to.be.above(0);
    expect(Number(match?.[2] ?? match?.[1])).to.be.above(0);
  });

  it('starts node itself in exec form, so SIGTERM reaches it (no npm or shell in between)', () => {
    expect(image.cmd).to.deep.equal(['node', 'dist/src/server.js']);
    expect(existsSync(join(repoRoot, 'src/server.ts'))).to.equal(true);
    expect(image.stopSignal ?? 'SIGTERM').to.equal('SIGTERM');
  });

  it('is health-checked on /healthz and /readyz by a script the build compiles', () => {
    expect(image.healthcheck?.command).to.deep.equal(['node', 'dist/src/healthcheck.js']);
    const script = read('src/healthcheck.ts');
    expect(script).to.include("'/healthz'").and.to.include("'/readyz'");
    // Docker gives up on a check after --timeout: the script must answer before that.
    const seconds = Number(/^(\d+)s$/.exec(image.healthcheck?.flags.timeout ?? '')?.[1]);
    const scriptMs = Number(/const TIMEOUT_MS = (\d+);/.exec(script)?.[1]);
    expect(scriptMs).to.be.below(seconds * 1000);
  });

  it('sets only variables the config schema knows, production mode, and exposes its PORT', () => {
    for (const name of Object.keys(image.env)) expect(schemaVariables, name).to.include(name);
    expect(image.env.NODE_ENV).to.equal('production');
    expect(image.exposed).to.deep.equal([Number(image.env.PORT)]);
  });

  it('copies only what exists in the repository and what .dockerignore lets into the context', () => {
    for (const stage of image.stages) {
      for (const step of stage.steps) {
        if (step.kind !== 'COPY' || step.from !== undefined) continue;
        for (const source of step.sources) {
          expect(existsSync(join(repoRoot, source)), source).to.equal(true);
          expect(ignore.ignores(source), `${source} is excluded by .dockerignore`).to.equal(false);
        }
      }
    }
    // The widget script is served from public/ at run time.
    expect(final?.steps.some((step) => step.kind === 'COPY' && step.sources.includes('public'))).to.equal(true);
  });
});

describe('.dockerignore', () => {
  it('keeps secrets, local state and the repository out of the build context', () => {
    for (const path of ['.env', '.env.production', '.git/config', 'node_modules/x/index.js', 'dist/src/server.js', 'test/unit/x.test.ts']) {
      expect(ignore.ignores(path), path).to.equal(true);
    }
  });
});
