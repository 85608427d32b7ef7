/**
 * Problem types: per route and status, the problem+json schema with the `code`s that route may
 * answer, built on src/http's problem body. The `code` enums here are the documented list; the
 * test suite checks it against every code src/ throws (test/integration/openapi-document.test.ts).
 */
import type { OpenApiGeneratorV31, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemBodySchema } from '../http/index.js';
import { noStore, retryAfter, type Headers } from './headers.js';


type Codes = readonly [string, ...string[]];

export interface ProblemSpec {
  codes: Codes;
  description: string;
  /** Extension members some of the codes carry; `.optional()` unless every one of them does. */
  extensions?: Record<string, z.ZodType>;
  /** Routes a browser navigates to also answer a page when `Accept` prefers `text/html`. */
  html?: boolean;
  headers?: Headers;
}

/** The problem+json schema of `status` with a `code` among `codes`. */
export function problemOf(status: number, codes: Codes, extensions: Record<string, z.ZodType> = {}) {
  return z.intersection(problemBodySchema, z.object({ status: z.literal(status), code: z.enum(codes), ...extensions }));
}

const codeList = (codes: Codes) => codes.map((code) => `\`${code}\``).join(', ');
const htmlPage = z.string().describe('The same facts as a page, for a browser that navigated here.');

/** A problem+json response whose `code` is one of `codes`, listed in the description as well. */
export function problem(status: number, spec: ProblemSpec): ResponseConfig {
  return {
    description: `${spec.description} \`code\`: ${codeList(spec.codes)}.`,
    headers: { ...noStore({ page: spec.html ?? false }), ...spec.headers },
    content: {
      'application/problem+json': { schema: problemOf(status, spec.codes, spec.extensions) },
      ...(spec.html ? { 'text/html': { schema: htmlPage } } : {}),
    },
  };
}

/**
 * `session_store_unavailable` (src/redis/errors.ts): with REDIS_URL set, Redis did not answer
 * within a second. Possible on every route that loads a session named by a cookie, and wherever
 * login transactions or logout records are kept. Always with `Retry-After: 2`.
 */
export const STORE_UNAVAILABLE = 'session_store_unavailable';

/** A 503 that is only `session_store_unavailable`. */
export const storeUnavailable = (html = false): ResponseConfig =>
  problem(503, {
    codes: [STORE_UNAVAILABLE],
    description: 'With REDIS_URL set: Redis did not answer within a second.',
    html,
    headers: { 'Retry-After': retryAfter(true) },
  });

/** The limiters of src/http/rate-limit.ts: a one-minute fixed window, IETF draft-8 headers. */
export const rateLimited = (description: string): ResponseConfig =>
  problem(429, {
    codes: ['rate_limited'],
    description,
    headers: {
      'Retry-After': retryAfter(true),
      RateLimit: { description: 'Remaining quota (draft-ietf-httpapi-ratelimit-headers-08).', schema: { type: 'string' } },
      'RateLimit-Policy': { description: 'The quota policy (same draft).', schema: { type: 'string' } },
    },
  });

/** The `code`s a problem schema built by {@link problemOf} allows; none for any other schema. */
function codesOf(schema: unknown): string[] {
  if (!(schema instanceof z.ZodIntersection)) return [];
  const member = schema.def.right instanceof z.ZodObject ? (schema.def.right.shape as Record<string, unknown>).code : undefined;
  return member instanceof z.ZodEnum ? member.options.map(String) : [];
}

/** What the document is generated from: routes, components and named schemas. */
export type Definitions = ConstructorParameters<typeof OpenApiGeneratorV31>[0];

/** Every `code` the problem schemas among `definitions` list: the routes' and the named schemas'. */
export function problemCodes(definitions: Definitions): Set<string> {
  const found = new Set<string>();
  for (const definition of definitions) {
    if (definition instanceof z.ZodType) continue;
    const schemas =
      definition.type === 'route'
        ? Object.values(definition.route.responses).flatMap((response) =>
            'content' in response ? Object.values(response.content ?? {}).map((media) => (media && 'schema' in media ? media.schema : undefined)) : [],
          )
        : definition.type === 'schema'
          ? [definition.schema]
          : [];
    for (const schema of schemas) for (const code of codesOf(schema)) found.add(code);
  }
  return found;
}
