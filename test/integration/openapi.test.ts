/**
 * The OpenAPI document against the code it describes: its shape, the router that serves it,
 * real answers of the running gateway checked against its schemas, and every `HttpProblem` code
 * in src/ found in its `code` enums. No schema validator package is installed, so a small
 * checker for exactly the JSON Schema keywords the document uses lives here; it refuses any
 * other keyword, so the document cannot outgrow what is checked.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import express from 'express';
import { pino } from 'pino';
import { createApp, type Gateway } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import {
  buildOpenApiDocument,
  createOpenApiRouter,
  openApiDocument,
  type HttpMethod,
  type OpenApiDocument,
  type Reference,
  type ResponseObject,
  type SchemaObject,
} from '../../src/http/openapi.js';
import { requestTicket, startSystem, TEST_API_KEY, TEST_CLIENT_SECRET, TEST_SESSION_SECRET, type System } from '../helpers/gateway.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

const EMBEDDING_PAGE = 'https://shop.example.com';
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';

// ---------------------------------------------------------------------------------------------
// A JSON Schema checker for the keywords of SchemaObject, nothing more.

const KEYWORDS = new Set([
  '$ref', 'type', 'description', 'properties', 'required', 'additionalProperties', 'items', 'allOf', 'oneOf',
  'const', 'enum', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
]);

const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v)),
  uri: (v) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(v),
  'uri-reference': (v) => /^\S*$/.test(v),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
};

/** Follows a local `#/components/...` reference. */
function resolve<T>(doc: OpenApiDocument, node: T | Reference): T {
  if (!node || typeof node !== 'object' || !('$ref' in node) || typeof node.$ref !== 'string') return node as T;
  let target: unknown = doc;
  for (const part of node.$ref.replace(/^#\//, '').split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[part];
  }
  if (target === undefined) throw new Error(`unresolvable $ref ${node.$ref}`);
  return resolve(doc, target as T | Reference);
}

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

/** Every way `value` breaks `schema`, as `path: reason` lines; empty when it conforms. */
function check(doc: OpenApiDocument, schema: SchemaObject, value: unknown, at = '$'): string[] {
  const unknown = Object.keys(schema).filter((k) => !KEYWORDS.has(k));
  if (unknown.length > 0) return [`${at}: schema uses unchecked keywords ${unknown.join(', ')}`];
  if (schema.$ref) return check(doc, resolve<SchemaObject>(doc, schema), value, at);
  const errors: string[] = [];
  const fail = (reason: string) => errors.push(`${at}: ${reason}`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.some((t) => t === actual || (t === 'number' && actual === 'integer'))) fail(`is ${actual}, wants ${types.join('|')}`);
  }
  if (schema.const !== undefined && value !== schema.const) fail(`is ${JSON.stringify(value)}, wants ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value as never)) fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`);
    if (schema.format !== undefined) {
      const test = FORMATS[schema.format];
      if (!test) fail(`unchecked format ${schema.format}`);
      else if (!test(value)) fail(`is not a ${schema.format}`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`above ${schema.maximum}`);
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) fail(`lacks required member ${name}`);
    for (const [name, member] of Object.entries(object)) {
      const sub = schema.properties?.[name];
      if (sub) errors.push(...check(doc, sub, member, `${at}.${name}`));
      else if (schema.additionalProperties === false) fail(`has unexpected member ${name}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...check(doc, schema.additionalProperties, member, `${at}.${name}`));
    }
  }
  const items = schema.items;
  if (Array.isArray(value) && items) value.forEach((item, i) => errors.push(...check(doc, items, item, `${at}[${i}]`)));
  for (const sub of schema.allOf ?? []) errors.push(...check(doc, sub, value, at));
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((sub) => check(doc, sub, value, at).length === 0).length;
    if (matches !== 1) fail(`matches ${matches} of the oneOf alternatives, wants exactly 1`);
  }
  return errors;
}

/** Header values are serialised in OpenAPI's `simple` style: an integer header is its decimal text. */
function headerValue(schema: SchemaObject, raw: string): unknown {
  const numeric = [schema.type ?? []].flat().some((t) => t === 'integer' || t === 'number');
  return numeric && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
}

/**
 * Checks a real answer against the document's entry for `method path` and its status: required
 * headers present, every documented header's value, the media type, and the body.
 */
async function conform(doc: OpenApiDocument, method: HttpMethod, path: string, res: Response): Promise<unknown> {
  const operation = doc.paths[path]?.[method];
  if (!operation) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
  const entry = operation.responses[String(res.status)];
  if (!entry) throw new Error(`${method.toUpperCase()} ${path} answered ${res.status}, which the document does not list`);
  const response = resolve<ResponseObject>(doc, entry);
  const errors: string[] = [];
  for (const [name, spec] of Object.entries(response.headers ?? {})) {
    const header = resolve(doc, spec);
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required) errors.push(`header ${name}: missing`);
    } else errors.push(...check(doc, header.schema, headerValue(header.schema, value), `header ${name}`));
  }
  const text = await res.text();
  let body: unknown = text;
  if (response.content) {
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = response.content[mediaType];
    if (!media) errors.push(`media type ${mediaType} is not one of ${Object.keys(response.content).join(', ')}`);
    else {
      if (mediaType.endsWith('json')) body = JSON.parse(text);
      errors.push(...check(doc, media.schema, body, 'body'));
    }
  }
  expect(errors, `${method.toUpperCase()} ${path} ${res.status}: ${text.slice(0, 300)}`).to.deep.equal([]);
  return body;
}

// ---------------------------------------------------------------------------------------------
// What the source throws and what the document lists.

/**
 * Every `code` the source builds an HttpProblem with: literal `new HttpProblem(status, 'code'`;
 * helpers of the form `const name = (code, …) => new HttpProblem(status, code, …)` called with a
 * literal; and subclasses `class X extends HttpProblem` whose constructor calls
 * `super(status, 'code'`. `unexplained` names files where some construction fits none of these
 * forms, or where a class extends such a subclass: the scan must be taught those, never skip them.
 */
function scanCodes(files: ReadonlyArray<[name: string, text: string]>): { codes: Set<string>; unexplained: string[] } {
  const codes = new Set<string>();
  const unexplained = new Set<string>();
  const subclass = /\bclass\s+(\w+)\s+extends\s+HttpProblem\b/g;
  const subclasses = new Set(files.flatMap(([, text]) => [...text.matchAll(subclass)].map((m) => m[1] as string)));
  for (const [file, text] of files) {
    let constructions = text.match(/new HttpProblem\(/g)?.length ?? 0;
    let explained = 0;
    for (const [, code] of text.matchAll(/new HttpProblem\(\s*\d{3}\s*,\s*'([a-z_]+)'/g)) {
      codes.add(code as string);
      explained += 1;
    }
    const helpers = /(?:const|function)\s+(\w+)\s*=?\s*\(\s*code\b[^)]*\)\s*(?:=>|\{)\s*(?:return\s+)?new HttpProblem\(\s*\d{3}\s*,\s*code\b/g;
    for (const [, helper] of text.matchAll(helpers)) {
      explained += 1;
      for (const [, code] of text.matchAll(new RegExp(`\\b${helper}\\(\\s*'([a-z_]+)'`, 'g'))) codes.add(code as string);
    }
    for (const match of text.matchAll(subclass)) {
      constructions += 1;
      // The class body: up to the next top-level class, if any.
      const rest = text.slice((match.index ?? 0) + match[0].length);
      const end = rest.search(/\n(?:export\s+)?(?:abstract\s+)?class\s/);
      const body = end === -1 ? rest : rest.slice(0, end);
      const literal = /\bsuper\(\s*\d{3}\s*,\s*'([a-z_]+)'/.exec(body);
      if (literal) {
        codes.add(literal[1] as string);
        explained += 1;
      }
    }
    const deeper = [...text.matchAll(/\bclass\s+\w+\s+extends\s+(\w+)\b/g)].some(([, parent]) => subclasses.has(parent as string));
    if (explained !== constructions || deeper) unexplained.add(file);
  }
  return { codes, unexplained: [...unexplained] };
}

function thrownCodes(): { codes: Set<string>; unexplained: string[] } {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return scanCodes(files.map((file) => [file, readFileSync(join(SRC, file), 'utf8')]));
}

/** Every value of a `code` member's `enum` anywhere in the document. */
function documentedCodes(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((item) => documentedCodes(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      const values = key === 'code' && value && typeof value === 'object' ? (value as SchemaObject).enum : undefined;
      for (const code of values ?? []) found.add(String(code));
      documentedCodes(value, found);
    }
  }
  return found;
}

function operations(doc: OpenApiDocument): Array<[HttpMethod, string]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method): [HttpMethod, string] => [method as HttpMethod, path]),
  );
}

/** A validly signed cookie for a session the store does not hold: loading it asks the store. */
function signedSessionCookie(secret: string, id = 'openapi-test-session'): string {
  const mac = createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
  return `onetalk.sid=${encodeURIComponent(`s:${id}.${mac}`)}`;
}

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// ---------------------------------------------------------------------------------------------

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

    it('lists exactly the routes of shared/DESIGN.md, their preflights, back-channel logout, metrics, the widget script and itself', () => {
      expect(operations(openApiDocument).map(([method, path]) => `${method.toUpperCase()} ${path}`).sort()).to.deep.equal([
        'GET /auth/callback',
        'GET /auth/login',
        'GET /auth/session',
        'GET /healthz',
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
      // upstream.ts uses the helper form, redis-errors.ts a subclass: finding their codes proves the scan sees both.
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

  describe('against the running gateway', () => {
    let system: System;
    let doc: OpenApiDocument;
    before(async () => {
      // With METRICS_TOKEN, /metrics answers 401 to a bare request: proof it is routed (without one it hides as a 404).
      system = await startSystem({ env: { ALLOWED_ORIGINS: EMBEDDING_PAGE, METRICS_TOKEN } });
      doc = buildOpenApiDocument(system.config.publicOrigin);
    });
    after(async () => {
      await system.close();
    });
    beforeEach(() => system.emulator.reset());

    describe('answers as documented', () => {
      it('GET /auth/session, anonymous', async () => {
        const body = await conform(doc, 'get', '/auth/session', await system.browser().get(`${system.url}/auth/session`));
        expect(body).to.deep.equal({ authenticated: false });
      });

      it('GET /auth/session, signed in', async () => {
        const browser = await system.signIn('alice');
        const body = await conform(doc, 'get', '/auth/session', await browser.get(`${system.url}/auth/session`));
        expect(body).to.have.nested.property('user.name', 'Alice Liddell');
      });

      it('POST /api/livechat/ticket 200', async () => {
        const browser = await system.signIn('alice');
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser));
        expect(body).to.have.keys('ticket', 'expiresAt');
      });

      it('POST /api/livechat/ticket 401 with a login URL', async () => {
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, system.browser()));
        expect(body).to.include({ code: 'not_signed_in', loginUrl: `${system.url}/auth/login` });
      });

      it('POST /api/livechat/ticket 403 without X-CSRF or from a foreign origin', async () => {
        const browser = await system.signIn('alice');
        const missing = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser, { 'x-csrf': '' }));
        expect(missing).to.include({ code: 'csrf_header_missing' });
        const fromElsewhere = await requestTicket(system, browser, { origin: 'https://evil.example' });
        const foreign = await conform(doc, 'post', '/api/livechat/ticket', fromElsewhere);
        expect(foreign).to.include({ code: 'origin_forbidden' });
      });

      it('POST /api/livechat/ticket 503 when OneTalk has no tier selected', async () => {
        const browser = await system.signIn('alice');
        system.emulator.settings.tierSelected = false;
        const body = await conform(doc, 'post', '/api/livechat/ticket', await requestTicket(system, browser));
        expect(body).to.include({ code: 'upstream_not_configured' });
      });

      it('GET /healthz and GET /readyz', async () => {
        expect(await conform(doc, 'get', '/healthz', await fetch(`${system.url}/healthz`))).to.deep.equal({ status: 'ok' });
        expect(await conform(doc, 'get', '/readyz', await fetch(`${system.url}/readyz`))).to.have.property('status', 'ready');
      });

      it('GET /livechat.js', async () => {
        const script = await conform(doc, 'get', '/livechat.js', await fetch(`${system.url}/livechat.js`));
        expect(script).to.be.a('string').and.not.empty;
      });

      it('GET /openapi.json, naming PUBLIC_URL', async () => {
        const res = await fetch(`${system.url}/openapi.json`);
        expect(await conform(doc, 'get', '/openapi.json', res)).to.deep.equal(JSON.parse(JSON.stringify(doc)));
      });

      it('GET /metrics 200 with the bearer token, 401 without it', async () => {
        const authorized = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        expect(await conform(doc, 'get', '/metrics', authorized)).to.be.a('string').and.include('http_request_duration_seconds');
        const refused = await fetch(`${system.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
        expect(await conform(doc, 'get', '/metrics', refused)).to.include({ code: 'metrics_unauthorized' });
      });

      describe('POST /auth/backchannel-logout', () => {
        const post = (body: URLSearchParams) => fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body });

        it('200 for a valid logout token', async () => {
          const token = await system.idp.signLogoutToken({ aud: 'gateway', sub: 'nobody-signed-in' });
          const res = await post(new URLSearchParams({ logout_token: token }));
          expect(res.status).to.equal(200);
          expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.equal('');
        });

        it('400 invalid_request as plain JSON, not problem+json', async () => {
          const res = await post(new URLSearchParams({ other: 'x' }));
          expect(res.headers.get('content-type')).to.match(/^application\/json/);
          const body = await conform(doc, 'post', '/auth/backchannel-logout', res);
          expect(body).to.deep.equal({ error: 'invalid_request', error_description: 'missing logout_token' });
        });

        it('413 body_too_large for more than 10 form parameters', async () => {
          const res = await post(new URLSearchParams(Array.from({ length: 11 }, (_, i): [string, string] => [`p${i}`, 'x'])));
          expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.include({ code: 'body_too_large' });
        });
      });

      it('OPTIONS preflights from an embedding page and from anywhere else', async () => {
        for (const path of ['/api/livechat/ticket', '/auth/logout']) {
          const preflight = (origin: string) =>
            fetch(`${system.url}${path}`, {
              method: 'OPTIONS',
              headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf' },
            });
          const allowed = await preflight(EMBEDDING_PAGE);
          expect(allowed.status).to.equal(204);
          await conform(doc, 'options', path, allowed);
          const foreign = await preflight('https://evil.example');
          expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
          await conform(doc, 'options', path, foreign);
        }
      });

      it('GET /auth/login 303, and a stale GET /auth/callback 400 as JSON and as a page', async () => {
        await conform(doc, 'get', '/auth/login', await system.browser().get(`${system.url}/auth/login?returnTo=/account`));
        const stale = `${system.url}/auth/callback?code=x&state=unknown-state`;
        const json = await conform(doc, 'get', '/auth/callback', await fetch(stale, { headers: { accept: 'application/json' } }));
        expect(json).to.include({ code: 'login_expired', loginUrl: '/auth/login' });
        const page = await conform(doc, 'get', '/auth/callback', await fetch(stale, { headers: { accept: 'text/html' } }));
        expect(page).to.be.a('string').and.include('login_expired');
      });
    });

    describe('routes every operation it lists', () => {
      for (const [method, path] of operations(openApiDocument)) {
        it(`${method.toUpperCase()} ${path}`, async () => {
          const init: RequestInit = { method: method.toUpperCase(), redirect: 'manual', headers: { accept: 'application/json' } };
          const res = await fetch(`${system.url}${path}`, init);
          const text = await res.text();
          const unrouted = res.status === 404 && text.includes('"not_found"');
          expect(unrouted, `${method.toUpperCase()} ${path} answered ${res.status} ${text.slice(0, 200)}`).to.equal(false);
        });
      }
    });
  });

  describe('against a gateway whose IdP is down', () => {
    let gateway: Gateway;
    let url: string;
    let server: Server;
    let doc: OpenApiDocument;
    before(async () => {
      const config = loadConfig({
        PUBLIC_URL: 'http://127.0.0.1:1',
        SESSION_SECRET: TEST_SESSION_SECRET,
        OIDC_ISSUER_URL: 'http://127.0.0.1:1',
        OIDC_CLIENT_ID: 'gateway',
        OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
        ONETALK_API_KEY: TEST_API_KEY,
        ONETALK_BASE_URL: 'http://127.0.0.1:1',
        LOG_LEVEL: 'silent',
      });
      gateway = createApp(config, { logger: pino({ level: 'silent' }) });
      doc = buildOpenApiDocument(config.publicOrigin);
      ({ url, server } = await listen(gateway.app));
    });
    after(async () => {
      server.closeAllConnections();
      server.close();
      await gateway.close();
    });

    it('GET /readyz 503 names the failing check', async () => {
      const body = await conform(doc, 'get', '/readyz', await fetch(`${url}/readyz`));
      expect(body).to.include({ code: 'not_ready', failing: 'oidcDiscovery' });
    });

    it('GET /auth/login 503 idp_unavailable', async () => {
      const res = await fetch(`${url}/auth/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      const body = await conform(doc, 'get', '/auth/login', res);
      expect(body).to.include({ code: 'idp_unavailable' });
    });

    it('POST /auth/backchannel-logout 503 idp_unavailable', async () => {
      const res = await fetch(`${url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: 'x' }) });
      expect(await conform(doc, 'post', '/auth/backchannel-logout', res)).to.include({ code: 'idp_unavailable' });
    });

    it('GET /metrics without METRICS_TOKEN configured answers exactly like a path nobody serves', async () => {
      const metrics = (await conform(doc, 'get', '/metrics', await fetch(`${url}/metrics`))) as Record<string, unknown>;
      const unknown = (await (await fetch(`${url}/no-such-path`)).json()) as Record<string, unknown>;
      expect({ ...metrics, requestId: undefined }).to.deep.equal({ ...unknown, requestId: undefined });
    });
  });

  describe('against a gateway whose Redis is down', () => {
    let system: System;
    let doc: OpenApiDocument;
    let cookie: string;
    before(async () => {
      // Nothing listens on port 1: every Redis command fails at once (the client queues nothing offline).
      system = await startSystem({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
      doc = buildOpenApiDocument(system.config.publicOrigin);
      cookie = signedSessionCookie(system.config.session.secrets[0] as string);
    });
    after(async () => {
      await system.close();
    });

    const json = { accept: 'application/json' };
    const storeUnavailable = async (method: HttpMethod, path: string, res: Response): Promise<void> => {
      expect(res.headers.get('retry-after')).to.equal('2');
      expect(await conform(doc, method, path, res)).to.include({ code: 'session_store_unavailable', status: 503 });
    };

    it('GET /auth/session with a session cookie 503 session_store_unavailable', async () => {
      await storeUnavailable('get', '/auth/session', await fetch(`${system.url}/auth/session`, { headers: { ...json, cookie } }));
    });

    it('POST /auth/logout with a session cookie 503 session_store_unavailable', async () => {
      const res = await fetch(`${system.url}/auth/logout`, { method: 'POST', redirect: 'manual', headers: { ...json, cookie, 'x-csrf': '1' } });
      await storeUnavailable('post', '/auth/logout', res);
    });

    it('POST /api/livechat/ticket with a session cookie 503 session_store_unavailable', async () => {
      const res = await fetch(`${system.url}/api/livechat/ticket`, { method: 'POST', headers: { ...json, cookie, 'x-csrf': '1' } });
      await storeUnavailable('post', '/api/livechat/ticket', res);
    });

    it('GET /auth/callback 503 session_store_unavailable (the login transaction is in Redis)', async () => {
      // A state of the shape the gateway mints: anything else is refused without asking Redis.
      const res = await fetch(`${system.url}/auth/callback?code=x&state=${'S'.repeat(43)}`, { redirect: 'manual', headers: json });
      await storeUnavailable('get', '/auth/callback', res);
    });

    it('POST /auth/backchannel-logout 503 session_store_unavailable for a valid token (its jti is recorded in Redis)', async () => {
      const token = await system.idp.signLogoutToken({ aud: 'gateway', sub: 'alice' });
      const res = await fetch(`${system.url}/auth/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
      await storeUnavailable('post', '/auth/backchannel-logout', res);
    });

    it('GET /auth/login 503 rate_limit_unavailable (its per-IP counter is in Redis)', async () => {
      const res = await fetch(`${system.url}/auth/login`, { redirect: 'manual', headers: json });
      expect(await conform(doc, 'get', '/auth/login', res)).to.include({ code: 'rate_limit_unavailable' });
    });
  });
});
