// Sign-in and connection lifecycle: decides which screen the page shows (GET /api/me, the link it
// was opened with), starts the protocol client (start) and wires its events to the controllers,
// shows the connection state in the top bar and the banner, signs out and tears everything down.

import { OutloudClient, isValidSlug } from './outloud.js';
import { loadIdentity, forgetIdentity, orgColourClass } from './identity.js';
import * as api from './api.js';
import { clearSetupAddress, loadToken, saveToken, forgetToken } from './signin-view.js';
import { app, el, toast } from './app-context.js';
import { LAST_ROOM_KEY } from './room-store.js';
import { refreshRooms, roomFromHash, onRoomChanged, onMemberChanged } from './room-directory.js';
import { focusRoom, focusRooms, openRoom, onJoined, onMessage, onPresence, onTyping, showRoom } from './room-screen.js';
import { SESSION_EVENTS, onSessionEvent } from './session-controller.js';
import { onChanged, catchUpChanges, onRoleChanged } from './message-tools.js';
import { PRESENCE_PAGE, watchLargeRoomPresence } from './presence-paging.js';
import { showAdmin, hideAdmin } from './page-chrome.js';
import { attachThreads } from './threads.js';

const REFUSED_AGAIN_MS = 5000;

const ROOMS_REFRESH_MS = 20000;

// GET /api/me answers 503 while the server cannot tell yet whether it is set up (a node that has
// just started, its Redis not reached): the page asks again by itself this often.
const NOT_READY_RETRY_MS = 1000;
let notReadyRetry = null;

function showSignIn(message) {
  el.appView.hidden = true;
  el.connBanner.hidden = true;
  app.screens.hide();
  app.openSignIn.show(message, app.identity);
}

/** Shows an accounts or jwt sign-in screen in place of the app. */
function showScreen(show) {
  el.appView.hidden = true;
  el.connBanner.hidden = true;
  app.openSignIn.hide();
  show(app.screens);
}

/** Says plainly on every page that anyone may say anything, in open mode. */
function setAuthMode(mode) {
  app.auth = mode;
  el.modeBanner.hidden = mode !== 'open';
  document.body.classList.toggle('has-mode-banner', mode === 'open');
  document.body.dataset.auth = mode;
}

/**
 * Decides what the page shows: asks the server how it signs people in and whether this browser is
 * signed in, then uses the link the page was opened with, if any. `notice`: a sentence to show on
 * the sign-in screen (why the person is there again).
 */
export async function decideStart(notice = '') {
  const link = app.link;
  if (link && link.kind === 'token') {
    app.link = null;
    saveToken(link.code);
  }
  clearTimeout(notReadyRetry);
  let me;
  try {
    me = await api.whoAmI();
  } catch (err) {
    showScreen((s) => s.showUnreachable(err.message, () => decideStart(notice)));
    if (err.status === 503) notReadyRetry = setTimeout(() => decideStart(notice), NOT_READY_RETRY_MS);
    return;
  }
  // A server without /api/me says nothing of its mode: a token handed over means jwt.
  setAuthMode(me.legacy && loadToken() ? 'jwt' : me.auth);
  if (app.auth === 'open') {
    const identity = loadIdentity();
    if (identity && !notice) start({ identity });
    else showSignIn(notice);
    return;
  }
  if (app.auth === 'jwt') {
    const token = loadToken();
    if (token && !notice) start({ token });
    else showScreen((s) => s.showToken(notice));
    return;
  }
  if (link && link.kind === 'setup' && !me.user) return showScreen((s) => s.showSetup(link.code));
  if (link && link.kind === 'invite') {
    app.link = null;
    const signedInAs = me.user;
    return showScreen((s) =>
      s.showInvite(link.code, signedInAs ? { signedInAs, onContinue: () => start({ user: signedInAs }) } : {}),
    );
  }
  if (link && link.kind === 'sign-in' && !me.user) {
    app.link = null;
    return showScreen((s) => s.showConfirm(link.code));
  }
  app.link = null;
  if (me.user) {
    clearSetupAddress();
    if (notice) toast(notice, 'info');
    return start({ user: me.user });
  }
  if (me.setup) return showScreen((s) => s.showNotSetUp());
  showScreen((s) => s.showEmail(notice));
}

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

/**
 * Connects and shows the app. One of: `identity` {name, org} (open mode), `token` (jwt mode), or
 * `user` (accounts mode: the session cookie travels with the WebSocket upgrade; hello says nothing).
 */
export function start({ identity = null, token = null, user = null }) {
  app.identity = identity;
  app.screens.hide();
  app.openSignIn.hide();
  el.appView.hidden = false;
  showPerson(identity || user || { name: '', org: '' });
  el.statusSelect.value = 'online';
  app.manualStatus = 'online';

  // Large rooms: paged presence, and a busy room's messages a round at a time (protocol/README.md).
  const options = { url: wsUrl(), presenceLimit: PRESENCE_PAGE, messageBatches: true };
  if (identity) Object.assign(options, { name: identity.name, org: identity.org });
  else if (token) options.token = token;
  const client = new OutloudClient(options);
  app.client = client;
  client.on('state', onConnectionState);
  client.on('welcome', onWelcome);
  client.on('joined', onJoined);
  client.on('message', onMessage);
  client.on('presence', onPresence);
  watchLargeRoomPresence(client);
  client.on('typing', onTyping);
  client.on('changed', onChanged);
  client.on('joined', catchUpChanges);
  client.on('role', onRoleChanged);
  client.on('room', onRoomChanged);
  client.on('member', onMemberChanged);
  for (const type of SESSION_EVENTS) client.on(type, onSessionEvent);
  attachThreads(client);
  client.on('server-error', (frame) => toast(frame.message || frame.code || 'The server reported an error'));
  client.on('fatal', (err) => {
    teardown();
    if (app.auth === 'open' && err.code === 'unauthenticated') {
      // A server without /api/me that wants a token (jwt mode): ask for one.
      setAuthMode('jwt');
      showScreen((s) => s.showToken('This server signs people in with a token.'));
    } else if (app.auth === 'open') showSignIn(`The server did not accept you: ${err.message}`);
    else if (app.auth === 'jwt') {
      forgetToken();
      decideStart(`The server did not accept the token: ${err.message}`);
    } else if (Date.now() - app.refusedAt < REFUSED_AGAIN_MS) {
      // Refused twice in a row although /api/me knows the session: do not go round in circles.
      showScreen((s) => s.showEmail(`The server did not accept this browser's session: ${err.message}`));
    } else {
      app.refusedAt = Date.now();
      decideStart('You are signed out. Sign in again.');
    }
  });
  client.connect().catch(() => {
    // reported through `fatal` or a sign-out
  });
}

/** The person in the top bar, and what their account lets them see. */
function showPerson(user) {
  el.meName.textContent = user.name;
  el.meOrg.textContent = user.org;
  el.meOrg.className = `org-badge ${orgColourClass(user.org)}`;
  const accounts = app.auth !== 'open';
  const guest = !!user.guest;
  const orgAdmin = !!(user.admin || user.org_admin);
  document.body.classList.toggle('is-guest', guest);
  el.inviteButton.hidden = !accounts || guest || !orgAdmin;
  el.adminButton.hidden = app.auth !== 'accounts' || guest;
  el.adminButton.textContent = orgAdmin ? 'Administration' : 'Your account';
  el.createPrivateField.hidden = !accounts;
  el.emptyText.textContent = guest
    ? 'You are a guest here: you see the rooms you were invited to, in the list of rooms.'
    : 'Pick a room from the list of rooms, or create one for your group. Everyone sees which organisation each voice comes from, and who has not been heard yet.';
}

export function teardown() {
  if (app.client) app.client.close();
  app.client = null;
  app.me = null;
  app.rooms.clear();
  app.roomList = [];
  app.current = null;
  app.wasOnline = false;
  app.guestRoomOpened = false;
  clearInterval(app.roomsTimer);
  clearInterval(app.countdownTimer);
  clearTimeout(app.awayTimer);
  clearTimeout(app.sessionCheck);
  app.sessionBar.poll.reset();
  for (const dialog of [app.members, app.settings, app.invite]) dialog.dialog.close();
  hideAdmin();
  showRoom(null);
}

/**
 * In accounts mode a socket that keeps failing may mean the session ended (signed out elsewhere,
 * revoked by an administrator): then the person is told and sees the sign-in screen, instead of
 * a page that reconnects for ever.
 */
function checkSessionSoon() {
  if (app.auth !== 'accounts' || app.sessionCheck) return;
  app.sessionCheck = setTimeout(async () => {
    app.sessionCheck = null;
    if (!app.client || app.client.state === 'online') return;
    let me;
    try {
      me = await api.whoAmI();
    } catch {
      return; // the server is unreachable: keep reconnecting
    }
    if (!me.user && app.client) {
      teardown();
      decideStart('Your session has ended. Sign in again.');
    }
  }, 300);
}

function onConnectionState({ state, delayMs }) {
  el.connPill.dataset.state = state;
  clearInterval(app.countdownTimer);
  const labels = { idle: 'Offline', connecting: 'Connecting', online: 'Online', reconnecting: 'Reconnecting', closed: 'Offline' };
  el.connPillText.textContent = labels[state] || state;
  el.connBanner.dataset.state = state;
  el.connRetry.hidden = state !== 'reconnecting';
  if (state === 'online') {
    if (app.wasOnline) {
      el.connBannerText.textContent = 'Back online.';
      el.connBanner.hidden = false;
      setTimeout(() => {
        if (app.client && app.client.state === 'online') el.connBanner.hidden = true;
      }, 2500);
    } else {
      el.connBanner.hidden = true;
    }
    app.wasOnline = true;
    return;
  }
  el.connBanner.hidden = false;
  if (state === 'reconnecting') checkSessionSoon();
  if (state === 'connecting') el.connBannerText.textContent = 'Connecting to OutLoud…';
  else if (state === 'closed') el.connBannerText.textContent = 'Disconnected.';
  else if (state === 'reconnecting') {
    const until = Date.now() + (delayMs || 0);
    const tick = () => {
      const s = Math.ceil((until - Date.now()) / 1000);
      el.connBannerText.textContent =
        delayMs === undefined || s <= 0
          ? 'Connection lost. Reconnecting…'
          : `Connection lost. Reconnecting in ${s} s… Messages you write now go out when it is back.`;
    };
    tick();
    if (delayMs) app.countdownTimer = setInterval(tick, 500);
  }
}

function onWelcome(welcome) {
  const first = !app.me;
  app.me = welcome.user;
  showPerson(app.me);
  app.settings.setLabels(welcome.labels);
  refreshRooms();
  clearInterval(app.roomsTimer);
  app.roomsTimer = setInterval(refreshRooms, ROOMS_REFRESH_MS);
  if (first) {
    if (location.hash === '#/admin' && !app.me.guest) {
      showAdmin();
      return;
    }
    const fromHash = roomFromHash();
    let last = null;
    try {
      last = localStorage.getItem(LAST_ROOM_KEY);
    } catch {
      // no storage
    }
    const target = fromHash || (isValidSlug(last || '') ? last : null);
    // Keyboard focus goes on from the sign-in form that just went away: into the room, or to the rooms.
    if (target) openRoom(target, { quietNotFound: !fromHash }).then((ok) => (ok ? focusRoom() : focusRooms()));
    else focusRooms();
  }
}

export async function signOut() {
  if (app.auth === 'open') {
    teardown();
    forgetIdentity();
    showSignIn('');
    return;
  }
  if (app.auth === 'jwt') {
    teardown();
    forgetToken();
    showScreen((s) => s.showToken('You are signed out of this tab.'));
    return;
  }
  teardown();
  try {
    await api.signOut();
  } catch (err) {
    // Still signed in as far as the server knows: say so, and carry on as before.
    decideStart(`Could not sign out: ${err.message}`);
    return;
  }
  showScreen((s) => s.showEmail('You are signed out.'));
}
