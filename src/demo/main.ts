/**
 * `npm run demo`: gateway, development IdP and OneTalk emulator in one process, no configuration.
 * Prefers friendly ports (gateway 3000, IdP 3001, emulator 4010) and takes free ones when those
 * are busy. Refuses NODE_ENV=production.
 */
import { assertNotProduction, DemoRefusedError } from '../config/demo.js';
import { createLogger } from '../http/index.js';
import { DEMO_USERS } from './users.js';
import { startDemo } from './start.js';

async function main(): Promise<void> {
  try {
    assertNotProduction();
  } catch (err) {
    if (!(err instanceof DemoRefusedError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }

  // Warnings and errors only: the terminal should show the URL, not a line per request.
  const demo = await startDemo({ ports: { gateway: 3000, idp: 3001, emulator: 4010 }, logger: createLogger('warn') });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Should a socket refuse to close, do not hang the terminal.
    setTimeout(() => process.exit(1), 5_000).unref();
    demo.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`demo: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  // Printed once the signal handlers are in place: whoever reads it may press Ctrl-C at once.
  const users = DEMO_USERS.map((u) => u.id).join(', ');
  process.stdout.write(
    [
      '',
      `  OneTalk gateway demo: open ${demo.url}`,
      '',
      `  Sign in as ${users} (any password).`,
      `  Development IdP ${demo.idp.issuer} · OneTalk emulator ${demo.emulator.url}`,
      '  Ctrl-C stops everything.',
      '',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
