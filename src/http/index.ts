export { HttpProblem, sendProblem, sendNegotiatedProblem, type HttpProblemInit, type ProblemBody } from './problem.js';
export { errorHandler, notFound, notFoundProblem, toProblem } from './error-handler.js';
export { createLogger, createLogSink, redactUrl, stdoutSink, REDACT_PATHS, type LogSink } from './logging.js';
export { installRequestLog, type RequestObserver } from './request-log.js';
export { apiSecurityHeaders, documentSecurityHeaders, securityHeaderList, setDocumentHeaders } from './security-headers.js';
export { requireCsrfHeader, requireCsrfHeaderOrOrigin, originAllowed, type OriginPolicy } from './csrf.js';
export { corsForAllowedOrigins } from './cors.js';
