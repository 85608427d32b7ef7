import type { Request, Response } from 'express';
import escapeHtml from 'escape-html';
import { z } from 'zod';
import { setDocumentHeaders } from './security-headers.js';

/** What an {@link HttpProblem} is made of. */
export interface HttpProblemInit {
  status: number;
  /** The stable, machine-readable code clients branch on (`urn:onetalk-gateway:problem:<code>`). */
  code: string;
  title: string;
  /** Written for people; never upstream text. */
  detail?: string | undefined;
  /** Extra members of the problem object (e.g. `loginUrl`). */
  extra?: Readonly<Record<string, string | number>>;
  /** Response headers to add (e.g. `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
  /** The error behind it, for the request's log line; never sent. */
  cause?: unknown;
}

/**
 * An error the gateway answers with on purpose, as RFC 9457 problem+json. `code` is the stable
 * member clients branch on; `detail` is written for people and never carries upstream text.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extra: Readonly<Record<string, string | number>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: HttpProblemInit) {
    super(init.detail ?? init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.extra = init.extra ?? {};
    this.headers = init.headers ?? {};
  }
}

/**
 * The problem+json body every error answer has (RFC 9457), as {@link sendProblem} writes it. Each
 * route's own problems narrow `status` and `code` and add their extension members (`loginUrl`,
 * `idpError`, `failing`): src/openapi builds those from this schema. Its `id` is its name in the
 * OpenAPI document.
 */
export const problemBodySchema = z
  .looseObject({
    type: z.url().describe('`urn:onetalk-gateway:problem:<code>`.'),
    title: z.string(),
    status: z.int().min(400).max(599),
    code: z.string().regex(/^[a-z][a-z_]*$/).describe('Stable machine-readable error code.'),
    detail: z.string().optional(),
    instance: z.string().meta({ format: 'uri-reference' }).optional(),
    requestId: z.string().optional().describe('The `X-Request-Id` of this answer; support finds the log line by it.'),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details. Clients branch on `code`; `detail` is for people and never carries upstream text.',
  });

export type ProblemBody = z.infer<typeof problemBodySchema>;

/** Writes a problem+json answer. Errors are never cached. */
export function sendProblem(res: Response, problem: HttpProblem, requestId?: string): void {
  const body: ProblemBody = {
    ...problem.extra,
    type: `urn:onetalk-gateway:problem:${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(requestId ? { requestId } : {}),
  };
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(body));
}


/**
 * A plain page for browsers that navigated here (the OIDC callback, a sign-in link): the same
 * facts as the problem object, and a way to start again. No stack, no upstream text.
 */
function problemPage(problem: HttpProblem, requestId?: string): string {
  const again = typeof problem.extra.loginUrl === 'string' ? problem.extra.loginUrl : undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(problem.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}
h1{font-size:1.4rem}a{color:#0b69a3}small{color:#616e7c}</style></head>
<body><h1>${escapeHtml(problem.title)}</h1>
${problem.detail ? `<p>${escapeHtml(problem.detail)}</p>` : ''}
${again ? `<p><a href="${escapeHtml(again)}">Sign in again</a></p>` : '<p><a href="/">Back to the site</a></p>'}
<p><small>Error code ${escapeHtml(problem.code)}${requestId ? ` · request ${escapeHtml(requestId)}` : ''}</small></p>
</body></html>`;
}

/** problem+json for API clients; an HTML page when the client asked for HTML first (a navigation). */
export function sendNegotiatedProblem(req: Request, res: Response, problem: HttpProblem, requestId?: string): void {
  if (req.accepts(['application/problem+json', 'application/json', 'text/html']) !== 'text/html') {
    sendProblem(res, problem, requestId);
    return;
  }
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  setDocumentHeaders(res);
  res.status(problem.status).type('html').send(problemPage(problem, requestId));
}
