/**
 * The OpenAPI document itself: its shape, every `HttpProblem` code in src/ found in its `code`
 * enums, and the router that serves it. Real answers of the running gateway against its schemas
 * are in openapi-conformance.test.ts; the checker is in ../helpers/openapi-check.ts.
 */
import { get as httpGet, type Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { buildOpenApiDocument, createOpenApiRouter, openApiDocument, type OpenApiDocument, type ResponseObject } from '../../src/http/openapi.js';
import { conform, documentedCodes, listen, operations, resolve, scanCodes, thrownCodes } from '../helpers/openapi-check.js';

describe('the OpenAPI document', function () {
  describe('its shape', () => {
    it('is OpenAPI 3.1 with info, paths and components', () => {
      const doc = openApiDocument;
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.info.title).to.be.a('string').and.not.empty;
      expect(doc.info.version).to.match(/^\d+\.\d+\.\d+$/);
      expect(doc.paths).to.be.an('object');
      expect(Object.keys(doc.components).sort()).to.deep.equal(['headers', 'parameters', 'responses', 'schemas', 'securitySchemes']);
      expect(doc).not.to.have.property('servers');
    });

    it('lists exactly the routes of shared/DESIGN.md, their preflights, back-channel logout, metrics, the widget scripts and itself', () => {
      expect(operations(openApiDocument).map(([method, path]) => `${method.toUpperCase()} ${path}`).sort()).to.deep.equal([
        'GET /auth/callback',
        'GET /auth/login',
        'GET /auth/session',
        'GET /healthz',
        'GET /livechat-onetalk.js',
        'GET /livechat.js',
        'GET /metrics',
        'GET /openapi.json',
        'GET /readyz',
        'OPTIONS /api/livechat/ticket',
        'OPTIONS /auth/logout',
        'POST /api/livechat/ticket',
        'POST /auth/backchannel-logout',
        'POST /auth/logout',
      ]);
    });

    it('has unique operationIds, known tags, described responses and resolvable references', () => {
      const doc = openApiDocument;
      const ids = operations(doc).map(([method, path]) => doc.paths[path]?.[method]?.operationId);
      expect(new Set(ids).size).to.equal(ids.length);
      const tags = new Set(doc.tags.map((t) => t.name));
      for (const [method, path] of operations(doc)) {
        const op = doc.paths[path]?.[method];
        expect(op?.tags.every((t) => tags.has(t)), `${method} ${path} tags`).to.equal(true);
        for (const [status, entry] of Object.entries(op?.responses ?? {})) {
          expect(status).to.match(/^[1-5]\d\d$/);
          expect(resolve<ResponseObject>(doc, entry).description).to.be.a('string').and.not.empty;
        }
        for (const requirement of op?.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes).to.have.property(scheme);
        }
      }
      const refs: string[] = [];
      const walk = (node: unknown): void => {
        if (node && typeof node === 'object') {
          if ('$ref' in node && typeof node.$ref === 'string') refs.push(node.$ref);
          Object.values(node).forEach(walk);
        }
      };
      walk(doc);
      expect(refs).not.to.be.empty;
      for (const $ref of refs) expect(() => resolve(doc, { $ref }), $ref).not.to.throw();
    });

    it('names the server and the session cookie as configured', () => {
      expect(openApiDocument.components.securitySchemes.sessionCookie).to.include({ type: 'apiKey', in: 'cookie', name: 'onetalk.sid' });
      const https = buildOpenApiDocument('https://chat.example.com');
      expect(https.servers).to.deep.equal([{ url: 'https://chat.example.com', description: 'This gateway (PUBLIC_URL).' }]);
      expect(https.components.securitySchemes.sessionCookie.name).to.equal('__Host-onetalk.sid');
      expect(https.components.securitySchemes.metricsToken).to.include({ type: 'http', scheme: 'bearer' });
      expect(Object.isFrozen(https.paths['/auth/login'])).to.equal(true);
    });
  });

  describe('error codes', () => {
    it('understands every `new HttpProblem(` and HttpProblem subclass in src/', () => {
      const { codes, unexplained } = thrownCodes();
      expect(unexplained).to.deep.equal([]);
      // upstream.ts uses the helper form: finding its codes proves the scan reads more than plain throws.
      expect([...codes]).to.include.members(['not_signed_in', 'login_expired', 'upstream_rate_limited', 'upstream_circuit_open']);
      expect([...codes]).to.include('session_store_unavailable');
    });

    it('flags constructions it cannot read instead of skipping them', () => {
      const { codes, unexplained } = scanCodes([
        ['literal.ts', "throw new HttpProblem(400, 'a_code', 'A');"],
        ['subclass.ts', "class A extends HttpProblem {\n  constructor() {\n    super(\n      503,\n      'b_code',\n      'B',\n    );\n  }\n}"],
        ['variable.ts', 'throw new HttpProblem(400, someCode, "C");'],
        ['subclass-variable.ts', 'class C extends HttpProblem {\n  constructor(code: string) {\n    super(400, code, "C");\n  }\n}'],
        ['deeper.ts', 'class D extends A {}'],
      ]);
      expect([...codes].sort()).to.deep.equal(['a_code', 'b_code']);
      expect(unexplained.sort()).to.deep.equal(['deeper.ts', 'subclass-variable.ts', 'variable.ts']);
    });

    it('documents every code src/ throws, and no other', () => {
      const thrown = [...thrownCodes().codes].sort();
      expect([...documentedCodes(openApiDocument)].sort()).to.deep.equal(thrown);
    });
  });

  describe('GET /openapi.json, served by its router alone', () => {
    const origin = 'http://127.0.0.1:4000';
    let url: string;
    let server: Server;
    before(async () => {
      const app = express();
      app.use(createOpenApiRouter(origin));
      ({ url, server } = await listen(app));
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it('serves the document as JSON, cacheable for five minutes', async () => {
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('public, max-age=300');
      const body = (await res.clone().json()) as OpenApiDocument;
      expect(body).to.deep.equal(JSON.parse(JSON.stringify(buildOpenApiDocument(origin))));
      expect(body.servers?.[0]?.url).to.equal(origin);
      // X-Request-Id comes from the gateway's logger middleware, absent here: check the rest.
      const withoutTracing = { ...body, components: { ...body.components, headers: { ...body.components.headers, RequestId: { schema: {} } } } };
      await conform(withoutTracing, 'get', '/openapi.json', res);
    });

    it('answers 304 when If-None-Match names its ETag', async () => {
      const etag = (await fetch(`${url}/openapi.json`)).headers.get('etag');
      expect(etag).to.be.a('string');
      // node:http, because fetch adds `Cache-Control: no-cache` to conditional requests.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpGet(`${url}/openapi.json`, { headers: { 'if-none-match': etag as string } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on('error', reject);
      });
      expect(status).to.equal(304);
    });
  });
});
