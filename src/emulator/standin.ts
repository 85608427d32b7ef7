/**
 * Serves the stand-in for OneTalk's web widget launcher (`standin/main.js`, `standin/main.css`)
 * at the real launcher's path, so a page loads it exactly as it loads OneTalk's: one script tag,
 * then `TapTalkLive.init(widgetKey)`. Only the origin differs.
 */
import { readFileSync } from 'node:fs';
import { Router } from 'express';

/** The real launcher's path (`…/static/launcher/web/v1.0/main.js`), reused on the emulator. */
export const LAUNCHER_PATH = '/static/launcher/web/v1.0/main.js';
const STYLESHEET_PATH = '/static/launcher/web/v1.0/main.css';

/** Router for the stand-in launcher and its stylesheet; files are read once, at start-up. */
export function standInRouter(): Router {
  const script = readFileSync(new URL('./standin/main.js', import.meta.url));
  const stylesheet = readFileSync(new URL('./standin/main.css', import.meta.url));
  const router = Router({ caseSensitive: true, strict: true });
  const headers = (type: string) => ({
    'Content-Type': `${type}; charset=utf-8`,
    // Revalidated every load: a restarted emulator serves its current file.
    'Cache-Control': 'no-cache',
    // Customer pages on any origin load it, as they load OneTalk's launcher from its CDN.
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  });
  router.get(LAUNCHER_PATH, (_req, res) => void res.set(headers('text/javascript')).send(script));
  router.get(STYLESHEET_PATH, (_req, res) => void res.set(headers('text/css')).send(stylesheet));
  return router;
}
