/**
 * `npm run emulator`: the OneTalk emulator alone, on 127.0.0.1, until SIGINT/SIGTERM.
 */
import { pino } from 'pino';
import { EmulatorConfigError, loadEmulatorConfig, type EmulatorConfig } from './config.js';
import { startEmulator } from './index.js';

/** The request the document gives as its example (its email is obfuscated in our copy). */
const EXAMPLE_BODY = JSON.stringify({
  customerUserID: 'company:123',
  fullName: 'John Doe',
  alias: '',
  email: 'john.doe@example.com',
  phone: '6281234567890',
  photoURL: 'http://www.example.com/photo/john_doe.jpg',
});

function curlExample(url: string, config: EmulatorConfig): string {
  // Print the key only when it is the public dev key; otherwise leave the shell to expand it.
  const key = config.usesDevKey ? config.apiKey : '$ONETALK_API_KEY';
  return `curl -s -X POST ${url}/v1/user/request_auth_ticket -H "API-Key: ${key}" -H 'Content-Type: application/json' -d '${EXAMPLE_BODY}'`;
}

async function main(): Promise<void> {
  let config: EmulatorConfig;
  try {
    config = loadEmulatorConfig();
  } catch (error) {
    if (!(error instanceof EmulatorConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }

  const logger = pino({ name: 'onetalk-emulator' });
  const emulator = await startEmulator({
    port: config.port,
    host: '127.0.0.1',
    apiKey: config.apiKey,
    widgetKey: config.widgetKey,
    latencyMs: config.latencyMs,
    logger,
  });

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping');
    // Should a socket refuse to close, do not hang the terminal.
    setTimeout(() => process.exit(1), 5_000).unref();
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Print only once the handlers are in place: whoever reads this line may signal right away,
  // and a signal without a listener kills the process with the OS default.
  console.log(`OneTalk emulator on ${emulator.url} (admin: ${emulator.url}/__emulator/) — try: ${curlExample(emulator.url, config)}`);
  // The widget key is public (every page embedding the widget carries it): printing it is fine.
  console.log(`Stand-in widget: <script src="${emulator.launcherUrl}"> then TapTalkLive.init('${config.widgetKey}')`);
}

main().catch((error: unknown) => {
  // e.g. EADDRINUSE: say what failed, without a stack for the common case.
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  console.error(code === 'EADDRINUSE' ? 'OneTalk emulator: the port is already in use (set PORT)' : error);
  process.exit(1);
});
