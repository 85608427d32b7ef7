/**
 * What `docker build` and `docker run` would do with the project's Dockerfile, done with the
 * machine's own tools, since there is no container engine here:
 * - build: each stage gets its own directory standing for its root filesystem; WORKDIR, ENV,
 *   COPY (from the build context, filtered by .dockerignore, or from an earlier stage) and RUN
 *   (`sh -c`, in the stage's WORKDIR, with its ENV) are replayed in order;
 * - run: the CMD starts in new mount and PID namespaces (unshare), with the root filesystem
 *   remounted read-only, as the image's USER (setpriv), with only the image's environment plus
 *   what the operator passes. Node is PID 1 there, as in the container; or an init is (tini,
 *   what `docker run --init` and compose's `init: true` use).
 * The base image itself is stood in for by this machine's Node (the same major version).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { parseDockerfile, type DockerImage } from '../../helpers/dockerfile.js';

// A CommonJS function export that its type declarations call a default export.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options: { ignorecase: boolean }) => Ignore;

export interface BuiltImage {
  readonly image: DockerImage;
  /** The final stage's WORKDIR, on this machine. */
  readonly appDir: string;
  /** The final stage's root directory, on this machine. */
  readonly rootDir: string;
  /** Seconds each stage took. */
  readonly seconds: Record<string, number>;
}

/** Runs a RUN step; throws with its output when it fails. */
function run(command: string, cwd: string, env: Record<string, string>): void {
  const result = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`RUN ${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/** Builds the Dockerfile found in `context` (a fresh clone) into `into`. */
export function buildImage(context: string, into: string): BuiltImage {
  const image = parseDockerfile(join(context, 'Dockerfile'));
  const ignore = dockerignore({ ignorecase: false }).add(existsSync(join(context, '.dockerignore')) ? readFileSync(join(context, '.dockerignore'), 'utf8') : '');
  const roots = new Map<string, string>();
  const seconds: Record<string, number> = {};
  let appDir = '';
  let rootDir = '';
  for (const stage of image.stages) {
    const started = Date.now();
    const root = join(into, stage.name);
    roots.set(stage.name, root);
    let workdir = root;
    let env: Record<string, string> = {};
    mkdirSync(root, { recursive: true });
    for (const step of stage.steps) {
      if (step.kind === 'WORKDIR') {
        workdir = join(root, step.path);
        mkdirSync(workdir, { recursive: true });
      } else if (step.kind === 'ENV') {
        env = { ...env, ...step.vars };
      } else if (step.kind === 'RUN') {
        // The build cache mount (--mount=type=cache,target=/root/.npm) is this machine's npm cache.
        run(step.command, workdir, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', ...env });
      } else {
        const fromRoot = step.from === undefined ? undefined : roots.get(step.from);
        if (step.from !== undefined && !fromRoot) throw new Error(`COPY --from=${step.from}: no such stage`);
        for (const source of step.sources) {
          const src = fromRoot ? join(fromRoot, source) : join(context, source);
          const dest = join(workdir, step.dest);
          // Docker copies a directory's contents, and a file into a destination ending in "/".
          const target = statSync(src).isDirectory() || !step.dest.endsWith('/') ? dest : join(dest, basename(src));
          mkdirSync(dirname(target), { recursive: true });
          cpSync(src, target, {
            recursive: true,
            filter: (path) => fromRoot !== undefined || relative(context, path) === '' || !ignore.ignores(relative(context, path)),
          });
        }
      }
    }
    seconds[stage.name] = Math.round((Date.now() - started) / 1000);
    appDir = workdir;
    rootDir = root;
  }
  return { image, appDir, rootDir, seconds };
}

export interface RunOptions {
  /** What the operator passes (`docker run -e`), on top of the image's ENV. */
  env: Record<string, string>;
  /** `node`: node is PID 1 (plain `docker run`); `tini`: an init is (`docker run --init`). */
  pid1: 'node' | 'tini';
}

/** The image's USER as setpriv options. */
function userOptions(image: DockerImage): string[] {
  const [uid, gid] = (image.user ?? '0').split(':');
  return [`--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups'];
}

/** PATH as a Debian image with Node has it, pointing at this machine's node. */
function imagePath(): string {
  return [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
}

/**
 * Starts the image's CMD like `docker run --read-only --user …` would; resolves once it logs
 * "gateway listening". Its `child` is unshare; {@link pid1Of} gives the process that is PID 1.
 */
export function runImage(built: BuiltImage, options: RunOptions): Promise<GatewayProcess> {
  const { image, appDir } = built;
  const init = options.pid1 === 'tini' ? ['tini', '--'] : [];
  // As root in the new mount namespace: make / read-only, prove it, then drop to the image's user.
  const script = [
    'mount -o remount,bind,ro / || exit 97',
    'if touch "$0/.write-probe" 2>/dev/null; then echo "the root filesystem is writable" >&2; exit 98; fi',
    'cd "$0" && exec "$@"',
  ].join('\n');
  return spawnGateway({
    env: { ...image.env, ...options.env, PATH: imagePath() },
    command: {
      file: 'unshare',
      args: ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--', 'sh', '-c', script, appDir, 'setpriv', ...userOptions(image), '--', ...init, ...image.cmd],
    },
  });
}

/** The host pid of the process that is PID 1 in the image's PID namespace (unshare's child). */
export function pid1Of(gateway: GatewayProcess): number {
  const pid = gateway.child.pid;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`unshare has ${children.length} children`);
  return Number(children[0]);
}

/** Runs the image's HEALTHCHECK command beside it (same user, environment and directory); resolves with its exit code and output. */
export function runHealthcheck(built: BuiltImage, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { image, appDir } = built;
  const command = image.healthcheck?.command;
  if (!command) throw new Error('the image has no HEALTHCHECK');
  const child = spawn('setpriv', [...userOptions(image), '--', ...command], { cwd: appDir, env: { ...image.env, ...env, PATH: imagePath() } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}
