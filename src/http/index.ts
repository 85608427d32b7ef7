export { HttpProblem, sendProblem, sendNegotiatedProblem, type ProblemBody } from './problem.js';
export { errorHandler, notFound, toProblem } from './error-handler.js';
export { createLogger, createLogSink, createHttpLogger, redactUrl, stdoutSink, REDACT_PATHS, type LogSink } from './logging.js';
export { requireCsrfHeader, requireCsrfHeaderOrOrigin, originAllowed, type OriginPolicy } from './csrf.js';
export { corsForAllowedOrigins } from './cors.js';
