import type { z } from 'zod';
import { envSchema } from './schema.js';

/** Thrown when the environment is invalid; `problems` names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** One problem with one variable (`''` when it concerns the environment as a whole). */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/** zod's issues as {@link ConfigIssue}s: the variable is the first step of the path. */
export function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ variable: String(issue.path[0] ?? ''), message: issue.message }));
}

const VARIABLE_ORDER = Object.keys(envSchema.shape);

/**
 * The one {@link ConfigError} for every issue found, for the gateway and the sync CLI alike: in
 * the schema's order (so a cross-variable rule reads next to the variable it names), each
 * problem once. Messages never carry a value: some are secrets.
 */
export function configError(issues: readonly ConfigIssue[]): ConfigError {
  const rank = (variable: string) => {
    const index = VARIABLE_ORDER.indexOf(variable);
    return index === -1 ? VARIABLE_ORDER.length : index;
  };
  const problems = [...issues].sort((a, b) => rank(a.variable) - rank(b.variable)).map((i) => `${i.variable || '(environment)'}: ${i.message}`);
  return new ConfigError([...new Set(problems)]);
}
