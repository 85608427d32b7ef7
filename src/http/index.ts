export { HttpProblem, problemBodySchema, sendProblem, sendNegotiatedProblem, type HttpProblemInit, type ProblemBody } from './problem.js';
export { errorHandler, notFound, notFoundProblem, toProblem } from './error-handler.js';
export { createLogger, createLogSink, redactUrl, stdoutSink, REDACT_PATHS, type LogSink } from './logging.js';
export { installRequestLog, type RequestObserver } from './request-log.js';
export {
  API_SECURITY_HEADERS,
  apiSecurityHeaders,
  DOCUMENT_SECURITY_HEADERS,
  documentSecurityHeaders,
  securityHeaderList,
  setDocumentHeaders,
  type HeaderList,
} from './security-headers.js';
export { requireCsrfHeader, requireCsrfHeaderOrOrigin, originAllowed, type OriginPolicy } from './csrf.js';
export { corsForAllowedOrigins } from './cors.js';
