// The demo page's script: loads OneTalk's widget (the emulator's stand-in) the way a customer page
// loads the real one, connects it to the gateway's sign-in with /livechat-onetalk.js, and shows
// who is signed in. Every value goes in through textContent.
import { connectOneTalkWidget } from '/livechat-onetalk.js';

const $ = (id) => document.getElementById(id);
const show = (id, visible = true) => ($(id).hidden = !visible);
const setText = (id, value) => ($(id).textContent = value ?? '');

function initials(name) {
  const words = String(name).trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => Array.from(w)[0].toUpperCase()).join('') || '?';
}

/**
 * OneTalk's install snippet, minus the inline script the page's CSP forbids, and minus its
 * `TapTalkLive.init(widgetKey)`: the adapter starts the widget once no previous user's tokens are
 * left in it.
 */
function loadWidget({ widgetScriptUrl }) {
  const script = document.createElement('script');
  script.src = widgetScriptUrl;
  script.async = true;
  document.head.append(script);
}

function showAccount(session) {
  if (session.authenticated) {
    const name = session.user.name || session.user.email || 'there';
    document.body.dataset.state = 'signed-in';
    show('sign-in', false);
    setText('user-name', name);
    setText('avatar', initials(name));
    show('user');
    show('sign-out');
    setText('chat-summary', `Hi ${name}! Our tea people see your orders when you chat.`);
  } else {
    document.body.dataset.state = 'signed-out';
    show('sign-in');
    show('user', false);
    show('sign-out', false);
    setText('chat-summary', 'Hi! Sign in to chat as yourself, so we can see your orders.');
  }
}

async function refreshAccount() {
  const session = await fetch('/auth/session', { credentials: 'same-origin' }).then((r) => r.json());
  showAccount(session);
}

const STATUS = {
  starting: ['Connecting…', 'busy'],
  checking: ['Connecting…', 'busy'],
  authenticated: ['Signed in', 'ok'],
  anonymous: ['Guest', 'idle'],
  error: ['Offline', 'bad'],
};

function showChat(state) {
  const [text, tone] = STATUS[state.status] ?? STATUS.error;
  setText('chat-status', text);
  $('chat-status').dataset.tone = tone;
  document.body.dataset.chat = state.status;
  const failure = state.status === 'error' ? `The chat is unavailable right now (${state.error?.code ?? 'error'}).` : '';
  setText('chat-error', failure);
  show('chat-error', Boolean(failure));
  // The identity may have changed in another tab: show the account the widget now follows.
  if (state.status === 'authenticated' || state.status === 'anonymous') refreshAccount().catch(() => {});
}

async function main() {
  const config = await fetch('/demo/config.json').then((r) => r.json());
  loadWidget(config);
  await refreshAccount();
  const chat = connectOneTalkWidget({
    gatewayUrl: location.origin,
    // The widget's public key (it is in every page); the organization's API key never leaves the gateway.
    init: () => window.TapTalkLive.init(config.widgetKey),
    onChange: showChat,
  });
  $('sign-out').addEventListener('submit', (event) => {
    // The form works without JavaScript too; with it, the widget is logged out first.
    event.preventDefault();
    void chat.signOut();
  });
}

main().catch((err) => {
  setText('chat-status', 'Offline');
  setText('chat-error', `The page could not start: ${err.message}`);
  show('chat-error');
});
