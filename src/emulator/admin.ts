/**
 * Control routes under `/__emulator/`: inspect and seed contacts, flip settings, read the
 * request logs, redeem tickets, inspect and end visitor (widget) sessions. Not part of OneTalk; no API key (the emulator only listens on
 * loopback) and permissive CORS so a demo page served from another loopback port can read them.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ApiKeyState, Emulator, RecordedRequest } from './core.js';
import { MAX_LATENCY_MS } from './core.js';
import { phoneProblem } from './phone.js';
import { codePointLength } from './validate.js';

/** Where the admin router is mounted. */
export const ADMIN_PREFIX = '/__emulator';

/** A string of 1..max code points, like the API's own size ranges. */
const chars = (max: number) =>
  z.string().refine((s) => codePointLength(s) >= 1 && codePointLength(s) <= max, `must be 1 to ${max} characters`);

/** A seeded contact. Limits are the ticket endpoint's (the wider of the two). */
const SeedSchema = z.strictObject({
  customerUserID: chars(100).nullable().optional(),
  fullName: chars(250),
  alias: chars(100).optional(),
  email: chars(250).optional(),
  phone: chars(20)
    .superRefine((phone, ctx) => {
      const problem = phoneProblem(phone);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  photoURL: z.string().min(1).optional(),
});

const SettingsSchema = z.strictObject({
  tierSelected: z.boolean().optional(),
  latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS).optional(),
});

const RedeemSchema = z.object({ ticket: z.string().min(1) });

const RevokeSchema = z.strictObject({ userID: z.string().min(1).optional() });

const ttl = z.number().int().min(1).max(365 * 24 * 3_600_000);
const VisitorSettingsSchema = z.strictObject({ accessTokenTtlMs: ttl.optional(), refreshTokenTtlMs: ttl.optional() });

/** A recorded call as the admin route shows it: the key replaced by whether it was right. */
export type MaskedRequest = RecordedRequest & { apiKey: ApiKeyState };

/** Router for the admin routes; mount it at {@link ADMIN_PREFIX}. */
export function adminRouter(emulator: Emulator): Router {
  const router = Router({ caseSensitive: true, strict: true });

  router.use((req, res, next) => {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Cache-Control': 'no-store',
    });
    if (req.method === 'OPTIONS') {
      res.sendStatus(204);
      return;
    }
    next();
  });
  router.use(express.json({ limit: '64kb' }));

  router.get('/contacts', (_req, res) => {
    res.json(emulator.store.list());
  });

  router.post('/contacts', (req, res) => {
    const parsed = SeedSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_contact', issues: describe(parsed.error) });
      return;
    }
    const outcome = emulator.store.seed(parsed.data);
    if (!outcome.ok) {
      res.status(409).json({ error: outcome.reason });
      return;
    }
    res.status(201).json({ userID: outcome.contact.userID });
  });

  router.post('/reset', (_req, res) => {
    emulator.reset();
    res.json({ reset: true, settings: emulator.settings });
  });

  router.get('/settings', (_req, res) => {
    res.json(emulator.settings);
  });

  router.put('/settings', (req, res) => {
    const parsed = SettingsSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_settings', issues: describe(parsed.error) });
      return;
    }
    const { tierSelected, latencyMs } = parsed.data;
    if (tierSelected !== undefined) emulator.settings.tierSelected = tierSelected;
    if (latencyMs !== undefined) emulator.settings.latencyMs = latencyMs;
    res.json(emulator.settings);
  });

  router.get('/requests', (_req, res) => {
    res.json(emulator.requests.map((recorded) => mask(emulator, recorded)));
  });

  router.post('/tickets/redeem', async (req, res) => {
    const parsed = RedeemSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_request', issues: describe(parsed.error) });
      return;
    }
    const redeemed = await emulator.redeemTicket(parsed.data.ticket);
    if (!redeemed.valid) {
      res.status(401).json({ error: redeemed.reason });
      return;
    }
    const { sub, customerUserID, exp } = redeemed.claims;
    const contact = emulator.store.get(sub);
    // A ticket for a contact that no longer exists (emulator reset) cannot open a chat.
    if (contact === undefined) {
      res.status(401).json({ error: 'invalid' });
      return;
    }
    res.json({ userID: sub, customerUserID, contact, expiresAt: new Date(exp * 1000).toISOString() });
  });

  // The widget's side: live visitor sessions (never their tokens), ending them as OneTalk would
  // (the widget's next refresh then fails), token lifetimes, and the visitor API's call log.
  router.get('/visitor/sessions', (_req, res) => {
    res.json(emulator.visitors.list());
  });

  router.post('/visitor/revoke', (req, res) => {
    const parsed = RevokeSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_request', issues: describe(parsed.error) });
      return;
    }
    res.json({ revoked: emulator.visitors.revoke(parsed.data.userID) });
  });

  router.get('/visitor/settings', (_req, res) => {
    res.json(emulator.visitors.ttls);
  });

  router.put('/visitor/settings', (req, res) => {
    const parsed = VisitorSettingsSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_settings', issues: describe(parsed.error) });
      return;
    }
    Object.assign(emulator.visitors.ttls, parsed.data);
    res.json(emulator.visitors.ttls);
  });

  router.get('/visitor/requests', (_req, res) => {
    res.json(emulator.visitorRequests);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
    if (type === 'entity.parse.failed') res.status(400).json({ error: 'invalid_json' });
    else if (type === 'entity.too.large') res.status(413).json({ error: 'too_large' });
    else {
      emulator.logger.error({ err: error }, 'onetalk emulator admin failure');
      res.status(500).json({ error: 'internal' });
    }
  });
  return router;
}

function mask(emulator: Emulator, recorded: RecordedRequest): MaskedRequest {
  const { 'api-key': received, ...headers } = recorded.headers;
  const key = Array.isArray(received) ? received.join(', ') : received;
  return { ...recorded, headers, apiKey: emulator.apiKeyState(key) };
}

function describe(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
