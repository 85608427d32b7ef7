/**
 * `npm run demo`: gateway, development IdP and OneTalk emulator in one process, no configuration.
 * The gateway listens on PORT (from the environment, else from `.env`; nothing else of `.env` is
 * read) or on 3000; the IdP prefers the next port and the emulator 4010, and each takes a free
 * one when its port is busy (PORT itself does not: asked for, it is kept or the demo stops).
 * Refuses NODE_ENV=production.
 */
import { assertNotProduction, demoGatewayPort, DemoRefusedError } from './config.js';
import { createLogger } from '../http/index.js';
import { DEMO_USERS } from './users.js';
import { startDemo } from './start.js';

const DEFAULT_PORT = 3000;
const EMULATOR_PORT = 4010;

function askedPort(): ReturnType<typeof demoGatewayPort> {
  try {
    assertNotProduction();
    return demoGatewayPort();
  } catch (err) {
    if (!(err instanceof DemoRefusedError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

const portOf = (url: string): number => Number(new URL(url).port);

async function main(): Promise<void> {
  const asked = askedPort();
  const gatewayPort = asked?.port ?? DEFAULT_PORT;
  // PORT=0 asks for any free port: then the others take any free port too.
  const idpPort = gatewayPort === 0 || gatewayPort >= 65535 ? 0 : gatewayPort + 1;
  // Warnings and errors only: the terminal should show the URL, not a line per request.
  const demo = await startDemo({
    ports: { gateway: gatewayPort, idp: idpPort, emulator: gatewayPort === 0 ? 0 : EMULATOR_PORT },
    exactGatewayPort: asked !== undefined,
    logger: createLogger('warn'),
  });

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
  const ports = { gateway: portOf(demo.url), idp: portOf(demo.idp.issuer), emulator: portOf(demo.emulator.url) };
  const busy = ports.gateway !== gatewayPort ? ` (${gatewayPort} was busy)` : '';
  process.stdout.write(
    [
      '',
      `  OneTalk gateway demo: open ${demo.url}`,
      '',
      `  Sign in as ${users} (any password).`,
      `  Development IdP ${demo.idp.issuer} · OneTalk emulator ${demo.emulator.url}`,
      `  Ports: gateway ${ports.gateway}${asked ? ` (PORT, from ${asked.source})` : busy}, IdP ${ports.idp}, emulator ${ports.emulator}.`,
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
