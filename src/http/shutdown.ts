import type { Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/** Options of {@link createGracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The listening server; tracking starts at once, so call this right after `listen`. */
  server: Server;
  /** How long in-flight requests may take to finish before their sockets are destroyed, in ms. */
  graceMs: number;
  logger: Logger;
  /** Called first, synchronously: `/readyz` must answer 503 from this moment on. */
  startDraining(): void;
  /** Releases everything else once no connection is left (the gateway's `close`). */
  close(): Promise<void>;
}

/** How a shutdown went. */
export interface ShutdownOutcome {
  /** False when the grace period ran out and open sockets were destroyed. */
  readonly drained: boolean;
  /** False when releasing resources (`close`) failed; the process should exit non-zero. */
  readonly closed: boolean;
}

/** A prepared shutdown; {@link GracefulShutdown.shutdown} may be called any number of times. */
export interface GracefulShutdown {
  /** Starts (or joins) the shutdown; resolves when the server and the gateway are closed. */
  shutdown(reason: string): Promise<ShutdownOutcome>;
  /** Skips what is left of the grace period: destroys every open socket now (a second signal). */
  forceNow(): void;
}

/**
 * Graceful shutdown without touching process signals, so tests can drive it in-process.
 *
 * Why the response tracking: Node's `server.close()` stops accepting and drops idle keep-alive
 * sockets, but a keep-alive socket busy at that moment stays open after its response until the
 * client or `keepAliveTimeout` closes it, which would hold shutdown up for seconds. So every
 * response still unsent when draining starts, and every request that arrives on an existing
 * connection afterwards, gets `Connection: close`; and each finished response sweeps idle
 * sockets again. Past `graceMs`, the remaining sockets are destroyed: a slow client must not
 * keep a deploy waiting forever.
 */
export function createGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { server, logger } = options;
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let outcome: Promise<ShutdownOutcome> | undefined;
  let forced = false;

  const sweepIdle = () => setImmediate(() => server.closeIdleConnections());
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };

  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) closeAfter(res);
    res.once('finish', () => {
      if (draining) sweepIdle();
    });
  });

  const forceNow = () => {
    if (forced) return;
    forced = true;
    logger.warn({ inFlight: inFlight.size }, 'grace period over; closing remaining connections');
    server.closeAllConnections();
  };

  async function run(reason: string): Promise<ShutdownOutcome> {
    logger.info({ reason, inFlight: inFlight.size, graceMs: options.graceMs }, 'shutting down');
    draining = true;
    options.startDraining();
    for (const res of inFlight) closeAfter(res);

    const serverClosed = new Promise<void>((resolve) => {
      // ERR_SERVER_NOT_RUNNING (already closed) is fine here: there is nothing left to drain.
      server.close(() => resolve());
    });
    server.closeIdleConnections();
    const timer = setTimeout(forceNow, options.graceMs);
    await serverClosed;
    clearTimeout(timer);

    let closed = true;
    try {
      await options.close();
    } catch (err) {
      closed = false;
      logger.error({ err }, 'closing the gateway failed');
    }
    return { drained: !forced, closed };
  }

  return {
    shutdown(reason) {
      outcome ??= run(reason);
      return outcome;
    },
    forceNow,
  };
}
