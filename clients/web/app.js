// OutLoud reference web client: wires the protocol client to the page.

import { OutloudClient, isValidSlug, codePointLength, LIMITS } from './outloud.js';
import { h, byId, clear, preview } from './dom.js';
import {
  loadIdentity,
  saveIdentity,
  forgetIdentity,
  orgColourClass,
} from './identity.js';
import { MessageListView } from './messages-view.js';
import { renderPeople, typingText } from './people-view.js';
import { renderRoomList, kindLabel, labelBadge, visibilityBadge } from './rooms-view.js';
import * as api from './api.js';
import { SignInScreens, takeLinkFromAddress, clearSetupAddress, loadToken, saveToken, forgetToken } from './signin-view.js';
import { OpenSignIn } from './open-signin.js';
import { AdminView } from './admin-view.js';
import { MembersDialog } from './members-view.js';
import { RoomSettingsDialog } from './room-settings-view.js';
import { InviteDialog } from './invite-dialog.js';
import { SessionBar } from './session-bar.js';
import { FacilitatorPanel } from './facilitator-panel.js';
import {
  ROLE_LABELS,
  applyEvent,
  durationWords,
  emptySession,
  groupNumber,
  isLead,
  maySend,
  roleOf,
  sessionFromJoined,
} from './session-state.js';

const LAST_ROOM_KEY = 'outloud.lastRoom';
const TYPING_SHOWN_MS = 6000;
const AUTO_AWAY_MS = 30000;
const ROOMS_REFRESH_MS = 20000;
const HISTORY_PAGE = 50;
const SESSION_TICK_MS = 500;
const REFUSED_AGAIN_MS = 5000;
const SESSION_EVENTS = ['hands', 'floor', 'timer', 'poll', 'breakout', 'agenda', 'lock', 'role'];

// ---- state ---------------------------------------------------------------------------------

/**
 * @typedef {object} RoomState
 * @property {string} id
 * @property {object|null} info the ROOM
 * @property {Map<number, object>} messages by seq
 * @property {Map<string, {user: object, state: string}>} presence by user id
 * @property {Map<string, {user: object, topic: string, timer: any}>} typing by user id
 * @property {Map<string, object>} pending own messages not yet stored, by nonce
 * @property {Set<string>} topics
 * @property {boolean} hasMore older messages may exist
 * @property {boolean} loadingOlder
 * @property {number} unread
 * @property {string} role the person's own role in the room
 * @property {import('./session-state.js').Session} session facilitation state
 */

const app = {
  /** How the server signs people in: 'accounts', 'open' or 'jwt' (GET /api/me). */
  auth: 'open',
  /** A one-time link the page was opened with (setup, sign-in, invitation, token), until used. */
  link: null,
  /** @type {SignInScreens|null} */
  screens: null,
  /** @type {OpenSignIn|null} the name-and-organisation form of open mode */
  openSignIn: null,
  /** @type {AdminView|null} */
  admin: null,
  members: null,
  settings: null,
  invite: null,
  sessionCheck: null,
  /** When the server last refused the session's hello (accounts mode). */
  refusedAt: 0,
  guestRoomOpened: false,
  /** @type {OutloudClient|null} */
  client: null,
  identity: null,
  me: null,
  /** @type {Array<object>} */
  roomList: [],
  /** @type {Map<string, RoomState>} */
  rooms: new Map(),
  current: null,
  replyTo: null,
  manualStatus: 'online',
  autoAway: false,
  awayTimer: null,
  roomsTimer: null,
  countdownTimer: null,
  sessionTimer: null,
  wasOnline: false,
  view: null,
  sessionBar: null,
  panel: null,
};

function roomState(id) {
  let rs = app.rooms.get(id);
  if (!rs) {
    rs = {
      id,
      info: null,
      messages: new Map(),
      presence: new Map(),
      typing: new Map(),
      pending: new Map(),
      topics: new Set(['general']),
      hasMore: false,
      loadingOlder: false,
      unread: 0,
      role: 'member',
      session: emptySession(),
    };
    app.rooms.set(id, rs);
  }
  return rs;
}

function sortedMessages(rs) {
  return [...rs.messages.values()].sort((a, b) => a.seq - b.seq);
}

function lowestSeq(rs) {
  let min = Infinity;
  for (const seq of rs.messages.keys()) if (seq < min) min = seq;
  return min;
}

// ---- elements ------------------------------------------------------------------------------

const el = {};
function collectElements() {
  for (const id of [
    'conn-banner', 'conn-banner-text', 'conn-retry', 'app-view', 'toggle-rooms',
    'toggle-people', 'conn-pill', 'conn-pill-text', 'me-name', 'me-org', 'status-select', 'signout', 'rooms-panel',
    'refresh-rooms', 'room-list', 'room-list-empty', 'create-room', 'create-form', 'create-title', 'create-id',
    'create-error', 'join-form', 'join-id', 'join-error', 'empty-state', 'room-section', 'room-title', 'room-kind',
    'room-id', 'leave-room', 'messages', 'load-older', 'history-status', 'message-list', 'jump-latest', 'typing',
    'composer', 'reply-bar', 'reply-bar-text', 'reply-cancel', 'topic-input', 'topic-options', 'composer-text',
    'people-panel', 'not-spoken', 'not-spoken-count', 'not-spoken-note', 'present-count', 'presence-groups',
    'not-spoken-card', 'scrim', 'announcer', 'toasts', 'composer-blocked',
    // session bar
    'session-bar', 'session-strip', 'group-bar', 'group-bar-title', 'group-bar-members', 'group-bar-status',
    'group-bar-back', 'sb-agenda', 'sb-agenda-text', 'sb-floor', 'sb-floor-text', 'sb-timer', 'sb-timer-label',
    'sb-timer-clock', 'sb-timer-status', 'sb-locked', 'sb-hand', 'sb-hand-place', 'sb-hand-button', 'sb-breakout',
    'sb-poll',
    // facilitation panel
    'facilitation-panel', 'fac-role-note', 'hands-card', 'hands-count', 'hands-floor', 'hands-list', 'hands-empty',
    'hands-lead', 'floor-next', 'floor-clear', 'timer-card', 'timer-summary', 'timer-form', 'timer-minutes',
    'timer-seconds', 'timer-label', 'timer-error', 'timer-start', 'timer-pause', 'timer-resume', 'timer-stop',
    'poll-card', 'poll-summary', 'poll-form', 'poll-question', 'poll-options', 'poll-add-option', 'poll-multi',
    'poll-anonymous', 'poll-error', 'poll-live', 'poll-live-text', 'poll-close', 'breakout-card', 'breakout-summary',
    'breakout-form', 'breakout-by-groups', 'breakout-by-size', 'breakout-count', 'breakout-count-label',
    'breakout-strategy', 'breakout-manual', 'breakout-assign', 'breakout-minutes', 'breakout-error', 'breakout-live',
    'breakout-groups', 'broadcast-form', 'broadcast-text', 'breakout-close', 'agenda-card', 'agenda-list',
    'agenda-empty', 'agenda-lead', 'agenda-prev', 'agenda-next', 'agenda-edit', 'agenda-form', 'agenda-rows',
    'agenda-add', 'agenda-error', 'roles-card', 'roles-count', 'roles-summary', 'roles-list', 'room-card',
    'lock-button', 'record-link', 'lock-note',
    // accounts and access
    'mode-banner', 'auth-view', 'admin-view', 'invite-button', 'admin-button', 'room-access', 'members-button',
    'room-invite-button', 'room-settings-button', 'create-private-field', 'create-private', 'empty-text', 'room-view',
  ]) {
    el[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = byId(id);
  }
}

// ---- small UI services ---------------------------------------------------------------------

function toast(text, kind = 'error') {
  const item = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
  el.toasts.append(item);
  setTimeout(() => item.remove(), 6000);
}

function announce(text) {
  // A fresh node per announcement makes screen readers read each one.
  const item = h('p', { text });
  el.announcer.append(item);
  while (el.announcer.childElementCount > 5) el.announcer.firstElementChild.remove();
}

function showFieldError(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

// ---- sign in -------------------------------------------------------------------------------

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
async function decideStart(notice = '') {
  const link = app.link;
  if (link && link.kind === 'token') {
    app.link = null;
    saveToken(link.code);
  }
  let me;
  try {
    me = await api.whoAmI();
  } catch (err) {
    showScreen((s) => s.showUnreachable(err.message, () => decideStart(notice)));
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

// ---- connection ----------------------------------------------------------------------------

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws`;
}

/**
 * Connects and shows the app. One of: `identity` {name, org} (open mode), `token` (jwt mode), or
 * `user` (accounts mode: the session cookie travels with the WebSocket upgrade; hello says nothing).
 */
function start({ identity = null, token = null, user = null }) {
  app.identity = identity;
  app.screens.hide();
  app.openSignIn.hide();
  el.appView.hidden = false;
  showPerson(identity || user || { name: '', org: '' });
  el.statusSelect.value = 'online';
  app.manualStatus = 'online';

  const options = { url: wsUrl() };
  if (identity) Object.assign(options, { name: identity.name, org: identity.org });
  else if (token) options.token = token;
  const client = new OutloudClient(options);
  app.client = client;
  client.on('state', onConnectionState);
  client.on('welcome', onWelcome);
  client.on('joined', onJoined);
  client.on('message', onMessage);
  client.on('presence', onPresence);
  client.on('typing', onTyping);
  client.on('room', onRoomChanged);
  client.on('member', onMemberChanged);
  for (const type of SESSION_EVENTS) client.on(type, onSessionEvent);
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
    ? 'You are a guest here: you see the rooms you were invited to, on the left.'
    : 'Pick a room on the left, or create one for your group. Everyone sees which organisation each voice comes from, and who has not been heard yet.';
}

function teardown() {
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
    if (target) openRoom(target, { quietNotFound: !fromHash });
  }
}

// ---- rooms ---------------------------------------------------------------------------------

async function refreshRooms() {
  if (!app.client) return;
  try {
    app.roomList = await app.client.rooms();
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not load the rooms: ${err.message}`);
    return;
  }
  renderRooms();
  // A guest invited into one room goes straight into it.
  if (app.me && app.me.guest && !app.current && !app.guestRoomOpened && app.roomList.length === 1) {
    app.guestRoomOpened = true;
    openRoom(app.roomList[0].id);
  }
}

function renderRooms() {
  const list = app.roomList.map((room) => {
    const rs = app.rooms.get(room.id);
    return rs && app.client && app.client.isJoined(room.id) ? { ...room, online: rs.presence.size } : room;
  });
  // A room joined by id but not yet in the list still shows.
  for (const rs of app.rooms.values()) {
    if (rs.info && !list.some((r) => r.id === rs.id)) list.push({ ...rs.info, online: rs.presence.size });
  }
  el.roomListEmpty.hidden = list.length > 0;
  renderRoomList(el.roomList, list, {
    current: app.current,
    unread: (id) => app.rooms.get(id)?.unread || 0,
    joined: (id) => !!app.client && app.client.isJoined(id),
    onOpen: (id) => {
      openRoom(id);
      closeDrawers();
    },
  });
}

function roomFromHash() {
  const match = /^#\/room\/(.+)$/.exec(location.hash);
  if (!match) return null;
  const id = decodeURIComponent(match[1]);
  return isValidSlug(id) ? id : null;
}

async function openRoom(id, { quietNotFound = false } = {}) {
  if (!app.client) return;
  hideAdmin();
  const previous = app.current;
  app.current = id;
  if (location.hash !== `#/room/${id}`) history.replaceState(null, '', `#/room/${id}`);
  try {
    localStorage.setItem(LAST_ROOM_KEY, id);
  } catch {
    // no storage
  }
  const rs = roomState(id);
  rs.unread = 0;
  if (app.client.isJoined(id) && rs.info) {
    showRoom(rs);
  } else {
    showRoom(rs, { loading: true });
    try {
      await app.client.join(id, { limit: HISTORY_PAGE });
    } catch (err) {
      app.rooms.delete(id);
      if (app.current === id) {
        app.current = previous && app.rooms.has(previous) ? previous : null;
        showRoom(app.current ? app.rooms.get(app.current) : null);
        if (!app.current) history.replaceState(null, '', location.pathname + location.search);
      }
      if (err.code === 'not_found') {
        if (!quietNotFound) toast(`There is no room “${id}”.`);
        try {
          if (localStorage.getItem(LAST_ROOM_KEY) === id) localStorage.removeItem(LAST_ROOM_KEY);
        } catch {
          // no storage
        }
      } else if (err.code !== 'closed') {
        toast(`Could not join “${id}”: ${err.message}`);
      }
      return false;
    }
  }
  renderRooms();
  return true;
}

function onJoined({ room, frame, rejoin, reset }) {
  const rs = roomState(room);
  rs.info = frame.room || rs.info;
  rs.role = (frame.you && frame.you.role) || rs.role;
  rs.session = sessionFromJoined(frame.session, app.me ? app.me.id : '', Date.now());
  rs.presence = new Map((frame.presence || []).map((p) => [p.user.id, { user: p.user, state: p.state }]));
  if (!rejoin || reset) {
    const messages = frame.messages || [];
    rs.messages = new Map(messages.map((m) => [m.seq, m]));
    for (const m of messages) if (m.topic) rs.topics.add(m.topic);
    rs.hasMore = messages.length > 0 && messages[0].seq > 1;
    if (reset && app.current === room) toast('Some messages could not be recovered; the latest are shown.', 'info');
  }
  // Own status is not echoed by the server: keep our own entry in step.
  if (app.me && rs.presence.has(app.me.id) && app.client) rs.presence.get(app.me.id).state = app.client.status;
  if (app.current === room) {
    if (!rejoin || reset) showRoom(rs);
    else {
      renderPeoplePanel(rs);
      renderSession(rs);
      renderRoomAccess(rs);
    }
  } else if (app.current && app.rooms.get(app.current)?.info?.parent === room) {
    renderSession(app.rooms.get(app.current)); // a group room shows its parent's breakout state
  }
  renderRooms();
}

function onMessage(m) {
  const rs = app.rooms.get(m.room);
  if (!rs || rs.messages.has(m.seq)) return;
  rs.messages.set(m.seq, m);
  if (m.topic) rs.topics.add(m.topic);
  const own = app.me && m.from.id === app.me.id;
  if (own && m.nonce && rs.pending.has(m.nonce)) {
    rs.pending.delete(m.nonce);
    if (app.current === m.room) app.view.removePending(m.nonce);
  }
  const typist = rs.typing.get(m.from.id);
  if (typist) {
    clearTimeout(typist.timer);
    rs.typing.delete(m.from.id);
  }
  if (app.current === m.room) {
    app.view.insert(m, { stickToBottom: own });
    renderPeoplePanel(rs);
    renderTyping(rs);
    renderTopics(rs);
    renderHistoryStatus(rs);
    if (!own) announce(`${m.from.name}, ${m.from.org}: ${preview(m.text, 200)}`);
  } else {
    rs.unread++;
    renderRooms();
  }
}

function onPresence(ev) {
  const rs = app.rooms.get(ev.room);
  if (!rs) return;
  if (ev.event === 'leave') {
    rs.presence.delete(ev.user.id);
    const typist = rs.typing.get(ev.user.id);
    if (typist) clearTimeout(typist.timer);
    rs.typing.delete(ev.user.id);
  } else {
    rs.presence.set(ev.user.id, { user: ev.user, state: ev.state || 'online' });
  }
  if (app.current === ev.room) {
    renderPeoplePanel(rs);
    renderTyping(rs);
    renderSession(rs);
  }
  renderRooms();
}

function onTyping(ev) {
  const rs = app.rooms.get(ev.room);
  if (!rs || (app.me && ev.user.id === app.me.id)) return;
  const prev = rs.typing.get(ev.user.id);
  if (prev) clearTimeout(prev.timer);
  const timer = setTimeout(() => {
    rs.typing.delete(ev.user.id);
    if (app.current === ev.room) renderTyping(rs);
  }, TYPING_SHOWN_MS);
  rs.typing.set(ev.user.id, { user: ev.user, topic: ev.topic, timer });
  if (app.current === ev.room) renderTyping(rs);
}

// ---- room view -----------------------------------------------------------------------------

function showRoom(rs, { loading = false } = {}) {
  clearReply();
  if (!rs) {
    el.roomSection.hidden = true;
    el.emptyState.hidden = false;
    renderRoomAccess(null);
    clear(el.messageList);
    clear(el.typing);
    renderSession(null);
    renderPeoplePanel(null);
    renderRooms();
    return;
  }
  el.emptyState.hidden = true;
  el.roomSection.hidden = false;
  el.roomTitle.textContent = rs.info ? rs.info.title || rs.id : rs.id;
  el.roomKind.textContent = kindLabel(rs.info ? rs.info.kind : 'room');
  el.roomKind.dataset.kind = rs.info ? rs.info.kind : 'room';
  el.roomId.textContent = rs.id;
  renderRoomAccess(rs);
  document.title = `${el.roomTitle.textContent} · OutLoud`;
  if (loading && !rs.info) {
    clear(el.messageList);
    el.historyStatus.textContent = 'Loading messages…';
    el.loadOlder.hidden = true;
    renderPeoplePanel(null);
    renderSession(null);
    return;
  }
  app.view.render(sortedMessages(rs), [...rs.pending.values()]);
  renderHistoryStatus(rs);
  renderSession(rs);
  renderPeoplePanel(rs);
  renderTyping(rs);
  renderTopics(rs);
  fillViewport(rs);
}

function renderHistoryStatus(rs) {
  el.loadOlder.hidden = !rs.hasMore || rs.loadingOlder;
  el.historyStatus.textContent = rs.loadingOlder
    ? 'Loading earlier messages…'
    : rs.hasMore
      ? ''
      : rs.messages.size
        ? 'This is the start of the conversation.'
        : 'No messages yet. Say hello and tell people where you are from.';
}

function renderPeoplePanel(rs) {
  const els = {
    groups: el.presenceGroups,
    count: el.presentCount,
    notSpoken: el.notSpoken,
    notSpokenCount: el.notSpokenCount,
    notSpokenNote: el.notSpokenNote,
    notSpokenCard: el.notSpokenCard,
  };
  el.peoplePanel.classList.toggle('is-empty', !rs);
  if (!rs) {
    renderPeople(els, [], new Set(), '', { allLoaded: true });
    return;
  }
  const spoken = new Set();
  for (const m of rs.messages.values()) spoken.add(m.from.id);
  const owner = rs.info ? rs.info.created_by : '';
  renderPeople(els, [...rs.presence.values()], spoken, app.me ? app.me.id : '', {
    allLoaded: !rs.hasMore,
    roleOf: (id) => roleOf(rs.session, id, owner),
  });
}

function renderTyping(rs) {
  // Only a change is written, so that screen readers do not hear the same line again.
  const text = typingText([...rs.typing.values()]);
  if (el.typing.textContent !== text) el.typing.textContent = text;
}

function renderTopics(rs) {
  clear(el.topicOptions);
  for (const t of [...rs.topics].sort()) el.topicOptions.append(h('option', { value: t }));
}

async function loadOlder() {
  const rs = app.current && app.rooms.get(app.current);
  if (!rs || !rs.hasMore || rs.loadingOlder || !app.client) return;
  const before = lowestSeq(rs);
  if (!Number.isFinite(before) || before <= 1) {
    rs.hasMore = false;
    renderHistoryStatus(rs);
    return;
  }
  rs.loadingOlder = true;
  renderHistoryStatus(rs);
  let older;
  try {
    older = await app.client.history(rs.id, { before, limit: HISTORY_PAGE });
  } catch (err) {
    rs.loadingOlder = false;
    renderHistoryStatus(rs);
    if (err.code !== 'closed') toast(`Could not load earlier messages: ${err.message}`);
    return;
  }
  rs.loadingOlder = false;
  const fresh = older.filter((m) => !rs.messages.has(m.seq)).sort((a, b) => a.seq - b.seq);
  for (const m of fresh) {
    rs.messages.set(m.seq, m);
    if (m.topic) rs.topics.add(m.topic);
  }
  rs.hasMore = older.length >= HISTORY_PAGE && older.length > 0 && older[0].seq > 1;
  if (app.current === rs.id) {
    app.view.prependOlder(fresh);
    renderHistoryStatus(rs);
    renderPeoplePanel(rs);
    renderTopics(rs);
    fillViewport(rs);
  }
}

/** Loads older pages while the list does not fill its box, so scrolling up can fetch more. */
function fillViewport(rs) {
  requestAnimationFrame(() => {
    if (app.current !== rs.id || !rs.hasMore || rs.loadingOlder) return;
    if (el.messages.scrollHeight <= el.messages.clientHeight + 8) loadOlder();
  });
}

// ---- facilitated sessions -----------------------------------------------------------------

function personText(user) {
  return `${user.name} (${user.org || 'no organisation'})`;
}

/** Someone the room knows, by id: present, in the queue, holding a role or placed in a group. */
function knownUser(rs, id) {
  const present = rs.presence.get(id);
  if (present) return present.user;
  const s = rs.session;
  const role = s.roles.get(id);
  if (role) return role.user;
  if (s.floor && s.floor.id === id) return s.floor;
  const queued = s.hands.find((u) => u.id === id);
  if (queued) return queued;
  for (const g of s.breakouts.groups) {
    const member = g.members.find((u) => u.id === id);
    if (member) return member;
  }
  return null;
}

/** Everyone present or holding a role, with their role, for the facilitator's list. */
function participantsOf(rs) {
  const owner = rs.info ? rs.info.created_by : '';
  const byId = new Map();
  for (const p of rs.presence.values()) {
    byId.set(p.user.id, { user: p.user, role: roleOf(rs.session, p.user.id, owner), present: true, state: p.state });
  }
  for (const { user } of rs.session.roles.values()) {
    if (!byId.has(user.id)) byId.set(user.id, { user, role: roleOf(rs.session, user.id, owner), present: false, state: 'offline' });
  }
  const order = { owner: 0, facilitator: 1, member: 2, observer: 3 };
  return [...byId.values()].sort(
    (a, b) =>
      order[a.role] - order[b.role] ||
      a.user.name.localeCompare(b.user.name, undefined, { sensitivity: 'base' }) ||
      a.user.id.localeCompare(b.user.id),
  );
}

/** In a breakout group room: which group, with whom, and the parent's state of the groups. */
function groupInfo(rs) {
  if (!rs.info || rs.info.kind !== 'breakout') return null;
  const parent = rs.info.parent || null;
  const parentRs = parent ? app.rooms.get(parent) : null;
  const group = parentRs ? parentRs.session.breakouts.groups.find((g) => g.group === rs.id) : null;
  return {
    number: groupNumber(rs.id),
    parent,
    parentTitle: parentRs && parentRs.info ? parentRs.info.title : parent,
    members: group ? group.members : [...rs.presence.values()].map((p) => p.user),
    closed: parentRs ? !parentRs.session.breakouts.open : false,
    endsAt: parentRs ? parentRs.session.breakouts.endsAt : null,
  };
}

/** Renders everything that depends on the session and the person's role (null: no room shown). */
function renderSession(rs) {
  if (!app.sessionBar) return;
  if (!rs || !rs.info || !app.me) {
    app.sessionBar.render(null);
    app.panel.render(null);
    el.appView.classList.remove('is-leading');
    el.composer.hidden = false;
    el.composerBlocked.hidden = true;
    return;
  }
  const kind = rs.info.kind || 'room';
  const lead = isLead(rs.role);
  const group = groupInfo(rs);
  const showBar = kind === 'session' || !!group;
  app.sessionBar.render(
    showBar
      ? { kind, session: rs.session, me: app.me, role: rs.role, group, nameOf: (id) => knownUser(rs, id) }
      : null,
  );
  app.panel.render({
    room: rs.id,
    kind,
    session: rs.session,
    me: app.me,
    role: rs.role,
    participants: participantsOf(rs),
  });
  el.appView.classList.toggle('is-leading', lead && kind === 'session');

  // The composer only where the server takes a message from this person.
  const canSend = maySend(rs.session, rs.role);
  el.composer.hidden = !canSend;
  el.composerBlocked.hidden = canSend;
  el.composerBlocked.textContent = canSend
    ? ''
    : rs.role === 'observer'
      ? 'You are observing this room: you can read, but not write.'
      : 'The room is locked: only facilitators and the owner can write for now.';
}

function sessionTick() {
  const now = Date.now();
  const rs = app.current && app.rooms.get(app.current);
  if (!rs || !rs.session.timer) return;
  app.sessionBar.tick(now);
  app.panel.tick(now);
}

function onSessionEvent(ev) {
  const rs = ev.room && app.rooms.get(ev.room);
  if (!rs || !app.me) return;
  const change = applyEvent(rs.session, ev, { meId: app.me.id, now: Date.now() });
  if (!change) return;
  if (change.kind === 'role' && change.mine) rs.role = change.role;
  const current = app.current === ev.room;

  if (change.kind === 'breakout' && change.closed) returnFromGroups(ev.room);
  if (current) {
    renderSession(rs);
    if (change.kind === 'role') renderPeoplePanel(rs);
    announceSessionChange(rs, ev, change);
  } else if (app.current && app.rooms.get(app.current)?.info?.parent === ev.room) {
    renderSession(app.rooms.get(app.current));
    if (change.kind === 'breakout' || change.kind === 'timer') announceSessionChange(rs, ev, change);
  } else if (change.kind === 'breakout' && change.assigned) {
    const title = rs.info ? rs.info.title || rs.id : rs.id;
    toast(`${title}: you are in breakout group ${groupNumber(change.assigned.group)}. Open the session to join it.`, 'info');
  }
}

/** When the groups close: anyone looking at one of them goes back to the main room. */
function returnFromGroups(parent) {
  const groups = [...app.rooms.values()].filter((r) => r.info && r.info.kind === 'breakout' && r.info.parent === parent);
  const wasInGroup = groups.some((r) => r.id === app.current);
  for (const g of groups) {
    for (const t of g.typing.values()) clearTimeout(t.timer);
    app.rooms.delete(g.id);
    if (app.client) app.client.leave(g.id).catch(() => {});
  }
  if (wasInGroup) {
    openRoom(parent);
    toast('The breakout groups are closed: you are back in the main room. Group rooms stay readable in the room list.', 'info');
  }
  if (groups.length) refreshRooms();
}

function announceSessionChange(rs, ev, change) {
  const s = rs.session;
  const me = app.me.id;
  switch (change.kind) {
    // The floor and a paused, stopped or finished timer are read out by their own live regions
    // in the session bar; a timer that starts has no status text there, so it is said here.
    case 'timer': {
      const t = s.timer;
      if (!t || t.state !== 'running') break;
      const label = t.label ? `${t.label}: ` : '';
      if (change.before === 'paused') announce(`${label}timer resumed.`);
      else announce(`${label}timer started, ${durationWords(t.remainingMs)}.`);
      break;
    }
    case 'poll':
      if (change.opened && change.poll.open) announce(`Poll opened: ${change.poll.question}`);
      else if (change.closed) announce(`Poll closed: ${change.poll.question}`);
      break;
    case 'breakout':
      if (change.assigned) {
        const others = change.assigned.members.filter((u) => u.id !== me).map(personText);
        announce(`You are in breakout group ${groupNumber(change.assigned.group)}${others.length ? ` with ${others.join(', ')}` : ''}.`);
      } else if (change.overview) {
        announce(`${s.breakouts.groups.length} breakout groups are open.`);
      } else if (change.closed) {
        announce('The breakout groups are closed.');
      }
      break;
    case 'agenda': {
      const item = s.agenda.items[s.agenda.current];
      if (item) announce(`Agenda: now ${item.title}.`);
      break;
    }
    case 'lock':
      announce(s.locked ? 'The room is locked: only facilitators can write.' : 'The room is open again: everyone can write.');
      break;
    case 'role':
      if (change.mine) announce(`You are now ${ROLE_LABELS[change.role] ? `${/^[aeiou]/i.test(change.role) ? 'an' : 'a'} ${change.role}` : change.role} here.`);
      break;
    default:
  }
}

/** Runs a facilitation request for the room on screen; an error is shown and rethrown. */
async function sessionRequest(what, fn, room = app.current) {
  if (!app.client || !room) throw new Error('no room');
  try {
    return await fn(app.client, room);
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not ${what}: ${err.message}`);
    throw err;
  }
}

function setupSession() {
  app.sessionBar = new SessionBar(el, {
    hand: (up) => sessionRequest(up ? 'raise your hand' : 'lower your hand', (c, r) => c.hand(r, up)),
    joinGroup: (group) => {
      openRoom(group);
      closeDrawers();
    },
    backToMain: (parent) => openRoom(parent),
    vote: (poll, choices) => sessionRequest('vote', (c, r) => c.vote(r, poll, choices)),
    closePoll: (poll) => sessionRequest('close the poll', (c, r) => c.closePoll(r, poll)),
  });
  app.panel = new FacilitatorPanel(el, {
    setRole: (user, role) => sessionRequest('change the role', (c, r) => c.setRole(r, user, role)),
    floor: (user) => sessionRequest('give the floor', (c, r) => c.floor(r, user)),
    startTimer: (seconds, label) => sessionRequest('start the timer', (c, r) => c.startTimer(r, seconds, label)),
    timer: (action) => sessionRequest(`${action} the timer`, (c, r) => c.timer(r, action)),
    openPoll: (poll) => sessionRequest('open the poll', (c, r) => c.openPoll(r, poll)),
    closePoll: (poll) => sessionRequest('close the poll', (c, r) => c.closePoll(r, poll)),
    openBreakout: (opts) => sessionRequest('open the groups', (c, r) => c.openBreakout(r, opts)),
    broadcast: (text) => sessionRequest('send to the groups', (c, r) => c.broadcast(r, text)),
    closeBreakout: () => sessionRequest('close the groups', (c, r) => c.closeBreakout(r)),
    setAgenda: (items) => sessionRequest('save the agenda', (c, r) => c.setAgenda(r, items)),
    moveAgenda: (action) => sessionRequest('move through the agenda', (c, r) => c.moveAgenda(r, action)),
    lock: (locked) => sessionRequest(locked ? 'lock the room' : 'unlock the room', (c, r) => c.lock(r, locked)),
    openGroup: (group) => {
      openRoom(group);
      closeDrawers();
    },
  });
  clearInterval(app.sessionTimer);
  app.sessionTimer = setInterval(sessionTick, SESSION_TICK_MS);
}

// ---- composer ------------------------------------------------------------------------------

function currentTopic() {
  const topic = el.topicInput.value.trim();
  return topic || 'general';
}

function currentTag() {
  const checked = el.composer.querySelector('input[name="tag"]:checked');
  return checked && checked.value ? checked.value : null;
}

function setReply(m) {
  app.replyTo = m;
  el.replyBarText.textContent = `${m.from.name} (${m.from.org}): ${preview(m.text, 90)}`;
  el.replyBar.hidden = false;
  if (m.topic) el.topicInput.value = m.topic;
  el.composerText.focus();
}

function clearReply() {
  app.replyTo = null;
  el.replyBar.hidden = true;
  el.replyBarText.textContent = '';
}

function autoGrow() {
  const ta = el.composerText;
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight, 200)}px`;
}

function sendFromComposer() {
  const rs = app.current && app.rooms.get(app.current);
  if (!rs || !app.client || !app.me) return;
  const text = el.composerText.value;
  if (!text.trim()) return;
  if (codePointLength(text) > LIMITS.textMax) {
    toast(`A message can be at most ${LIMITS.textMax.toLocaleString()} characters.`);
    return;
  }
  const topic = currentTopic();
  if (codePointLength(topic) > LIMITS.topicMax) {
    toast(`A topic can be at most ${LIMITS.topicMax} characters.`);
    el.topicInput.focus();
    return;
  }
  const pending = {
    text,
    topic,
    tag: currentTag(),
    replyTo: app.replyTo ? app.replyTo.seq : null,
    from: app.me,
    nonce: null,
  };
  el.composerText.value = '';
  autoGrow();
  clearReply();
  // A tag marks one message; the topic carries on.
  el.composer.querySelector('#tag-none').checked = true;
  app.client.resetTyping(rs.id, topic);
  dispatchPending(rs, pending);
  el.composerText.focus();
}

function dispatchPending(rs, pending) {
  const promise = app.client.send(rs.id, pending.text, {
    topic: pending.topic,
    tag: pending.tag,
    replyTo: pending.replyTo,
    nonce: pending.nonce || undefined,
    timeoutMs: 30000,
  });
  pending.nonce = promise.nonce;
  const known = rs.pending.has(pending.nonce);
  rs.pending.set(pending.nonce, pending);
  if (app.current === rs.id && !known) app.view.addPending(pending);
  promise.then(
    (sent) => {
      // The echo normally arrives first; if it is already here, the pending copy goes.
      if (rs.messages.has(sent.seq) && rs.pending.delete(pending.nonce) && app.current === rs.id) {
        app.view.removePending(pending.nonce);
      }
    },
    (err) => {
      if (!rs.pending.has(pending.nonce) || err.code === 'closed') return;
      const reason = err.code === 'timeout' ? 'no answer from the server' : err.message;
      if (app.current === rs.id) {
        app.view.failPending(
          pending.nonce,
          reason,
          () => {
            app.view.removePending(pending.nonce);
            rs.pending.delete(pending.nonce);
            dispatchPending(rs, pending); // same nonce: stored at most once
          },
          () => {
            rs.pending.delete(pending.nonce);
            app.view.removePending(pending.nonce);
          },
        );
      } else {
        toast(`A message to ${rs.id} was not sent: ${reason}`);
      }
    },
  );
}

function setupComposer() {
  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFromComposer();
  });
  el.composerText.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromComposer();
    } else if (event.key === 'Escape' && app.replyTo) {
      clearReply();
    }
  });
  el.composerText.addEventListener('input', () => {
    autoGrow();
    if (app.current && app.client && el.composerText.value.trim()) app.client.typing(app.current, currentTopic());
  });
  el.replyCancel.addEventListener('click', () => {
    clearReply();
    el.composerText.focus();
  });
}

// ---- forms, panels, status -----------------------------------------------------------------

function setupRoomForms() {
  // Suggest an id from the title until the person edits the id themselves.
  let idEdited = false;
  el.createId.addEventListener('input', () => {
    idEdited = el.createId.value.length > 0;
  });
  el.createTitle.addEventListener('input', () => {
    if (idEdited) return;
    el.createId.value = el.createTitle.value
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64);
  });
  el.createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = el.createTitle.value.trim();
    const id = el.createId.value.trim();
    const kind = el.createForm.querySelector('input[name="kind"]:checked').value;
    if (!title) return showFieldError(el.createError, 'Give the room a title.');
    if (!isValidSlug(id)) {
      return showFieldError(el.createError, 'The id needs lowercase letters, digits, dots, dashes or underscores (up to 64).');
    }
    showFieldError(el.createError, '');
    const isPrivate = !el.createPrivateField.hidden && el.createPrivate.checked;
    try {
      await app.client.create(id, title, kind);
      // access.md has no visibility on `create`: the owner makes it private at once.
      if (isPrivate) await app.client.roomSettings(id, { visibility: 'private' });
    } catch (err) {
      showFieldError(
        el.createError,
        err.code === 'conflict' ? `A room “${id}” already exists. Join it below, or pick another id.` : err.message,
      );
      return;
    }
    el.createForm.reset();
    idEdited = false;
    el.createRoom.open = false;
    await openRoom(id);
    refreshRooms();
    closeDrawers();
  });
  el.joinForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = el.joinId.value.trim();
    if (!isValidSlug(id)) return showFieldError(el.joinError, 'That is not a valid room id.');
    showFieldError(el.joinError, '');
    const ok = await openRoom(id, { quietNotFound: true });
    if (ok) {
      el.joinId.value = '';
      closeDrawers();
    } else {
      showFieldError(el.joinError, `Could not join “${id}”.`);
    }
  });
  el.refreshRooms.addEventListener('click', refreshRooms);
  el.leaveRoom.addEventListener('click', async () => {
    const id = app.current;
    if (!id || !app.client) return;
    const rs = app.rooms.get(id);
    if (rs) for (const t of rs.typing.values()) clearTimeout(t.timer);
    app.rooms.delete(id);
    app.current = null;
    history.replaceState(null, '', location.pathname + location.search);
    try {
      localStorage.removeItem(LAST_ROOM_KEY);
    } catch {
      // no storage
    }
    showRoom(null);
    try {
      await app.client.leave(id);
    } catch {
      // the room is forgotten here either way
    }
    refreshRooms();
  });
  el.messages.addEventListener('scroll', () => {
    if (el.messages.scrollTop < 48) loadOlder();
  });
  el.loadOlder.addEventListener('click', loadOlder);
  el.jumpLatest.addEventListener('outloud:not-loaded', () => toast('That message is older than those loaded.', 'info'));
  window.addEventListener('hashchange', () => {
    if (location.hash === '#/admin') return showAdmin();
    // A sign-in, invitation or token link opened in a tab that already runs the client.
    const link = takeLinkFromAddress();
    if (link) {
      teardown();
      app.link = link;
      decideStart();
      return;
    }
    const id = roomFromHash();
    if (id && id !== app.current) openRoom(id);
  });
}

function applyStatus(state) {
  if (!app.client) return;
  app.client.setStatus(state);
  if (!app.me) return;
  for (const rs of app.rooms.values()) {
    const mine = rs.presence.get(app.me.id);
    if (mine) mine.state = state;
  }
  const rs = app.current && app.rooms.get(app.current);
  if (rs) renderPeoplePanel(rs);
}

function setupStatus() {
  el.statusSelect.addEventListener('change', () => {
    app.manualStatus = el.statusSelect.value;
    app.autoAway = false;
    applyStatus(app.manualStatus);
  });
  document.addEventListener('visibilitychange', () => {
    clearTimeout(app.awayTimer);
    if (document.hidden) {
      app.awayTimer = setTimeout(() => {
        if (app.manualStatus === 'online') {
          app.autoAway = true;
          applyStatus('away');
        }
      }, AUTO_AWAY_MS);
    } else if (app.autoAway) {
      app.autoAway = false;
      applyStatus(app.manualStatus);
    }
  });
  el.signout.addEventListener('click', signOut);
  el.connRetry.addEventListener('click', () => app.client && app.client.reconnectNow());
}

function closeDrawers() {
  for (const [button, panel] of [
    [el.toggleRooms, el.roomsPanel],
    [el.togglePeople, el.peoplePanel],
  ]) {
    panel.classList.remove('is-open');
    button.setAttribute('aria-expanded', 'false');
  }
  el.scrim.hidden = true;
}

function setupDrawers() {
  for (const [button, panel, other] of [
    [el.toggleRooms, el.roomsPanel, el.peoplePanel],
    [el.togglePeople, el.peoplePanel, el.roomsPanel],
  ]) {
    button.addEventListener('click', () => {
      const open = !panel.classList.contains('is-open');
      closeDrawers();
      other.classList.remove('is-open');
      panel.classList.toggle('is-open', open);
      button.setAttribute('aria-expanded', String(open));
      el.scrim.hidden = !open;
      if (open) {
        const focusable = panel.querySelector('button, input, summary');
        if (focusable) focusable.focus();
      }
    });
  }
  el.scrim.addEventListener('click', closeDrawers);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !el.scrim.hidden) closeDrawers();
  });
}

// ---- accounts and access: sign-out, the room's label and settings, members, invitations, admin ----

async function signOut() {
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

/** The room's role for the person, and whether they run it. */
function roomLead(rs) {
  return !!rs && (rs.role === 'owner' || rs.role === 'facilitator');
}

/** The room head's label, visibility and the buttons the person's role allows. */
function renderRoomAccess(rs) {
  const accounts = app.auth !== 'open';
  const info = rs && rs.info;
  const showLabel = !!info && (accounts || !!info.label);
  el.roomAccess.replaceChildren(...(showLabel ? [labelBadge(info), accounts ? visibilityBadge(info) : null].filter(Boolean) : []));
  const guest = !!(app.me && app.me.guest);
  el.membersButton.hidden = !accounts || !info || guest;
  el.roomSettingsButton.hidden = !accounts || !info || rs.role !== 'owner';
  el.roomInviteButton.hidden =
    app.auth !== 'accounts' || !info || guest || !(roomLead(rs) || (app.me && (app.me.admin || app.me.org_admin)));
}

function onRoomChanged(ev) {
  const room = ev.room;
  if (!room || !room.id) return;
  const rs = app.rooms.get(room.id);
  if (rs) rs.info = { ...(rs.info || {}), ...room };
  const listed = app.roomList.findIndex((r) => r.id === room.id);
  if (listed >= 0) app.roomList[listed] = { ...app.roomList[listed], ...room };
  if (rs && app.current === room.id) {
    el.roomTitle.textContent = rs.info.title || rs.id;
    renderRoomAccess(rs);
  }
  app.members.roomChanged(rs ? rs.info : room);
  app.settings.roomChanged(rs ? rs.info : room);
  renderRooms();
}

function onMemberChanged(ev) {
  app.members.memberChanged(ev);
  const who = ev.member && ev.member.user;
  if (!who || !app.me || who.id !== app.me.id) return;
  if (ev.event === 'remove') {
    // Removed from the room: the server has closed our presence there; stop rejoining it.
    const rs = app.rooms.get(ev.room);
    const title = rs && rs.info ? rs.info.title || ev.room : ev.room;
    app.rooms.delete(ev.room);
    if (app.client) app.client.leave(ev.room).catch(() => {});
    if (app.current === ev.room) {
      app.current = null;
      history.replaceState(null, '', location.pathname + location.search);
      showRoom(null);
    }
    toast(`You are no longer a member of “${title}”.`, 'info');
  } else if (ev.room && app.rooms.has(ev.room)) {
    app.rooms.get(ev.room).role = ev.member.role || app.rooms.get(ev.room).role;
    if (app.current === ev.room) renderRoomAccess(app.rooms.get(ev.room));
  }
  refreshRooms();
}

function showAdmin() {
  if (!app.me || app.me.guest || app.auth !== 'accounts') return;
  if (location.hash !== '#/admin') history.replaceState(null, '', '#/admin');
  el.roomView.hidden = true;
  el.appView.classList.add('is-admin');
  closeDrawers();
  app.admin.show(app.me);
}

function hideAdmin() {
  if (el.adminView.hidden) return;
  app.admin.hide();
  el.roomView.hidden = false;
  el.appView.classList.remove('is-admin');
}

function setupAccess() {
  app.screens = new SignInScreens(el.authView, {
    onSignedIn: (user) => start({ user }),
    onToken: (token) => start({ token }),
  });
  app.admin = new AdminView(el.adminView, { client: () => app.client, toast });
  app.members = new MembersDialog({
    members: (room) => app.client.members(room),
    people: (query) => app.client.people(query),
    add: (room, user, opts) => app.client.addMember(room, user, opts),
    remove: (room, user) => app.client.removeMember(room, user),
  });
  app.settings = new RoomSettingsDialog({ save: (room, changes) => app.client.roomSettings(room, changes) });
  app.invite = new InviteDialog({
    orgs: () => app.client.orgs(),
    invite: (opts) => app.client.invite(opts),
  });
  const currentRoom = () => (app.current ? app.rooms.get(app.current) : null);
  el.membersButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.members.open(rs.info, { meId: app.me.id, lead: roomLead(rs) });
  });
  el.roomSettingsButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.settings.open(rs.info);
  });
  el.roomInviteButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.invite.open({ me: app.me, room: rs.info, roomLead: roomLead(rs) });
  });
  el.inviteButton.addEventListener('click', () => {
    if (app.client && app.me) app.invite.open({ me: app.me, room: null, roomLead: false });
  });
  // In jwt mode no cookie carries the person to GET …/export.md: the token goes in a header.
  el.recordLink.addEventListener('click', (event) => {
    const token = app.auth === 'jwt' ? loadToken() : null;
    if (!token) return;
    event.preventDefault();
    const link = el.recordLink;
    api.downloadWithToken(link.getAttribute('href'), token, link.getAttribute('download') || 'record.md').catch((err) =>
      toast(`Could not download the record: ${err.message}`),
    );
  });
  el.adminButton.addEventListener('click', (event) => {
    event.preventDefault();
    showAdmin();
  });
}

// ---- boot ----------------------------------------------------------------------------------

function boot() {
  collectElements();
  app.view = new MessageListView({
    list: el.messageList,
    scroller: el.messages,
    jumpButton: el.jumpLatest,
    lookup: (seq) => (app.current ? app.rooms.get(app.current)?.messages.get(seq) : undefined),
    onReply: setReply,
  });
  app.openSignIn = new OpenSignIn((identity) => {
    saveIdentity(identity);
    start({ identity });
  });
  setupComposer();
  setupRoomForms();
  setupStatus();
  setupDrawers();
  setupSession();
  setupAccess();
  app.link = takeLinkFromAddress();
  decideStart();
}

boot();
