// The demo page's script: shows who is signed in, wires the widget client, and plays OneTalk's
// web widget by redeeming each ticket at the emulator. Every value goes in through textContent.
import { createLivechatClient } from '/livechat.js';

// Stand-in for what OneTalk's widget keeps in the browser: who the chat belongs to.
const IDENTITY_KEY = 'demo.onetalk.identity';
// Survives the sign-out round trip through the IdP, so the page can say the hook ran.
const CLEARED_KEY = 'demo.onetalk.identityClearedAt';

const $ = (id) => document.getElementById(id);
const show = (id, visible = true) => ($(id).hidden = !visible);
const setText = (id, value) => ($(id).textContent = value ?? '');

function setStatus(text, tone) {
  setText('chat-status', text);
  $('chat-status').dataset.tone = tone;
}

function showError(message) {
  setText('chat-error', message);
  show('chat-error', Boolean(message));
}

function initials(name) {
  const words = String(name).trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => Array.from(w)[0].toUpperCase()).join('') || '?';
}

/** Redeems the ticket at the emulator, as OneTalk's widget would trade it for an access token. */
async function redeem(emulatorUrl, ticket) {
  const res = await fetch(new URL('/__emulator/tickets/redeem', emulatorUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ticket }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`OneTalk refused the ticket (${body.error})`);
  return body;
}

function showAccepted(result, expiresAt) {
  const { contact } = result;
  setText('onetalk-user-id', result.userID);
  setText('contact-customer-user-id', contact.customerUserID);
  setText('contact-full-name', contact.fullName);
  setText('contact-alias', contact.alias || '—');
  setText('contact-email', contact.email || '—');
  setText('contact-phone', contact.phone || '—');
  setText('ticket-expires', new Date(expiresAt).toLocaleString());
  show('chat-accepted');
  show('identity');
  setStatus('Online', 'ok');
  document.body.dataset.ticket = 'accepted';
}

function showSignedOut() {
  document.body.dataset.state = 'signed-out';
  show('sign-in');
  show('user', false);
  show('sign-out', false);
  show('chat-signed-in', false);
  show('chat-signed-out');
  setStatus('Guest', 'idle');
}

function showSignedIn(user) {
  const name = user.name || user.email || 'there';
  document.body.dataset.state = 'signed-in';
  show('sign-in', false);
  setText('user-name', name);
  setText('avatar', initials(name));
  show('user');
  show('sign-out');
  show('chat-signed-out', false);
  setText('greeting-name', name);
  show('chat-signed-in');
}

async function main() {
  const cleared = sessionStorage.getItem(CLEARED_KEY);
  if (cleared) {
    sessionStorage.removeItem(CLEARED_KEY);
    setText('notice', 'You are signed out. The chat identity was cleared from this browser.');
    show('notice');
  }

  const [config, session] = await Promise.all([
    fetch('/demo/config.json').then((r) => r.json()),
    fetch('/auth/session', { credentials: 'same-origin' }).then((r) => r.json()),
  ]);

  const chat = createLivechatClient({
    gatewayUrl: location.origin,
    onTicket(ticket, { expiresAt }) {
      setStatus('Connecting…', 'busy');
      redeem(config.emulatorUrl, ticket).then(
        (result) => {
          localStorage.setItem(IDENTITY_KEY, JSON.stringify({ userID: result.userID }));
          showAccepted(result, expiresAt);
        },
        (err) => {
          setStatus('Offline', 'bad');
          showError(err.message);
        },
      );
    },
    onLoginRequired(loginUrl) {
      // The session ended (expired, or signed out in another tab): the chat must not stay
      // identified as that person for whoever uses this browser next.
      if (localStorage.getItem(IDENTITY_KEY)) void chat.clearIdentity();
      showSignedOut();
      $('login-link').href = loginUrl;
      show('login-required');
      document.body.dataset.ticket = 'login-required';
    },
    clearIdentity() {
      localStorage.removeItem(IDENTITY_KEY);
      sessionStorage.setItem(CLEARED_KEY, new Date().toISOString());
    },
  });

  const connect = () => {
    showError('');
    setStatus('Connecting…', 'busy');
    chat.getTicket().catch((err) => {
      if (err.code === 'login_required') return;
      setStatus('Offline', 'bad');
      showError(err.status ? `The chat is unavailable right now (${err.code}).` : 'The chat service could not be reached.');
    });
  };

  $('start-chat').addEventListener('click', connect);
  $('new-ticket').addEventListener('click', connect);
  $('sign-out').addEventListener('submit', (event) => {
    // The form works without JavaScript too; with it, the widget's identity is cleared first.
    event.preventDefault();
    void chat.signOut();
  });

  if (session.authenticated) {
    showSignedIn(session.user);
    connect();
  } else {
    showSignedOut();
  }
}

main().catch((err) => {
  setStatus('Offline', 'bad');
  showError(`The page could not start: ${err.message}`);
});
