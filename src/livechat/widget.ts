/**
 * Serves the browser modules `public/livechat.js` (the ticket client) and
 * `public/livechat-onetalk.js` (the OneTalk widget adapter, which imports the former) at
 * `GET /livechat.js` and `GET /livechat-onetalk.js`: public scripts that any page embedding the
 * chat may load, so they carry no session and no secret.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

/**
 * The project's `public/` directory: the first ancestor of this module holding
 * `public/livechat.js`. Works from `src/livechat/` (tsx) and from `dist/src/livechat/` (the built
 * server), where a fixed relative path would differ; package.json is no landmark, since the build
 * copies one into dist/ too.
 */
export function publicDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'public', 'livechat.js'))) return join(dir, 'public');
    if (dirname(dir) === dir) throw new Error(`no public/livechat.js in any directory above ${from}`);
  }
}

/** The modules served, by file name (= URL path below `/`). */
export const WIDGET_FILES = ['livechat.js', 'livechat-onetalk.js'] as const;

/** Options of {@link createWidgetRouter}. */
export interface WidgetRouterOptions {
  /** The directory holding {@link WIDGET_FILES}; default the project's `public/`. */
  dir?: string;
}

/**
 * Router for the widget modules. Files are read once, at start-up: a missing file fails the start
 * rather than the first embedding page.
 */
export function createWidgetRouter(options: WidgetRouterOptions = {}): Router {
  const router = Router();
  const dir = options.dir ?? publicDir();
  for (const file of WIDGET_FILES) serveModule(router, file, readFileSync(join(dir, file)));
  return router;
}

function serveModule(router: Router, file: string, source: Buffer): void {
  const etag = `"${createHash('sha256').update(source).digest('base64url').slice(0, 27)}"`;
  router.get(`/${file}`, (req, res) => {
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      // Unversioned URL: a short max-age keeps deploys visible within minutes; the ETag makes
      // each revalidation a 304.
      'Cache-Control': 'public, max-age=300',
      ETag: etag,
      // Embedding pages live on other origins (ALLOWED_ORIGINS): a module script is fetched with
      // CORS, and helmet's same-origin CORP would block a classic <script>. Nothing here is secret.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.send(source);
  });
}
