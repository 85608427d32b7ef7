import { createHash } from 'node:crypto';
import { Router } from 'express';
import { buildOpenApiDocument } from './document.js';

/**
 * `GET /openapi.json`: cacheable for five minutes, with an ETag for revalidation. Generated and
 * serialised on the first request, then kept: most gateways never serve it, and tests build
 * many apps.
 */
export function createOpenApiRouter(publicOrigin?: string): Router {
  let served: { body: string; etag: string } | undefined;
  const router = Router();
  router.get('/openapi.json', (req, res) => {
    if (!served) {
      const body = JSON.stringify(buildOpenApiDocument(publicOrigin));
      // Computed once: the app sends no automatic ETags (its dynamic answers are all no-store).
      served = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('ETag', served.etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(served.body);
  });
  return router;
}
