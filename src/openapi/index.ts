export { buildOpenApiDocument, documentedProblemCodes, type OpenApiDocument } from './document.js';
export { createOpenApiRouter } from './router.js';
