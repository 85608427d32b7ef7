/**
 * The bodies of the `/auth` surface as zod schemas. The routes type what they send with them,
 * and src/openapi generates the document from them, so the two cannot drift apart. A schema's
 * `id` is its name in the document's components.
 */
import { z } from 'zod';

/** `GET /auth/session`: who is signed in, as a page may show it. */
export const sessionUserSchema = z
  .strictObject({
    name: z.string().min(1),
    email: z.email().optional(),
    picture: z.url().optional().describe('An http(s) URL.'),
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .optional()
      .describe(
        'Opaque, stable per user: base64url of HMAC-SHA256 of the OneTalk `customerUserID` under `USER_ID_SECRET` ' +
          '(else a key derived from `ONETALK_API_KEY`). `/livechat.js` compares it with the owner it recorded for the ' +
          "widget's tokens. Reveals nothing without the key, and `SESSION_SECRET` rotations do not change it. " +
          'Absent only when the session cannot make a OneTalk user (then no ticket can be minted either).',
      ),
  })
  .meta({ id: 'SessionUser' });

/** `GET /auth/session`'s answer. */
export const sessionStateSchema = z
  .discriminatedUnion('authenticated', [
    z.strictObject({ authenticated: z.literal(false) }),
    z.strictObject({ authenticated: z.literal(true), user: sessionUserSchema }),
  ])
  .meta({ id: 'SessionState' });
export type SessionState = z.infer<typeof sessionStateSchema>;

/** `POST /auth/logout`, to a script that asked for JSON. */
export const logoutRedirectSchema = z
  .strictObject({ redirectTo: z.string().meta({ format: 'uri-reference' }) })
  .meta({ id: 'LogoutRedirect', description: "Where a script should navigate to finish signing out: the IdP's end-session URL, or `/`." });
export type LogoutRedirect = z.infer<typeof logoutRedirectSchema>;

/** `POST /auth/backchannel-logout`'s form: only `logout_token` counts. */
export const backchannelLogoutFormSchema = z.object({ logout_token: z.string().min(1) });

/** `POST /auth/backchannel-logout`'s refusal, as the spec words it (not problem+json). */
export const logoutErrorSchema = z
  .strictObject({ error: z.literal('invalid_request'), error_description: z.string().min(1) })
  .meta({
    id: 'LogoutError',
    description:
      'OIDC Back-Channel Logout 1.0 §2.8: an OAuth-style error for the IdP, not problem+json. ' +
      '`error_description` is a short reason, also logged.',
  });
export type LogoutError = z.infer<typeof logoutErrorSchema>;
