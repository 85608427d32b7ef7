/**
 * Process entry: loadConfig → createApp → listen, and a graceful shutdown on SIGTERM/SIGINT.
 * The only module that listens; it never falls back to any demo part.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { createHttpServer } from './http/listener.js';
import { stdoutSink } from './http/logging.js';
import { createGracefulShutdown, createMetricsServer, shutdownDeadlineMs } from './ops/index.js';

/** The most the last log lines may hold up an exit. */
const LAST_LINES_MS = 500;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function listen(server: Server, port: number, host?: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  // A vanished stderr reader must not end the process at the next warning (EPIPE is best ignored).
  process.stderr.on('error', () => {});
  const config = readConfig();
  const logSink = stdoutSink();
  const gateway = createApp(config, { logSink });
  const { logger } = gateway;
  const server = createHttpServer(gateway.app, config.http);
  // With METRICS_PORT, /metrics lives on its own listener (not on the public app at all).
  const metricsServer =
    config.metrics.port === undefined ? undefined : createMetricsServer(gateway.metrics, { token: config.metrics.token, http: config.http });

  const graceful = createGracefulShutdown({
    server,
    graceMs: config.shutdownGraceMs,
    drainDelayMs: config.shutdownDrainDelayMs,
    logger,
    startDraining: () => gateway.startDraining(),
    close: async () => {
      metricsServer?.closeAllConnections();
      metricsServer?.close();
      await gateway.close();
    },
  });
  const exit = async (code: number): Promise<never> => {
    await logSink.flush(LAST_LINES_MS);
    process.exit(code);
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal (an impatient operator, or the orchestrator's follow-up) cuts the grace short.
    if (signalled) return graceful.forceNow();
    signalled = true;
    // Whatever hangs (a Redis quit that never answers, a log pipe nobody reads), the process ends.
    setTimeout(() => process.exit(1), shutdownDeadlineMs(config));
    void graceful.shutdown(signal).then(({ closed }) => {
      logger.info('stopped');
      return exit(closed ? 0 : 1);
    });
  };
  // Handlers go in before "listening" is announced: a signal sent on that line must find them.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const port = await listen(server, config.port);
  const metricsPort = metricsServer && (await listen(metricsServer, config.metrics.port ?? 0, config.metrics.host));
  logger.info(
    { port, publicUrl: config.publicOrigin, metricsPort, ...(metricsServer ? { metricsHost: config.metrics.host } : {}) },
    'gateway listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
