/**
 * Prometheus metrics (prom-client): one registry per gateway, never the global one, so that
 * createApp stays free of globals and two gateways in one process (tests) never share counters.
 *
 * Exposure: `/metrics` is either on its own port (METRICS_PORT, bound to loopback unless
 * METRICS_HOST says otherwise; then not on the main app at all) or on the main app behind
 * `Authorization: Bearer METRICS_TOKEN`. Neither configured: 404.
 * Metrics reveal traffic and failure patterns, so they are never public by default.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express, { Router } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HttpServerSettings } from '../config/index.js';
import type { BreakerState, OneTalkObserver, OneTalkStats } from '../onetalk/index.js';
import { errorHandler, HttpProblem, notFound, notFoundProblem } from '../http/index.js';
import { createHttpServer } from '../http/listener.js';

/** What the gauges read at scrape time. */
export interface MetricsSources {
  onetalk?: { stats(): OneTalkStats };
  /** A session store that knows its size (the bounded memory store); Redis stores do not. */
  sessionStore?: object;
  /** The log destination, whose dropped lines `log_lines_dropped_total` counts. */
  logSink?: { readonly dropped: number };
}

/** Login outcomes, as counted by `auth_logins_total`. */
export type LoginResult = 'succeeded' | 'failed';

/** The gateway's metrics and the hooks that feed them. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts one finished request into `http_request_duration_seconds` (see `installRequestLog`). */
  readonly observeRequest: (method: string, route: string | undefined, status: number, seconds: number) => void;
  /** Hand to the OneTalk client as its `observer`. */
  readonly onetalk: OneTalkObserver;
  /** Hand to the auth routes: one call per finished sign-in callback. */
  readonly auth: { login(result: LoginResult): void };
  /** Registers the gauges that read live state (breaker, queue, sessions) at scrape time. */
  watch(sources: MetricsSources): void;
}

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];
/** Methods Node's parser accepts are a fixed set already; the rest of the label space is folded. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Requests no route answered (404s, CORS preflights, probes for random paths): one label value. */
const UNMATCHED = 'unmatched';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Default process metrics (CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route pattern (never the raw URL) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const upstreamCalls = new Counter({
    name: 'onetalk_upstream_requests_total',
    help: 'OneTalk calls by endpoint and outcome (ok, timeout, unavailable, circuit_open, overloaded, rate_limited, ...).',
    labelNames: ['endpoint', 'outcome'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'onetalk_upstream_request_duration_seconds',
    help: 'Whole OneTalk calls (queueing, attempts and backoff) by endpoint and outcome.',
    labelNames: ['endpoint', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const upstreamRetries = new Counter({
    name: 'onetalk_upstream_retries_total',
    help: 'Attempts at OneTalk beyond the first of each call.',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const logins = new Counter({ name: 'auth_logins_total', help: 'Finished sign-in callbacks by result.', labelNames: ['result'] as const, registers });
  let logSink: { readonly dropped: number } | undefined;
  let droppedReported = 0;
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines dropped because stdout was stalled (buffer full) or gone; logging never blocks serving.',
    registers,
    collect() {
      const dropped = logSink?.dropped ?? 0;
      if (dropped > droppedReported) this.inc(dropped - droppedReported);
      droppedReported = Math.max(droppedReported, dropped);
    },
  });
  // Present from the start, so rate() and absent() work before the first login.
  for (const result of ['succeeded', 'failed'] as const) logins.inc({ result }, 0);

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      httpDuration.observe({ method: METHODS.has(method) ? method : 'OTHER', route: route ?? UNMATCHED, status_code: statusLabel(status) }, seconds);
    },
    onetalk: {
      call({ endpoint, outcome, durationMs, attempts }) {
        upstreamCalls.inc({ endpoint, outcome });
        upstreamDuration.observe({ endpoint, outcome }, durationMs / 1000);
        if (attempts > 1) upstreamRetries.inc({ endpoint }, attempts - 1);
      },
    },
    auth: { login: (result) => logins.inc({ result }) },
    watch(sources) {
      const { onetalk, sessionStore } = sources;
      logSink = sources.logSink ?? logSink;
      if (onetalk) watchOneTalk(registers, onetalk);
      if (sessionStore && typeof (sessionStore as { size?: unknown }).size === 'number') {
        const store = sessionStore as { readonly size: number };
        new Gauge({
          name: 'sessions_active',
          help: 'Sessions held by the in-memory store (expired ones count until swept).',
          registers,
          collect() {
            this.set(store.size);
          },
        });
      }
    },
  };
}

function watchOneTalk(registers: Registry[], onetalk: { stats(): OneTalkStats }): void {
  new Gauge({
    name: 'onetalk_circuit_breaker_state',
    help: 'OneTalk circuit breaker: 1 for the current state (closed, open, half_open), 0 for the others.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const current = onetalk.stats().breaker;
      for (const state of BREAKER_STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'onetalk_upstream_in_flight',
    help: 'OneTalk calls holding a concurrency slot.',
    registers,
    collect() {
      this.set(onetalk.stats().inFlight);
    },
  });
  new Gauge({
    name: 'onetalk_upstream_queued',
    help: 'OneTalk calls waiting for a concurrency slot.',
    registers,
    collect() {
      this.set(onetalk.stats().queued);
    },
  });
}

/** Status labels, made once: a number's string form is a fresh allocation per request otherwise. */
const STATUS_LABELS = new Map<number, string>();
function statusLabel(status: number): string {
  let label = STATUS_LABELS.get(status);
  if (label === undefined) {
    label = String(status);
    if (status >= 100 && status < 600) STATUS_LABELS.set(status, label);
  }
  return label;
}

/** Options of {@link metricsRouter}. */
export interface MetricsRouterOptions {
  /** Bearer token required to read; undefined: see `requireToken`. */
  token: string | undefined;
  /** On the main app: without a token configured, /metrics does not exist (404). */
  requireToken: boolean;
}

/** `GET /metrics` in Prometheus text format, guarded as {@link MetricsRouterOptions} says. */
export function metricsRouter(metrics: GatewayMetrics, options: MetricsRouterOptions): Router {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (expected === undefined && options.requireToken) throw notFoundProblem();
    if (expected !== undefined && !bearerMatches(req.headers.authorization, expected)) {
      throw new HttpProblem({
        status: 401,
        code: 'metrics_unauthorized',
        title: 'Unauthorized',
        detail: 'Send the metrics bearer token.',
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      });
    }
    const text = await metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(text);
  });
  return router;
}

/** Options of {@link createMetricsServer}. */
export interface MetricsServerOptions {
  token: string | undefined;
  /** The same timeouts and cap as the main listener. */
  http: HttpServerSettings;
}

/**
 * A bare HTTP server for METRICS_PORT: `/metrics` and nothing else. Not listening yet; the
 * entry point listens on it (on METRICS_HOST, loopback by default) and closes it on shutdown.
 */
export function createMetricsServer(metrics: GatewayMetrics, options: MetricsServerOptions): Server {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter(metrics, { token: options.token, requireToken: false }));
  app.use(notFound);
  app.use(errorHandler);
  return createHttpServer(app, options.http);
}

/** Compares hashes, so the comparison takes the same time whatever the lengths. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1] ?? ''), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
