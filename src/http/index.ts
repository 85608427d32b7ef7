export { HttpProblem, sendProblem, sendNegotiatedProblem, type ProblemBody } from './problem.js';
export { errorHandler, notFound, toProblem } from './error-handler.js';
export { createLogger, createHttpLogger, redactUrl, REDACT_PATHS } from './logging.js';
export { requireCsrfHeader, requireCsrfHeaderOrOrigin, originAllowed, type OriginPolicy } from './csrf.js';
export { corsForAllowedOrigins } from './cors.js';
