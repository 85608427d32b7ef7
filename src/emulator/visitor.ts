/**
 * The visitor API: what OneTalk's web widget talks to from the browser, played by the emulator so
 * the whole chain (gateway ticket → widget token → chat) runs on loopback. Mounted at
 * {@link VISITOR_PREFIX}, mirroring the widget's default base `…/api/visitor/v1`.
 *
 * Paths and shapes come from OneTalk's public widget and SDK code, not from a published
 * reference: `POST auth/access_token/request` with `Authorization: Bearer <auth ticket>`,
 * `POST auth/access_token/refresh` with `Bearer <refresh token>`, `POST client/logout`, and the
 * `Secret-Key` header carrying the widget key from `TapTalkLive.init`. The chat routes
 * (`client/user/get`, `client/message/list|send`) exist for the stand-in's chat window.
 *
 * Checks run in a fixed order: Secret-Key present → right → Bearer credential present → the
 * credential itself. Answers use the User/Contact API's envelope.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { VISITOR_ERRORS, errorEnvelope, successEnvelope, type ErrorSpec, type OneTalkEnvelope } from './codes.js';
import type { Emulator } from './core.js';
import type { Contact } from './contacts.js';
import type { TokenRefusal } from './visitor-tokens.js';
import { codePointLength } from './validate.js';

/** Where the visitor API is mounted: the path of the widget's default base URL. */
export const VISITOR_PREFIX = '/api/visitor/v1';

/** The agent's automatic answer in the stand-in chat. */
export const AGENT_REPLY = 'Thanks! An agent will be with you shortly.';

const MAX_MESSAGE_CHARS = 2000;

/** What the widget is told about its user. */
function userView(contact: Contact): Record<string, unknown> {
  const { userID, customerUserID, fullName, alias, email, phone, photoURL } = contact;
  return { userID, customerUserID, fullName, alias, email, phone, photoURL };
}

/** The credential of `Authorization: Bearer <token>`, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

const ACCESS_REFUSED: Record<TokenRefusal, ErrorSpec> = {
  invalid: VISITOR_ERRORS.accessTokenInvalid,
  expired: VISITOR_ERRORS.accessTokenExpired,
};

/** Router for the visitor API; mount it at {@link VISITOR_PREFIX}. */
export function visitorRouter(emulator: Emulator): Router {
  const router = Router({ caseSensitive: true, strict: true });

  // The widget runs on the customer's pages, any origin; it sends its credentials in headers,
  // never cookies, so a wildcard origin gives nothing away.
  router.use((req, res, next) => {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Secret-Key, Content-Type',
      'Access-Control-Max-Age': '600',
      'Cache-Control': 'no-store',
    });
    if (req.method === 'OPTIONS') {
      res.sendStatus(204);
      return;
    }
    next();
  });
  router.use(express.json({ limit: '16kb' }));

  const answer = (req: Request, res: Response, envelope: OneTalkEnvelope, userID?: string): void => {
    emulator.visitorRequests.push({
      path: req.path,
      status: envelope.status,
      code: envelope.error.code,
      secretKey: emulator.widgetKeyState(req.get('secret-key')),
      ...(userID === undefined ? {} : { userID }),
      at: new Date(emulator.now()).toISOString(),
    });
    res.status(envelope.status).json(envelope);
  };

  /** The key and credential checks every route shares; undefined when `answer` was sent. */
  const credential = (req: Request, res: Response): string | undefined => {
    const key = emulator.widgetKeyState(req.get('secret-key'));
    if (key === 'missing') return void answer(req, res, errorEnvelope(VISITOR_ERRORS.secretKeyMissing));
    if (key === 'invalid') return void answer(req, res, errorEnvelope(VISITOR_ERRORS.secretKeyInvalid));
    const token = bearerOf(req.get('authorization'));
    if (token === undefined) return void answer(req, res, errorEnvelope(VISITOR_ERRORS.credentialsMissing));
    return token;
  };

  /** A route acting for the visitor an access token names. */
  const asVisitor =
    (handle: (req: Request, res: Response, contact: Contact) => void) =>
    (req: Request, res: Response): void => {
      const token = credential(req, res);
      if (token === undefined) return;
      const found = emulator.visitors.byAccessToken(token);
      if (!found.ok) return answer(req, res, errorEnvelope(ACCESS_REFUSED[found.reason]));
      const contact = emulator.store.get(found.userID);
      // The contact is gone (emulator reset): the token names nobody.
      if (contact === undefined) return answer(req, res, errorEnvelope(VISITOR_ERRORS.accessTokenInvalid));
      handle(req, res, contact);
    };

  router.post('/auth/access_token/request', async (req, res) => {
    const ticket = credential(req, res);
    if (ticket === undefined) return;
    const redeemed = await emulator.redeemTicket(ticket);
    if (!redeemed.valid) {
      const spec =
        redeemed.reason === 'expired'
          ? VISITOR_ERRORS.ticketExpired
          : redeemed.reason === 'already_redeemed'
            ? VISITOR_ERRORS.ticketUsed
            : VISITOR_ERRORS.ticketInvalid;
      answer(req, res, errorEnvelope(spec));
      return;
    }
    const contact = emulator.store.get(redeemed.claims.sub);
    if (contact === undefined) {
      answer(req, res, errorEnvelope(VISITOR_ERRORS.ticketInvalid));
      return;
    }
    const tokens = emulator.visitors.open(contact.userID, redeemed.claims.customerUserID);
    answer(req, res, successEnvelope({ ...tokens, user: userView(contact) }), contact.userID);
  });

  router.post('/auth/access_token/refresh', (req, res) => {
    const token = credential(req, res);
    if (token === undefined) return;
    const refreshed = emulator.visitors.refresh(token);
    if (!refreshed.ok) {
      const spec = refreshed.reason === 'expired' ? VISITOR_ERRORS.refreshTokenExpired : VISITOR_ERRORS.refreshTokenInvalid;
      answer(req, res, errorEnvelope(spec));
      return;
    }
    const contact = emulator.store.get(refreshed.userID);
    if (contact === undefined) {
      answer(req, res, errorEnvelope(VISITOR_ERRORS.refreshTokenInvalid));
      return;
    }
    answer(req, res, successEnvelope({ ...refreshed.tokens, user: userView(contact) }), contact.userID);
  });

  // An expired access token may still log out: the widget signs out whatever state it is in.
  router.post('/client/logout', (req, res) => {
    const token = credential(req, res);
    if (token === undefined) return;
    const userID = emulator.visitors.logout(token);
    if (userID === undefined) {
      answer(req, res, errorEnvelope(VISITOR_ERRORS.accessTokenInvalid));
      return;
    }
    answer(req, res, successEnvelope({ success: true, message: 'Logged out successfully' }), userID);
  });

  router.post(
    '/client/user/get',
    asVisitor((req, res, contact) => answer(req, res, successEnvelope({ user: userView(contact) }), contact.userID)),
  );

  router.post(
    '/client/message/list',
    asVisitor((req, res, contact) =>
      answer(req, res, successEnvelope({ messages: emulator.visitors.messages(contact.userID) }), contact.userID),
    ),
  );

  router.post(
    '/client/message/send',
    asVisitor((req, res, contact) => {
      const body: unknown = (req.body as { body?: unknown } | undefined)?.body;
      if (typeof body !== 'string' || body.trim() === '' || codePointLength(body) > MAX_MESSAGE_CHARS) {
        answer(req, res, errorEnvelope(VISITOR_ERRORS.messageInvalid, undefined, 'body'), contact.userID);
        return;
      }
      const messages = emulator.visitors.send(contact.userID, body, AGENT_REPLY);
      answer(req, res, successEnvelope({ messages }), contact.userID);
    }),
  );

  router.use((_req, res) => {
    res.status(404).json({ status: 404, error: { code: '40400', message: 'Not found', field: '' }, data: {} });
  });
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
    if (type === 'entity.parse.failed' || type === 'entity.too.large') {
      answer(req, res, errorEnvelope(VISITOR_ERRORS.messageInvalid, 'Request body must be a small JSON object', 'body'));
      return;
    }
    emulator.logger.error({ err: error }, 'onetalk emulator visitor failure');
    answer(req, res, errorEnvelope({ status: 500, code: '50000', message: 'Internal server error' }));
  });
  return router;
}
