/**
 * The OpenAPI document itself: its shape, every `HttpProblem` code in src/ found in its problem
 * types, and the router that serves it. Real answers of the running gateway against its schemas
 * are in openapi-conformance.test.ts; the checker (ajv) is in ../helpers/openapi-check.ts.
 */
import { get as httpGet, type Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { API_SECURITY_HEADERS } from '../../src/http/index.js';
import { buildOpenApiDocument, createOpenApiRouter, documentedProblemCodes, type OpenApiDocument } from '../../src/openapi/index.js';
import { conform, listen, operations, resolve } from '../helpers/openapi-check.js';
import { scanCodes, thrownCodes } from '../helpers/thrown-codes.js';

const openApiDocument = buildOpenApiDocument();

describe('the OpenAPI document', function () {
  describe('its shape', () => {
    it('is OpenAPI 3.1 with info, paths and components', () => {
      const doc = openApiDocument;
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.info.title).to.be.a('string').and.not.empty;
      expect(doc.info.version).to.match(/^\d+\.\d+\.\d+$/);
      expect(Object.keys(doc.components ?? {}).sort()).to.deep.equal(['headers', 'parameters', 'responses', 'schemas', 'securitySchemes']);
      expect(doc).not.to.have.property('servers');
      expect(doc).not.to.have.property('webhooks');
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
      const ids = operations(doc).map(([method, path]) => doc.paths?.[path]?.[method]?.operationId);
      expect(new Set(ids).size).to.equal(ids.length);
      const tags = new Set(doc.tags?.map((t) => t.name));
      for (const [method, path] of operations(doc)) {
        const op = doc.paths?.[path]?.[method];
        expect(op?.tags?.every((t) => tags.has(t)), `${method} ${path} tags`).to.equal(true);
        for (const [status, entry] of Object.entries(op?.responses ?? {})) {
          expect(status).to.match(/^[1-5]\d\d$/);
          expect(resolve(doc, entry).node.description).to.be.a('string').and.not.empty;
        }
        for (const requirement of op?.security ?? []) {
          for (const scheme of Object.keys(requirement)) expect(doc.components?.securitySchemes).to.have.property(scheme);
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
      expect(openApiDocument.components?.securitySchemes?.sessionCookie).to.include({ type: 'apiKey', in: 'cookie', name: 'onetalk.sid' });
      const https = buildOpenApiDocument('https://chat.example.com');
      expect(https.servers).to.deep.equal([{ url: 'https://chat.example.com', description: 'This gateway (PUBLIC_URL).' }]);
      expect(https.components?.securitySchemes?.sessionCookie).to.include({ name: '__Host-onetalk.sid' });
      expect(https.components?.securitySchemes?.metricsToken).to.include({ type: 'http', scheme: 'bearer' });
    });
  });

  describe('error codes', () => {
    it('understands every `new HttpProblem(` and HttpProblem subclass in src/', () => {
      const { codes, unexplained } = thrownCodes();
      expect(unexplained).to.deep.equal([]);
      // upstream.ts uses the helper form: finding its codes proves the scan reads more than plain throws.
      expect([...codes]).to.include.members(['not_signed_in', 'login_expired', 'upstream_rate_limited', 'upstream_circuit_open']);
      // error-handler.ts maps store errors; transactions.ts has the one subclass.
      expect([...codes]).to.include.members(['session_store_unavailable', 'login_capacity_reached']);
    });

    it('flags constructions it cannot read instead of skipping them', () => {
      const helper = "const gone = (code: string) => new HttpProblem({ status: 503, code, title: 'G' });\n";
      const { codes, unexplained } = scanCodes([
        ['literal.ts', "throw new HttpProblem({ status: 400, code: 'a_code', title: 'A' });"],
        ['subclass.ts', "class A extends HttpProblem {\n  constructor() {\n    super({\n      status: 503,\n      code: 'b_code',\n      title: 'B',\n    });\n  }\n}"],
        ['helper.ts', `${helper}throw gone('c_code');`],
        ['variable.ts', "throw new HttpProblem({ status: 400, code: someCode, title: 'C' });"],
        ['spread.ts', 'throw new HttpProblem({ ...PROBLEMS.gone });'],
        ['helper-variable.ts', `${helper}throw gone(name);`],
        ['subclass-variable.ts', "class C extends HttpProblem {\n  constructor(code: string) {\n    super({ status: 400, code, title: 'C' });\n  }\n}"],
        ['deeper.ts', 'class D extends A {}'],
      ]);
      expect([...codes].sort()).to.deep.equal(['a_code', 'b_code', 'c_code']);
      expect(unexplained.sort()).to.deep.equal(['deeper.ts', 'helper-variable.ts', 'spread.ts', 'subclass-variable.ts', 'variable.ts']);
    });

    it('documents every code src/ throws, and no other', () => {
      expect([...documentedProblemCodes()].sort()).to.deep.equal([...thrownCodes().codes].sort());
    });

    it('lists in its JSON exactly the codes of its zod problem schemas', () => {
      const inJson = new Set<string>();
      const walk = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        const code = (node as { properties?: { code?: { enum?: unknown[] } } }).properties?.code;
        for (const value of code?.enum ?? []) inJson.add(String(value));
        Object.values(node).forEach(walk);
      };
      walk(openApiDocument);
      expect([...inJson].sort()).to.deep.equal([...documentedProblemCodes()].sort());
    });
  });

  describe('the checker of real answers (ajv)', () => {
    // Names in lower case, as fetch hands them over; `undefined` leaves a header out.
    const headers = (extra: Record<string, string | undefined>) => {
      const all: Record<string, string | undefined> = {
        ...Object.fromEntries(API_SECURITY_HEADERS.map(([name, value]) => [name.toLowerCase(), value])),
        'x-request-id': 'req-1',
        'cache-control': 'no-store',
        ...extra,
      };
      return Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined);
    };
    const json = (status: number, body: unknown, extra: Record<string, string | undefined> = {}, type = 'application/json') =>
      new Response(JSON.stringify(body), { status, headers: headers({ 'content-type': type, ...extra }) });
    const ticket = { ticket: 'T-1', expiresAt: '2030-01-01T00:00:00.000Z' };
    const busy = { type: 'urn:onetalk-gateway:problem:upstream_overloaded', title: 'Busy', status: 503, code: 'upstream_overloaded' };

    it('passes an answer that keeps to the document', async () => {
      expect(await conform(openApiDocument, 'post', '/api/livechat/ticket', json(200, ticket))).to.deep.equal(ticket);
      await conform(openApiDocument, 'post', '/api/livechat/ticket', json(503, busy, { 'retry-after': '3' }, 'application/problem+json'));
    });

    const refusals: Array<[string, () => Response, RegExp]> = [
      ['a body member the schema does not allow', () => json(200, { ...ticket, user: 'alice' }), /body: must NOT have additional properties/],
      ['a body without a required member', () => json(200, { ticket: 'T-1' }), /must have required property 'expiresAt'/],
      ['a malformed date-time', () => json(200, { ...ticket, expiresAt: 'tomorrow' }), /must match format "date-time"/],
      ['a code the route does not list', () => json(503, { ...busy, code: 'not_ready' }, {}, 'application/problem+json'), /must be equal to one of the allowed values/],
      ['a missing required header', () => json(200, ticket, { 'x-request-id': undefined }), /header X-Request-Id: missing/],
      ['a security header with another value', () => json(200, ticket, { 'referrer-policy': 'origin' }), /header Referrer-Policy: must be equal to constant/],
      ['a Retry-After below one second', () => json(503, busy, { 'retry-after': '0' }, 'application/problem+json'), /header Retry-After: must be >= 1/],
      ['a media type the status does not list', () => json(200, ticket, {}, 'text/html'), /media type text\/html is not one of application\/json/],
    ];
    for (const [what, answer, message] of refusals) {
      it(`refuses ${what}`, async () => {
        const checked = conform(openApiDocument, 'post', '/api/livechat/ticket', answer());
        await checked.then(
          () => expect.fail('the checker passed it'),
          (err: Error) => expect(err.message).to.match(message),
        );
      });
    }

    it('refuses a status the route does not list', async () => {
      const teapot = conform(openApiDocument, 'post', '/api/livechat/ticket', json(418, {}));
      await teapot.then(() => expect.fail('the checker passed it'), (err: Error) => expect(err.message).to.match(/answered 418, which the document does not list/));
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
      // X-Request-Id and the security headers come from the gateway's middleware, absent here: check the rest.
      const optional = Object.entries(body.components?.headers ?? {}).map(([name, header]) => [name, { ...header, required: false }]);
      const alone = { ...body, components: { ...body.components, headers: Object.fromEntries(optional) } };
      await conform(alone, 'get', '/openapi.json', res);
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
