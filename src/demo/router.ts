/**
 * The demo's routes on the gateway (mounted through `AppDeps.demoRouter`, never in production):
 * the host page at `/`, its same-origin script and stylesheet under `/demo/`, and
 * `/demo/config.json` telling the page where the widget comes from and its (public) key.
 */
import { join } from 'node:path';
import express, { Router } from 'express';
import helmet from 'helmet';
import { publicDir } from '../livechat/widget.js';
import { renderDemoPage } from './page.js';

/** Options of {@link createDemoRouter}. */
export interface DemoRouterOptions {
  /** The OneTalk emulator's base URL: it serves the stand-in widget and its visitor API. */
  emulatorUrl: string;
  /** The stand-in widget's launcher script (on the emulator), loaded as OneTalk's would be. */
  widgetScriptUrl: string;
  /** The widget key the page passes to `TapTalkLive.init`: public, never the API key. */
  widgetKey: string;
  /** The development IdP's origin: sign-out redirects there. */
  idpUrl: string;
}

/**
 * Builds the demo router. The page's CSP is helmet's default, relaxed by exactly what embedding
 * OneTalk's widget needs and what sign-out needs: the emulator (the widget's origin) in
 * `script-src`, `style-src` and `connect-src`, and the IdP in `form-action` (Chromium applies
 * form-action to the redirects that follow a sign-out form POST). No inline code anywhere.
 */
export function createDemoRouter(options: DemoRouterOptions): Router {
  const emulatorOrigin = new URL(options.emulatorUrl).origin;
  const idpOrigin = new URL(options.idpUrl).origin;
  const router = Router();
  const pageCsp = helmet.contentSecurityPolicy({
    useDefaults: true,
    directives: {
      'script-src': ["'self'", emulatorOrigin],
      'connect-src': ["'self'", emulatorOrigin],
      'form-action': ["'self'", idpOrigin],
      'style-src': ["'self'", emulatorOrigin],
    },
  });
  const html = renderDemoPage();

  router.get('/', pageCsp, (_req, res) => {
    res.set({
      // Static markup (the script asks who is signed in), revalidated so a restarted demo shows.
      'Cache-Control': 'no-cache',
      // helmet's `no-referrer` makes Chromium send `Origin: null` with the sign-out form POST,
      // which the gateway's origin check rightly refuses. `same-origin` keeps the real Origin
      // for our own forms and still sends no Referer to the emulator or the IdP.
      'Referrer-Policy': 'same-origin',
    });
    res.type('html').send(html);
  });
  // A page of this origin without the demo's script: the browser tests load /livechat.js into it
  // as an embedding page would (an API answer's CSP, default-src 'none', would refuse the import).
  router.get('/demo/blank', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('html').send('<!doctype html><html lang="en"><meta charset="utf-8"><title>blank</title></html>');
  });
  router.get('/demo/config.json', (_req, res) => {
    const { emulatorUrl, widgetScriptUrl, widgetKey } = options;
    res.set('Cache-Control', 'no-store').json({ emulatorUrl, widgetScriptUrl, widgetKey });
  });
  router.use('/demo', express.static(join(publicDir(), 'demo'), { index: false, fallthrough: true }));
  return router;
}
