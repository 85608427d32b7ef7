/**
 * The bodies of the ticket route as zod schemas. The route types its answer with them, and
 * src/openapi generates the document from them.
 */
import { z } from 'zod';

/** `POST /api/livechat/ticket`'s answer, and nothing else. */
export const ticketSchema = z
  .strictObject({ ticket: z.string().min(1), expiresAt: z.iso.datetime({ offset: true }) })
  .meta({ id: 'Ticket', description: 'A single-use OneTalk auth ticket, minted for this request and never cached. Nothing else is returned.' });
export type Ticket = z.infer<typeof ticketSchema>;

/** What the ticket route accepts as a body: none, or small JSON that it ignores. */
export const ticketRequestSchema = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
