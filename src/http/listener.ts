/**
 * The HTTP server both listeners use (the gateway and METRICS_PORT), with timeouts and a
 * connection cap that hold with nothing in front of the gateway.
 *
 * Node's own defaults let a client trickle its headers for 60 s and its body for 300 s, and accept
 * connections without bound, so a handful of slow clients could hold sockets and memory at will.
 * Here:
 * - `headersTimeout` ends a connection whose request headers are not complete in time, counted
 *   from its first byte (or from the connection, for one that sends nothing at all), so sockets
 *   opened and left silent are freed too and cannot fill the cap;
 * - `requestTimeout` does the same for the whole request, body included;
 * - `keepAliveTimeout` closes an idle keep-alive socket between requests. Behind a balancer that
 *   keeps idle connections to the gateway, it must be longer than the balancer's idle timeout,
 *   or the balancer may send a request down a socket the gateway is closing at that instant;
 * - `maxConnections` refuses sockets past the cap (they are closed at once).
 * Node checks the first two only every `connectionsCheckingInterval` (30 s by default), which
 * would let a trickle run for up to 30 s past its timeout; the check runs far more often here.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { HttpServerSettings } from '../config/index.js';

/** How often Node looks for connections past their headers or request timeout, in ms. */
export function checkIntervalFor(settings: HttpServerSettings): number {
  return Math.max(10, Math.min(1000, Math.floor(settings.headersTimeoutMs / 2)));
}

/** A server with {@link HttpServerSettings} applied; not listening yet. */
export function createHttpServer(handler: RequestListener, settings: HttpServerSettings): Server {
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      connectionsCheckingInterval: checkIntervalFor(settings),
    },
    handler,
  );
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.maxConnections = settings.maxConnections;
  return server;
}
