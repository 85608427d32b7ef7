/*
 * Stand-in for OneTalk's web widget launcher, served by the project's OneTalk emulator at the real
 * launcher's path (/static/launcher/web/v1.0/main.js).
 *
 * It has the public surface the real launcher's code shows, and nothing more:
 *   TapTalkLive.init(widgetKey)                      sent as Secret-Key on every call
 *   TapTalkLive.authenticateWithAuthTicket(ticket, callback)
 *   TapTalkLive.isAuthenticated()
 *   TapTalkLive.launcherLogout(callback)
 * It keeps its tokens in localStorage under `taplive.auth`, calls the visitor API paths the real
 * one calls (below its own origin's /api/visitor/v1/), refreshes an expired access token with the
 * refresh token, and forgets its tokens when a refresh is refused. So a page integrates it exactly
 * as it integrates the real widget; only the script URL and the key differ.
 *
 * launcherLogout works before init too: the tokens are forgotten at once, and OneTalk is told at
 * init, when the key is known (what the real widget does there, its code does not show).
 *
 * Like the copy of the real widget we know, authenticateWithAuthTicket never calls its callback.
 * Tests that want the other behaviour set `window.TapTalkLiveStandIn = { callCallback: true }`.
 * Every value reaches the page through textContent: nothing is parsed as HTML.
 */
(function () {
  'use strict';
  if (window.TapTalkLive) return;

  var scriptUrl = (document.currentScript && document.currentScript.src) || location.href;
  var API = new URL('/api/visitor/v1/', scriptUrl).href;
  var STYLESHEET = new URL('main.css', scriptUrl).href;
  var STORAGE_KEY = 'taplive.auth';
  var CALL_TIMEOUT_MS = 10000;

  var secretKey = '';
  // Access tokens to log out at OneTalk once init gives us the key (launcherLogout before init).
  var pendingLogouts = [];
  var ui = null;
  var user = null;
  var messages = [];
  var refreshing = null;

  function readAuth() {
    try {
      var auth = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      return auth && typeof auth.accessToken === 'string' && typeof auth.refreshToken === 'string' ? auth : null;
    } catch (e) {
      return null;
    }
  }

  function writeAuth(data) {
    localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({
        accessToken: data.accessToken,
        accessTokenExpiry: data.accessTokenExpiry,
        refreshToken: data.refreshToken,
        refreshTokenExpiry: data.refreshTokenExpiry,
      }),
    );
  }

  function forget() {
    localStorage.removeItem(STORAGE_KEY);
    user = null;
    messages = [];
    render();
  }

  /** One visitor API call: resolves with {ok, status, code, data}; a network failure is status 0. */
  function call(path, token, body) {
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, CALL_TIMEOUT_MS);
    return fetch(API + path, {
      method: 'POST',
      headers: { 'Secret-Key': secretKey, Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
      signal: abort.signal,
    })
      .then(function (res) {
        return res.json().then(
          function (envelope) {
            var error = (envelope && envelope.error) || {};
            return { ok: res.ok, status: res.status, code: error.code || '', data: (envelope && envelope.data) || {} };
          },
          function () { return { ok: false, status: res.status, code: '', data: {} }; },
        );
      })
      .catch(function () { return { ok: false, status: 0, code: '', data: {} }; })
      .finally(function () { clearTimeout(timer); });
  }

  /**
   * Trades the refresh token for a new pair, once at a time. A refusal forgets the tokens, unless
   * another tab refreshed first (the stored refresh token changed): then that pair is used.
   */
  function refresh() {
    if (refreshing) return refreshing;
    var used = readAuth();
    if (!used) return Promise.resolve(null);
    refreshing = call('auth/access_token/refresh', used.refreshToken)
      .then(function (res) {
        if (res.ok) {
          writeAuth(res.data);
          return readAuth();
        }
        var now = readAuth();
        if (now && now.refreshToken !== used.refreshToken) return now;
        if (res.status === 401) forget();
        return null;
      })
      .finally(function () { refreshing = null; });
    return refreshing;
  }

  /** A call as the signed-in visitor: refreshes an expired or refused access token once. */
  function asVisitor(path, body) {
    var auth = readAuth();
    if (!auth) return Promise.resolve(null);
    var ready = auth.accessTokenExpiry > Date.now() ? Promise.resolve(auth) : refresh();
    return ready.then(function (current) {
      if (!current) return null;
      return call(path, current.accessToken, body).then(function (res) {
        if (res.status !== 401) return res;
        return refresh().then(function (renewed) {
          return renewed ? call(path, renewed.accessToken, body) : null;
        });
      });
    });
  }

  /** Reloads who the visitor is and their conversation. */
  function load() {
    return asVisitor('client/user/get').then(function (res) {
      if (!res || !res.ok) {
        if (!readAuth()) user = null;
        render();
        return;
      }
      user = res.data.user;
      return asVisitor('client/message/list').then(function (list) {
        messages = list && list.ok ? list.data.messages : [];
        render();
      });
    });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function build() {
    document.head.append(element('link', { rel: 'stylesheet', href: STYLESHEET }));
    var launcher = element('button', { id: 'taplive-launcher', type: 'button', 'aria-expanded': 'false' }, 'Chat');
    var panel = element('section', { id: 'taplive-window', 'aria-label': 'Live chat', hidden: '' });
    var title = element('h2', {}, 'Live chat');
    var identity = element('p', { id: 'taplive-identity' });
    var list = element('ol', { id: 'taplive-messages' });
    var form = element('form', { id: 'taplive-form' });
    var input = element('input', { id: 'taplive-input', name: 'body', autocomplete: 'off', maxlength: '2000', 'aria-label': 'Message' });
    var send = element('button', { type: 'submit' }, 'Send');
    form.append(input, send);
    panel.append(title, identity, list, form);
    document.body.append(launcher, panel);

    launcher.addEventListener('click', function () {
      panel.hidden = !panel.hidden;
      launcher.setAttribute('aria-expanded', String(!panel.hidden));
      if (!panel.hidden && readAuth()) load();
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      asVisitor('client/message/send', { body: body }).then(function (res) {
        if (res && res.ok) {
          input.value = '';
          messages = res.data.messages;
        }
        render();
      });
    });
    ui = { launcher: launcher, panel: panel, identity: identity, list: list, input: input, send: send };
  }

  function render() {
    if (!ui) return;
    var signedIn = Boolean(user && readAuth());
    var state = signedIn ? 'authenticated' : 'guest';
    ui.launcher.dataset.state = state;
    ui.panel.dataset.state = state;
    ui.launcher.dataset.userId = signedIn ? user.userID : '';
    ui.identity.textContent = signedIn
      ? 'You are chatting as ' + user.fullName
      : 'You are a guest. Sign in on this site to chat as yourself.';
    ui.input.disabled = !signedIn;
    ui.send.disabled = !signedIn;
    ui.list.replaceChildren.apply(
      ui.list,
      (signedIn ? messages : []).map(function (m) {
        var item = element('li', {}, m.body);
        item.dataset.from = m.from;
        return item;
      }),
    );
  }

  // Another tab signed the widget in or out: show what the shared storage now holds.
  window.addEventListener('storage', function (event) {
    if (event.key !== STORAGE_KEY && event.key !== null) return;
    if (readAuth()) {
      load();
    } else {
      user = null;
      messages = [];
      render();
    }
  });

  window.TapTalkLive = {
    init: function (key) {
      secretKey = String(key || '');
      pendingLogouts.splice(0).forEach(function (token) { call('client/logout', token); });
      if (!ui) build();
      if (readAuth()) load();
      else render();
    },

    authenticateWithAuthTicket: function (ticket, callback) {
      var settings = window.TapTalkLiveStandIn || {};
      var done = function (error) {
        if (settings.callCallback && typeof callback === 'function') callback(error || null);
      };
      call('auth/access_token/request', String(ticket)).then(function (res) {
        if (!res.ok) return done({ code: res.code, status: res.status });
        writeAuth(res.data);
        user = res.data.user;
        messages = [];
        render();
        return load().then(function () { done(null); });
      });
    },

    isAuthenticated: function () {
      var auth = readAuth();
      return Boolean(auth && auth.refreshTokenExpiry > Date.now());
    },

    launcherLogout: function (callback) {
      var auth = readAuth();
      var finish = function () {
        forget();
        if (typeof callback === 'function') callback();
      };
      if (!auth) return finish();
      // Not started yet: no key to call OneTalk with. Forget the tokens now, tell OneTalk at init.
      if (!secretKey) {
        pendingLogouts.push(auth.accessToken);
        return finish();
      }
      call('client/logout', auth.accessToken).then(finish);
    },
  };
})();
