/**
 * Checks real answers of the gateway against the generated OpenAPI document with ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1): the status is listed, required headers are there, every
 * documented header and the body conform. Also small server and cookie helpers of the OpenAPI
 * suites (openapi-document.test.ts, openapi-conformance.test.ts).
 */
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type express from 'express';
import type { OpenApiDocument } from '../../src/openapi/index.js';
import { newSessionId } from '../../src/session/index.js';

export type HttpMethod = 'get' | 'post' | 'options';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows `$ref`s to local components (responses, headers, parameters): ajv follows those inside schemas. */
export function resolve(doc: OpenApiDocument, node: unknown): { node: Node; pointer: string } {
  let pointer = '';
  for (let hops = 0; isNode(node) && typeof node.$ref === 'string'; hops += 1) {
    if (hops > 8 || !node.$ref.startsWith('#/')) throw new Error(`unresolvable $ref ${node.$ref}`);
    pointer = node.$ref.slice(1);
    node = pointer.split('/').slice(1).reduce<unknown>((at, part) => (isNode(at) ? at[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  }
  if (!isNode(node)) throw new Error(`unresolvable reference ${pointer}`);
  return { node, pointer };
}

const escape = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * One ajv per document: the document itself is added as a schema, so the `#/components/...`
 * references inside its schemas resolve, and each schema is compiled by its JSON pointer.
 */
function validatorsOf(doc: OpenApiDocument): (pointer: string) => ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  // The document's own members, as keywords ajv may ignore: strict mode stays on for every schema.
  ajv.addVocabulary(Object.keys(doc));
  ajv.addSchema(doc, 'openapi.json');
  const compiled = new Map<string, ValidateFunction>();
  return (pointer) => {
    let validate = compiled.get(pointer);
    if (!validate) compiled.set(pointer, (validate = ajv.compile({ $ref: `openapi.json#${pointer}` })));
    return validate;
  };
}

const checkers = new WeakMap<OpenApiDocument, ReturnType<typeof validatorsOf>>();

/** Every way `value` breaks the schema at `pointer`, as lines; empty when it conforms. */
function violations(doc: OpenApiDocument, pointer: string, value: unknown, what: string): string[] {
  let validators = checkers.get(doc);
  if (!validators) checkers.set(doc, (validators = validatorsOf(doc)));
  const validate = validators(pointer);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${what}${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
}

/**
 * Checks a real answer against the document's entry for `method path` and its status: required
 * headers present, every documented header's value, the media type, and the body. Returns the
 * body (parsed when JSON).
 */
export async function conform(doc: OpenApiDocument, method: HttpMethod, path: string, res: Response): Promise<unknown> {
  const base = `/paths/${escape(path)}/${method}`;
  const entry = resolve(doc, doc.paths?.[path]?.[method]).node.responses;
  if (!isNode(entry) || !(String(res.status) in entry)) throw new Error(`${method.toUpperCase()} ${path} answered ${res.status}, which the document does not list`);
  const { node: response, pointer } = resolve(doc, entry[String(res.status)]);
  const at = pointer || `${base}/responses/${res.status}`;
  const errors: string[] = [];
  for (const name of Object.keys(isNode(response.headers) ? response.headers : {})) {
    const { node: header, pointer: headerAt } = resolve(doc, (response.headers as Node)[name]);
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required === true) errors.push(`header ${name}: missing`);
      continue;
    }
    // Headers are serialised in OpenAPI's `simple` style: an integer header is its decimal text.
    const numeric = isNode(header.schema) && (header.schema.type === 'integer' || header.schema.type === 'number');
    const typed = numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    errors.push(...violations(doc, `${headerAt || `${at}/headers/${escape(name)}`}/schema`, typed, `header ${name}`));
  }
  const text = await res.text();
  let body: unknown = text;
  if (isNode(response.content)) {
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!(mediaType in response.content)) errors.push(`media type ${mediaType} is not one of ${Object.keys(response.content).join(', ')}`);
    else {
      if (mediaType.endsWith('json')) body = JSON.parse(text);
      errors.push(...violations(doc, `${at}/content/${escape(mediaType)}/schema`, body, 'body'));
    }
  }
  if (errors.length > 0) expect.fail(`${method.toUpperCase()} ${path} ${res.status} breaks the document:\n${errors.join('\n')}\n${text.slice(0, 300)}`);
  return body;
}

/** Every operation of `doc`, as `[method, path]`. */
export function operations(doc: OpenApiDocument): Array<[HttpMethod, string]> {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
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
