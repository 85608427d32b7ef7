/**
 * Pure helpers of the OpenAPI suites (openapi-document.test.ts, openapi-conformance.test.ts).
 * No schema validator package is installed, so a small checker for exactly the JSON Schema
 * keywords the document uses lives here; it refuses any other keyword, so the document cannot
 * outgrow what is checked. Also: the scan of src/ for `HttpProblem` codes, the document's own
 * `code` enums, and small server and cookie helpers.
 */
import { newSessionId } from '../../src/session/index.js';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type express from 'express';
import type { HttpMethod, OpenApiDocument, Reference, ResponseObject, SchemaObject } from '../../src/http/openapi.js';

/** The gateway's source folder, scanned by {@link thrownCodes}. */
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

// ---------------------------------------------------------------------------------------------
// A JSON Schema checker for the keywords of SchemaObject, nothing more.

/** The JSON Schema keywords {@link check} understands; a schema using any other is refused. */
export const KEYWORDS = new Set([
  '$ref', 'type', 'description', 'properties', 'required', 'additionalProperties', 'items', 'allOf', 'oneOf',
  'const', 'enum', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
]);

/** The string `format`s {@link check} understands, each with its test. */
export const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v)),
  uri: (v) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(v),
  'uri-reference': (v) => /^\S*$/.test(v),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
};

/** Follows a local `#/components/...` reference. */
export function resolve<T>(doc: OpenApiDocument, node: T | Reference): T {
  if (!node || typeof node !== 'object' || !('$ref' in node) || typeof node.$ref !== 'string') return node as T;
  let target: unknown = doc;
  for (const part of node.$ref.replace(/^#\//, '').split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[part];
  }
  if (target === undefined) throw new Error(`unresolvable $ref ${node.$ref}`);
  return resolve(doc, target as T | Reference);
}

/** The JSON Schema type of `value`: `null`, `array` and `integer` told apart from `object` and `number`. */
export const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

/** Every way `value` breaks `schema`, as `path: reason` lines; empty when it conforms. */
export function check(doc: OpenApiDocument, schema: SchemaObject, value: unknown, at = '$'): string[] {
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
export function headerValue(schema: SchemaObject, raw: string): unknown {
  const numeric = [schema.type ?? []].flat().some((t) => t === 'integer' || t === 'number');
  return numeric && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
}

/**
 * Checks a real answer against the document's entry for `method path` and its status: required
 * headers present, every documented header's value, the media type, and the body.
 */
export async function conform(doc: OpenApiDocument, method: HttpMethod, path: string, res: Response): Promise<unknown> {
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
export function scanCodes(files: ReadonlyArray<[name: string, text: string]>): { codes: Set<string>; unexplained: string[] } {
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

/** {@link scanCodes} over every `.ts` file under src/. */
export function thrownCodes(): { codes: Set<string>; unexplained: string[] } {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return scanCodes(files.map((file) => [file, readFileSync(join(SRC, file), 'utf8')]));
}

/** Every value of a `code` member's `enum` anywhere in the document. */
export function documentedCodes(node: unknown, found = new Set<string>()): Set<string> {
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

/** Every operation of `doc`, as `[method, path]`. */
export function operations(doc: OpenApiDocument): Array<[HttpMethod, string]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method): [HttpMethod, string] => [method as HttpMethod, path]),
  );
}

/** A validly signed cookie for a session the store does not hold: loading it asks the store. */
export function signedSessionCookie(secret: string, id = newSessionId('openapi-test-user')): string {
  const mac = createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
  return `onetalk.sid=${encodeURIComponent(`${id}.${mac}`)}`;
}

/** Starts `app` on a free loopback port; the caller closes `server`. */
export async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
