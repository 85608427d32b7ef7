/**
 * The one environment check of `npm run demo`. The demo generates its own secrets, trusts a
 * development IdP that accepts any password, and answers with an emulated OneTalk: it must never
 * run where NODE_ENV says production. Lives in src/config, the only reader of the environment.
 */

/** Thrown by {@link assertNotProduction}; the message is meant for the terminal as is. */
export class DemoRefusedError extends Error {
  override readonly name = 'DemoRefusedError';
}

/** Throws {@link DemoRefusedError} when `NODE_ENV` is `production` (any case, surrounding spaces ignored). */
export function assertNotProduction(env: NodeJS.ProcessEnv = process.env): void {
  if ((env.NODE_ENV ?? '').trim().toLowerCase() === 'production') {
    throw new DemoRefusedError(
      'npm run demo refuses to run with NODE_ENV=production: it signs anyone in with any password ' +
        'and talks to a fake OneTalk. Unset NODE_ENV for the demo; use `npm start` in production.',
    );
  }
}
