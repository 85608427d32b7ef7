import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { envSchema } from '../config/schema.js';

/**
 * The environment checks of `npm run demo`. The demo generates its own secrets, trusts a
 * development IdP that accepts any password, and answers with an emulated OneTalk: it must never
 * run where NODE_ENV says production. The demo's own reader of the environment, in the demo's
 * folder: the gateway's config (which it reuses for PORT's rule) never depends on the demo.
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

/** Where {@link demoGatewayPort} found PORT. */
export type DemoPortSource = 'environment' | '.env';

/**
 * The port `npm run demo` serves on: `PORT` from the environment, else `PORT` from the `.env`
 * file, else undefined (the demo's friendly default). Nothing else is read from `.env`: a file
 * made for production (NODE_ENV=production, a real issuer, Redis) must not stop or steer the demo,
 * which brings its own IdP, OneTalk emulator and secrets.
 * @throws DemoRefusedError naming PORT and where it came from, when it is not a valid port.
 */
export function demoGatewayPort(
  env: NodeJS.ProcessEnv = process.env,
  envFile = '.env',
): { port: number; source: DemoPortSource } | undefined {
  const fromEnv = env.PORT?.trim() ? env.PORT : undefined;
  const fromFile = fromEnv === undefined && existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')).PORT : undefined;
  const raw = fromEnv ?? (fromFile?.trim() ? fromFile : undefined);
  if (raw === undefined) return undefined;
  const source: DemoPortSource = fromEnv === undefined ? '.env' : 'environment';
  const parsed = envSchema.shape.PORT.safeParse(raw);
  if (!parsed.success) throw new DemoRefusedError(`PORT (from ${source === '.env' ? envFile : 'the environment'}) ${parsed.error.issues[0]?.message ?? 'is invalid'}.`);
  return { port: parsed.data, source };
}
