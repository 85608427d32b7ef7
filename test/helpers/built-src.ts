/**
 * The project's TypeScript, compiled for the child processes that tests start (the gateway, the
 * emulator, the sync CLI, the bench's hosts). Through tsx each of those processes spends about a
 * second of CPU more on loading than compiled code does, and `npm test` starts a few dozen.
 *
 * esbuild transforms `src/` and `bench/` file by file (no bundling: the module graph, the
 * `.js` import paths and the JSON import attributes stay as written, as `npm run build` leaves
 * them) into `node_modules/.cache/gateway-tests/<hash>/`, with the JSON files, `package.json` and
 * the emulator's stand-in assets beside them. `<hash>` covers every input file's path, size and
 * modification time (tsconfig.json's too) and esbuild's version, so an edited source is never
 * run stale; each process builds at most once, and concurrent test processes agree on the
 * result (built aside, then renamed into place; a failed build leaves nothing behind).
 * Modules still find `public/` and `node_modules/` by walking up to the repository.
 */
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'gateway-tests');
/** Copied as they are: what the code reads or imports besides its own modules. */
const ASSETS = ['package.json', 'config', 'src/emulator/standin'];

const filesUnder = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));

function inputsHash(files: string[]): string {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`);
  for (const file of files.sort()) {
    const { size, mtimeMs } = statSync(join(ROOT, file));
    hash.update(`${file}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

let built: string | undefined;

function build(): string {
  const sources = [...filesUnder('src'), ...filesUnder('bench')];
  // tsconfig.json too: esbuild reads it.
  const inputs = ['tsconfig.json', ...sources, ...ASSETS.flatMap((asset) => (statSync(join(ROOT, asset)).isDirectory() ? filesUnder(asset) : [asset]))];
  const out = join(CACHE, inputsHash(inputs));
  if (existsSync(out)) return out;
  const aside = `${out}.${randomUUID()}`;
  try {
    buildSync({
      entryPoints: sources.filter((file) => file.endsWith('.ts')).map((file) => join(ROOT, file)),
      outbase: ROOT,
      outdir: aside,
      format: 'esm',
      platform: 'node',
      target: 'node20.10',
      supported: { 'import-attributes': true },
      logLevel: 'error',
    });
    for (const asset of ASSETS) cpSync(join(ROOT, asset), join(aside, asset), { recursive: true, filter: (path) => !path.endsWith('.ts') });
  } catch (err) {
    rmSync(aside, { recursive: true, force: true });
    throw err;
  }
  try {
    renameSync(aside, out);
  } catch (err) {
    // Another test process put the same build there first.
    rmSync(aside, { recursive: true, force: true });
    if (!existsSync(out)) throw err;
  }
  return out;
}

/** The compiled module of a TypeScript entry point such as `src/server.ts`, as an absolute path. */
export function builtEntry(entry: string): string {
  built ??= build();
  return join(built, entry.replace(/\.ts$/, '.js'));
}
