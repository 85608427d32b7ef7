/** The probes' answers as zod schemas; src/openapi generates the document from them. */
import { z } from 'zod';

/** `GET /healthz`. */
export const healthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });
export type Health = z.infer<typeof healthSchema>;

/** `GET /readyz` when every check passes (a failing one answers a problem naming it). */
export const readySchema = z
  .strictObject({
    status: z.literal('ready'),
    checks: z.strictObject({ oidcDiscovery: z.literal('ok'), sessionStore: z.literal('ok') }),
  })
  .meta({ id: 'Ready' });
export type Ready = z.infer<typeof readySchema>;
