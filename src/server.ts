/**
 * Process entry: loadConfig → createApp → listen, and a graceful shutdown on SIGTERM/SIGINT.
 * The only module that listens; it never falls back to any demo part.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createMetricsServer } from './http/metrics.js';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { createGracefulShutdown } from './http/shutdown.js';

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

async function main(): Promise<void> {
  const config = readConfig();
  const gateway = createApp(config);
  const { logger } = gateway;
  const server = gateway.app.listen(config.port);
  // With METRICS_PORT, /metrics lives on its own listener (not on the public app at all).
  const metricsServer =
    config.metrics.port === undefined ? undefined : createMetricsServer(gateway.metrics, { token: config.metrics.token }).listen(config.metrics.port);

  const graceful = createGracefulShutdown({
    server,
    graceMs: config.shutdownGraceMs,
    logger,
    startDraining: () => gateway.startDraining(),
    close: async () => {
      metricsServer?.closeAllConnections();
      metricsServer?.close();
      await gateway.close();
    },
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal (an impatient operator, or the orchestrator's follow-up) cuts the grace short.
    if (signalled) return graceful.forceNow();
    signalled = true;
    void graceful.shutdown(signal).then(({ closed }) => {
      logger.info('stopped');
      // pino writes synchronously to stdout by default, so the line is out before the exit.
      process.exit(closed ? 0 : 1);
    });
  };
  // Handlers go in before "listening" is announced: a signal sent on that line must find them.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  logger.info({ port, publicUrl: config.publicOrigin, metricsPort: config.metrics.port }, 'gateway listening');
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
