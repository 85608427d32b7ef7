/**
 * Pages of the development OpenID Provider, and the sign-in interaction routes that serve
 * them. Every page is self-contained (inline CSS, no web fonts): oidc-provider's defaults pull
 * fonts from a CDN, and the demo and tests must not leave loopback. Every interpolated value
 * goes through escape-html.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import escapeHtml from 'escape-html';
import type { Provider } from './idp-provider.js';
import type { DevUser } from './users.js';

const MAX_FORM_BYTES = 16 * 1024;

const STYLE = `
  body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2328;margin:0;padding:48px 16px}
  main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;
       box-shadow:0 1px 3px rgba(0,0,0,.15)}
  h1{font-size:1.4em;margin:0 0 4px}
  p.sub{color:#57606a;margin:0 0 20px}
  label{display:block;font-weight:600;margin:12px 0 4px}
  input{box-sizing:border-box;width:100%;padding:8px;font-size:1em;border:1px solid #d0d7de;border-radius:6px}
  button{margin-top:20px;width:100%;padding:10px;font-size:1em;border:0;border-radius:6px;
         background:#0969da;color:#fff;cursor:pointer}
  .error{background:#ffebe9;border:1px solid #ff818266;border-radius:6px;padding:8px 12px;margin-bottom:12px}
  .hint{color:#57606a;font-size:.9em;margin-top:20px}
  .hint code{background:#f6f8fa;padding:1px 4px;border-radius:4px}
  a.cancel{display:block;text-align:center;margin-top:14px;color:#57606a}`;

function page(title: string, body: string, head = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${head}
</head>
<body><main>
${body}
</main></body>
</html>`;
}

/** What the sign-in page needs to know. */
export interface LoginPageModel {
  /** Interaction id; the form posts to `/interaction/<uid>/login`. */
  uid: string;
  users: readonly DevUser[];
  /** Display name of the relying party asking for the sign-in. */
  clientName?: string;
  /** Shown above the form, e.g. after an unknown login. */
  error?: string;
  /** Pre-fills the login field after an error. */
  login?: string;
}

/** The sign-in form: inputs `login` and `password`, submit button "Sign in". */
export function renderLoginPage(model: LoginPageModel): string {
  const uid = encodeURIComponent(model.uid);
  const userList = model.users.map((u) => `<code>${escapeHtml(u.id)}</code>`).join(', ');
  const error = model.error ? `<div class="error" role="alert">${escapeHtml(model.error)}</div>` : '';
  const to = model.clientName ? ` to continue to ${escapeHtml(model.clientName)}` : '';
  return page(
    'Sign in · Development IdP',
    `<h1>Sign in</h1>
<p class="sub">Development identity provider${to}.</p>
${error}
<form method="post" action="/interaction/${uid}/login" autocomplete="off">
  <label for="login">Username</label>
  <input id="login" name="login" required autofocus value="${escapeHtml(model.login ?? '')}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password">
  <button type="submit">Sign in</button>
</form>
<p class="hint">Demo users: ${userList}. Any password works.</p>
<a class="cancel" href="/interaction/${uid}/abort">Cancel</a>`,
  );
}

/**
 * The RP-initiated logout confirmation, made to submit itself so that signing out is one
 * redirect in a browser. `form` is oidc-provider's own `<form id="op.logoutForm">` carrying its
 * anti-forgery `xsrf` value; `logout=yes` joins it through the `form` attribute and asks the
 * provider to end the whole session (and so notify every client over the back channel).
 * Auto-confirming gives up protection against drive-by sign-out, acceptable for a dev IdP only.
 */
export function renderLogoutPage(form: string): string {
  return page(
    'Signing out · Development IdP',
    `<h1>Signing out…</h1>
${form}
<input type="hidden" name="logout" value="yes" form="op.logoutForm">
<noscript><button type="submit" form="op.logoutForm">Sign out</button></noscript>`,
    `<script>document.addEventListener('DOMContentLoaded',function(){document.getElementById('op.logoutForm').submit()})</script>`,
  );
}

/** Shown when logout ends without a `post_logout_redirect_uri`. */
export function renderPostLogoutPage(clientName?: string): string {
  const from = clientName ? ` from ${escapeHtml(clientName)}` : '';
  return page('Signed out · Development IdP', `<h1>Signed out</h1><p class="sub">You have signed out${from}.</p>`);
}

/** Error page for the provider and the interaction routes; shows only OAuth error fields. */
export function renderErrorPage(error: string, description?: string): string {
  const detail = description ? `<p>${escapeHtml(description)}</p>` : '';
  return page('Error · Development IdP', `<h1>Something went wrong</h1><div class="error">${escapeHtml(error)}</div>${detail}`);
}

/**
 * The sign-in interaction. No CSRF token of our own: oidc-provider binds each interaction to
 * a signed, path-scoped, SameSite=Lax cookie, so a forged POST has no interaction to finish.
 * Abort is a GET link for the same reason: it can only cancel the caller's own interaction.
 */
export async function handleInteraction(
  provider: Provider, users: readonly DevUser[], req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return sendHtml(res, 400, renderErrorPage('invalid_request', 'interaction mismatch'));
  const clientName = typeof details.params['client_id'] === 'string' ? details.params['client_id'] : undefined;

  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (action === undefined) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendHtml(res, 405, renderErrorPage('method_not_allowed'));
    return sendHtml(res, 200, renderLoginPage({ uid, users, clientName }));
  }
  if (req.method !== 'POST') return sendHtml(res, 405, renderErrorPage('method_not_allowed'));
  const form = await readForm(req);
  const login = (form.get('login') ?? '').trim();
  const user = users.find((u) => u.id === login);
  if (!user) {
    const error = login ? `No account named “${login}”.` : 'Enter a username.';
    return sendHtml(res, 401, renderLoginPage({ uid, users, clientName, error, login }));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw Object.assign(new Error('form too large'), { status: 413, error: 'request_too_large' });
    chunks.push(chunk);
  }
  // Decoded once, whole: a multi-byte character may straddle two chunks.
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No form-action: Chromium applies it to the redirects after the sign-in POST too.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  }).end(html);
}

/** Interaction failures (e.g. an expired interaction cookie) as a page, never a stack. */
export function sendInteractionError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  const { status, error, error_description: description } = err as { status?: number; error?: string; error_description?: string };
  const known = typeof status === 'number' && status < 500 && typeof error === 'string';
  sendHtml(res, known ? status : 500, renderErrorPage(known ? error : 'server_error', known ? description : undefined));
}
