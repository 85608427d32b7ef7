/**
 * The emulator as an Express app, without listening: tests and the demo mount or listen it
 * themselves (`startEmulator` does the usual case).
 */
import express, { type Express } from 'express';
import { ADMIN_PREFIX, adminRouter } from './admin.js';
import { apiRouter } from './api.js';
import { createEmulator, type Emulator } from './core.js';
import { standInRouter } from './standin.js';
import { VISITOR_PREFIX, visitorRouter } from './visitor.js';

/**
 * Builds the app serving `emulator`: the OneTalk API routes, the widget's visitor API and a
 * stand-in launcher script, and the `/__emulator/` admin routes.
 * Pass the emulator you built with `createEmulator` to keep in-process access to its state.
 */
export function createEmulatorApp(emulator: Emulator = createEmulator()): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // answers are per-call; a 304 would only confuse clients under test
  app.use(ADMIN_PREFIX, adminRouter(emulator));
  // The widget's side: its launcher script and the visitor API it calls from the browser.
  app.use(standInRouter());
  app.use(VISITOR_PREFIX, visitorRouter(emulator));
  app.use(apiRouter(emulator));
  return app;
}
