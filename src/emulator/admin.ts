/**
 * Control routes under `/__emulator/`: inspect and seed contacts, flip settings, read the
 * request logs, redeem tickets, inspect and end visitor (widget) sessions. Not part of OneTalk;
 * no API key (the emulator only listens on loopback) and permissive CORS so a demo page served
 * from another loopback port can read them.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ApiKeyState, Emulator, RecordedRequest } from './core.js';
import { MAX_LATENCY_MS } from './core.js';
import { DOCUMENT_FIELD_LIMITS } from './document.js';
import { phoneProblem } from './phone.js';
import { codePointLength } from './validate.js';

/** Where the admin router is mounted. */
export const ADMIN_PREFIX = '/__emulator';

/** A string of 1..max code points, like the API's own size ranges. */
const chars = (max: number) =>
  z.string().refine((s) => codePointLength(s) >= 1 && codePointLength(s) <= max, `must be 1 to ${max} characters`);

const SEED_LIMITS = DOCUMENT_FIELD_LIMITS.requestAuthTicket;

/** A seeded contact. Limits are the ticket endpoint's (the wider of the two). */
const SeedSchema = z.strictObject({
  customerUserID: chars(SEED_LIMITS.customerUserID).nullable().optional(),
  fullName: chars(SEED_LIMITS.fullName),
  alias: chars(SEED_LIMITS.alias).optional(),
  email: chars(SEED_LIMITS.email).optional(),
  phone: chars(SEED_LIMITS.phone)
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
  router.use(permissiveCors);
  router.use(express.json({ limit: '64kb' }));
  contactRoutes(router, emulator);
  settingsRoutes(router, emulator);
  ticketRoutes(router, emulator);
  visitorRoutes(router, emulator);
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

/** Any loopback page may read these routes (the demo page is served from another port). */
function permissiveCors(req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Cache-Control': 'no-store',
  });
  if (req.method === 'OPTIONS') res.sendStatus(204);
  else next();
}

/** The body as `schema` reads it, or undefined once 400 `{ error, issues }` has been answered. */
function bodyOf<T>(schema: z.ZodType<T>, body: unknown, res: Response, error: string): T | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  res.status(400).json({ error, issues: describe(parsed.error) });
  return undefined;
}

/** Seeded contacts, and resetting the whole emulator. */
function contactRoutes(router: Router, emulator: Emulator): void {
  router.get('/contacts', (_req, res) => {
    res.json(emulator.store.list());
  });
  router.post('/contacts', (req, res) => {
    const seed = bodyOf(SeedSchema, req.body, res, 'invalid_contact');
    if (seed === undefined) return;
    const outcome = emulator.store.seed(seed);
    if (!outcome.ok) res.status(409).json({ error: outcome.reason });
    else res.status(201).json({ userID: outcome.contact.userID });
  });
  router.post('/reset', (_req, res) => {
    emulator.reset();
    res.json({ reset: true, settings: emulator.settings });
  });
}

/** The API's settings (tier, latency) and its request log, the key masked. */
function settingsRoutes(router: Router, emulator: Emulator): void {
  router.get('/settings', (_req, res) => {
    res.json(emulator.settings);
  });
  router.put('/settings', (req, res) => {
    const settings = bodyOf(SettingsSchema, req.body, res, 'invalid_settings');
    if (settings === undefined) return;
    if (settings.tierSelected !== undefined) emulator.settings.tierSelected = settings.tierSelected;
    if (settings.latencyMs !== undefined) emulator.settings.latencyMs = settings.latencyMs;
    res.json(emulator.settings);
  });
  router.get('/requests', (_req, res) => {
    res.json(emulator.requests.map((recorded) => mask(emulator, recorded)));
  });
}

/** Redeeming a ticket as the widget's backend would: its contact, or 401. */
function ticketRoutes(router: Router, emulator: Emulator): void {
  router.post('/tickets/redeem', async (req, res) => {
    const body = bodyOf(RedeemSchema, req.body, res, 'invalid_request');
    if (body === undefined) return;
    const redeemed = await emulator.redeemTicket(body.ticket);
    if (!redeemed.valid) {
      res.status(401).json({ error: redeemed.reason });
      return;
    }
    const { sub, customerUserID, exp } = redeemed.claims;
    const contact = emulator.store.get(sub);
    // A ticket for a contact that no longer exists (emulator reset) cannot open a chat.
    if (contact === undefined) res.status(401).json({ error: 'invalid' });
    else res.json({ userID: sub, customerUserID, contact, expiresAt: new Date(exp * 1000).toISOString() });
  });
}

/**
 * The widget's side: live visitor sessions (never their tokens), ending them as OneTalk would
 * (the widget's next refresh then fails), token lifetimes, and the visitor API's call log.
 */
function visitorRoutes(router: Router, emulator: Emulator): void {
  router.get('/visitor/sessions', (_req, res) => {
    res.json(emulator.visitors.list());
  });
  router.post('/visitor/revoke', (req, res) => {
    const body = bodyOf(RevokeSchema, req.body ?? {}, res, 'invalid_request');
    if (body !== undefined) res.json({ revoked: emulator.visitors.revoke(body.userID) });
  });
  router.get('/visitor/settings', (_req, res) => {
    res.json(emulator.visitors.ttls);
  });
  router.put('/visitor/settings', (req, res) => {
    const ttls = bodyOf(VisitorSettingsSchema, req.body, res, 'invalid_settings');
    if (ttls === undefined) return;
    Object.assign(emulator.visitors.ttls, ttls);
    res.json(emulator.visitors.ttls);
  });
  router.get('/visitor/requests', (_req, res) => {
    res.json(emulator.visitorRequests);
  });
}

function mask(emulator: Emulator, recorded: RecordedRequest): MaskedRequest {
  const { 'api-key': received, ...headers } = recorded.headers;
  const key = Array.isArray(received) ? received.join(', ') : received;
  return { ...recorded, headers, apiKey: emulator.apiKeyState(key) };
}

function describe(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
