import type { Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * Past drain delay and grace, this much more for closing Redis and writing the last log line;
 * then the process exits whatever still hangs (src/server.ts).
 */
export const SHUTDOWN_EXIT_MARGIN_MS = 2000;

/**
 * The longest a gateway process lives after SIGTERM, in ms. Kill deadlines (Kubernetes'
 * `terminationGracePeriodSeconds` after its preStop, compose's `stop_grace_period`) must allow it.
 */
export function shutdownDeadlineMs(settings: { readonly shutdownDrainDelayMs: number; readonly shutdownGraceMs: number }): number {
  return settings.shutdownDrainDelayMs + settings.shutdownGraceMs + SHUTDOWN_EXIT_MARGIN_MS;
}

/** Options of {@link createGracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** The listening server; tracking starts at once, so call this right after `listen`. */
  server: Server;
  /** How long in-flight requests may take to finish before their sockets are destroyed, in ms. */
  graceMs: number;
  /**
   * How long the listener keeps accepting and serving after `/readyz` turned 503, in ms (default
   * 0). A balancer that polls `/readyz` keeps sending requests until its checks have failed; they
   * must find the instance still listening, not a refused connection.
   */
  drainDelayMs?: number;
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
  /** Skips the drain delay and what is left of the grace period: destroys every socket now (a second signal). */
  forceNow(): void;
}

/**
 * Graceful shutdown without touching process signals, so tests can drive it in-process.
 *
 * Order: `/readyz` fails at once; for `drainDelayMs` the listener still accepts and serves (every
 * response says `Connection: close`, so clients move their keep-alive sockets elsewhere while
 * the balancer notices); then the listener closes and in-flight requests get `graceMs`.
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
  let endDrainDelay: (() => void) | undefined;

  const sweepIdle = () => setImmediate(() => server.closeIdleConnections());
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };

  // Ahead of the app's own listener: a response the app sends synchronously (a probe, a 404)
  // must still get `Connection: close` while draining.
  server.prependListener('request', (_req, res: ServerResponse) => {
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
    endDrainDelay?.();
    logger.warn({ inFlight: inFlight.size }, 'grace period over; closing remaining connections');
    server.closeAllConnections();
  };

  /** Resolves after `ms`, or at once when {@link forceNow} runs first. */
  const drainDelay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      endDrainDelay = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function run(reason: string): Promise<ShutdownOutcome> {
    const drainDelayMs = options.drainDelayMs ?? 0;
    logger.info({ reason, inFlight: inFlight.size, drainDelayMs, graceMs: options.graceMs }, 'shutting down');
    draining = true;
    options.startDraining();
    for (const res of inFlight) closeAfter(res);
    // Idle keep-alive sockets stay open during the delay: closing one while the balancer may still
    // pick it races a request sent down it. Once the balancer has stopped routing here, it is safe.
    if (drainDelayMs > 0) {
      await drainDelay(drainDelayMs);
      logger.info({ inFlight: inFlight.size }, 'drain delay over; closing the listener');
    }

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
