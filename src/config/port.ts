import { configError, issuesOf } from './problems.js';
import { envSchema } from './schema.js';

/**
 * `PORT` alone, by the schema's rule, for processes that need nothing else: the container's
 * health check runs beside the gateway with the same environment but must not depend on the rest.
 * @throws ConfigError when PORT is invalid.
 */
export function portFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = envSchema.pick({ PORT: true }).safeParse({ PORT: env.PORT });
  if (!parsed.success) throw configError(issuesOf(parsed.error));
  return parsed.data.PORT;
}
