import type { Response } from 'express';

/**
 * An error the gateway answers with on purpose, as RFC 9457 problem+json. `code` is the stable
 * member clients branch on; `detail` is written for people and never carries upstream text.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    /** Extra members of the problem object (e.g. `loginUrl`). */
    readonly extra: Readonly<Record<string, string | number>> = {},
    /** Response headers to add (e.g. `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? title, options);
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  [extra: string]: unknown;
}

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
