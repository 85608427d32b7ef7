export { createHealthRouter, type HealthDeps } from './health.js';
export {
  createMetrics,
  createMetricsServer,
  metricsRouter,
  type GatewayMetrics,
  type LoginResult,
  type MetricsOptions,
  type MetricsRouterOptions,
  type MetricsServerOptions,
  type MetricsSources,
} from './metrics.js';
export { createGracefulShutdown, shutdownDeadlineMs, SHUTDOWN_EXIT_MARGIN_MS, type GracefulShutdown, type GracefulShutdownOptions, type ShutdownOutcome } from './shutdown.js';
