/**
 * OneTalk's two User/Contact API routes, answering exactly the document's envelope.
 *
 * Checks run in a fixed order, so a client sees the same error OneTalk would put first:
 * API-Key present → API-Key right → tier selected → body readable, ≤ 64 KiB, a JSON object →
 * parameters (first failing field in document order) → sync rules → success.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../onetalk/types.js';
import {
  DOCUMENTED_ERRORS,
  EMULATOR_ERRORS,
  MAX_BODY_BYTES,
  errorEnvelope,
  successEnvelope,
  type OneTalkEnvelope,
} from './codes.js';
import type { SyncOutcome } from './contacts.js';
import type { BodyKind, Emulator } from './core.js';
import { DOCUMENT_PATHS } from './document.js';
import { BODY_NOT_OBJECT, isJsonObject, validateContactBody } from './validate.js';

/** The ticket route answers at the document's path and at the /api/integration copy some clients use. */
export const TICKET_PATHS = [DOCUMENT_PATHS.requestAuthTicket, `/api/integration${DOCUMENT_PATHS.requestAuthTicket}`];
export const SYNC_PATH = DOCUMENT_PATHS.syncContact;

const SUCCESS_MESSAGES = { created: 'Contact created successfully', updated: 'Contact updated successfully' } as const;

/** What the body parser made of one request. Kept off `res.locals` to stay typed. */
interface CallState {
  at: string;
  bodyKind: BodyKind;
  body: unknown;
}

/** Router for the API routes (and envelope-shaped 404/405/500 around them). */
export function apiRouter(emulator: Emulator): Router {
  const calls = new WeakMap<Request, CallState>();
  const router = Router({ caseSensitive: true, strict: true });

  router.use((req, _res, next) => {
    calls.set(req, { at: new Date(emulator.now()).toISOString(), bodyKind: 'none', body: undefined });
    next();
  });
  // Read any body whatever its Content-Type: the document makes that header optional.
  router.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  // A body error must not answer yet: the key and tier checks come first. Note it and go on.
  router.use((error: unknown, req: Request, _res: Response, next: NextFunction) => {
    const call = calls.get(req);
    if (call) call.bodyKind = isTooLarge(error) ? 'too_large' : 'unreadable';
    next();
  });
  router.use((req, _res, next) => {
    const call = calls.get(req);
    if (call && call.bodyKind === 'none') Object.assign(call, decodeBody(req.body));
    next();
  });

  const answer = async (req: Request, res: Response, envelope: OneTalkEnvelope): Promise<void> => {
    const { latencyMs } = emulator.settings;
    if (latencyMs > 0) {
      try {
        await sleep(latencyMs, undefined, { signal: emulator.shutdown });
      } catch {
        return; // the emulator is closing; its sockets are being destroyed
      }
    }
    const call = calls.get(req) ?? { at: new Date(emulator.now()).toISOString(), bodyKind: 'none', body: undefined };
    emulator.requests.push({
      method: req.method,
      path: req.path,
      headers: { ...req.headers },
      body: call.body,
      bodyKind: call.bodyKind,
      status: envelope.status,
      code: envelope.error.code,
      at: call.at,
    });
    emulator.logger.info(
      { method: req.method, path: req.path, status: envelope.status, code: envelope.error.code },
      'onetalk emulator call',
    );
    res.status(envelope.status).json(envelope);
  };

  const handle = (endpoint: Endpoint) => async (req: Request, res: Response): Promise<void> => {
    const envelope = await decide(emulator, endpoint, req, calls.get(req));
    await answer(req, res, envelope);
  };

  for (const path of TICKET_PATHS) router.post(path, handle('requestAuthTicket'));
  router.post(SYNC_PATH, handle('syncContact'));
  router.all([...TICKET_PATHS, SYNC_PATH], (req, res) => answer(req, res, errorEnvelope(EMULATOR_ERRORS.methodNotAllowed)));
  router.use((req, res) => answer(req, res, errorEnvelope(EMULATOR_ERRORS.notFound)));
  router.use(async (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    emulator.logger.error({ err: error }, 'onetalk emulator failure');
    await answer(req, res, errorEnvelope(EMULATOR_ERRORS.internal));
  });
  return router;
}

/** Runs the checks in order and returns the envelope to answer with. Mutates only on success. */
async function decide(
  emulator: Emulator,
  endpoint: Endpoint,
  req: Request,
  call: CallState | undefined,
): Promise<OneTalkEnvelope> {
  const keyState = emulator.apiKeyState(req.get('api-key'));
  if (keyState === 'missing') return errorEnvelope(DOCUMENTED_ERRORS.headerRequired);
  if (keyState === 'invalid') return errorEnvelope(EMULATOR_ERRORS.invalidApiKey);
  if (!emulator.settings.tierSelected) return errorEnvelope(DOCUMENTED_ERRORS.tierNotSelected);

  const bodyKind = call?.bodyKind ?? 'none';
  if (bodyKind === 'too_large') return errorEnvelope(EMULATOR_ERRORS.bodyTooLarge);
  if (bodyKind !== 'json' || !isJsonObject(call?.body)) {
    return errorEnvelope(DOCUMENTED_ERRORS.paramInvalid, BODY_NOT_OBJECT, '');
  }

  const checked = validateContactBody(endpoint, call.body);
  if (!checked.ok) return errorEnvelope(DOCUMENTED_ERRORS.paramInvalid, checked.message, checked.field);

  const outcome = emulator.store.sync(checked.value);
  if (!outcome.ok) return conflictEnvelope(outcome);
  const data: Record<string, unknown> = {
    success: true,
    message: SUCCESS_MESSAGES[outcome.action],
    userID: outcome.contact.userID,
  };
  if (endpoint === 'requestAuthTicket') {
    data.ticket = (await emulator.tickets.issue(outcome.contact.userID, checked.value.customerUserID)).ticket;
  }
  return successEnvelope(data);
}

function conflictEnvelope(outcome: Extract<SyncOutcome, { ok: false }>): OneTalkEnvelope {
  // Duplicates can only come from `phone`: customerUserID is unique in the store by construction.
  return outcome.reason === 'duplicate_keys'
    ? errorEnvelope(EMULATOR_ERRORS.duplicateKeys, undefined, 'phone')
    : errorEnvelope(EMULATOR_ERRORS.customerUserIDChange, undefined, 'customerUserID');
}

/** Buffer from `express.raw` → parsed JSON, raw text, or nothing. */
function decodeBody(raw: unknown): Pick<CallState, 'bodyKind' | 'body'> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { bodyKind: 'none', body: undefined };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { bodyKind: 'unreadable', body: undefined };
  }
  try {
    return { bodyKind: 'json', body: JSON.parse(text) as unknown };
  } catch {
    return { bodyKind: 'text', body: text };
  }
}

function isTooLarge(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'type' in error && error.type === 'entity.too.large';
}
