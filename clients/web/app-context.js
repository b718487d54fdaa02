// The page's shared context: `app` (who is signed in, the protocol client, the rooms held, the
// room on screen, the views) and `el` (the page's elements by camel-cased id), plus the small UI
// services every controller uses (toast, announce, field errors). Imports no other controller.

import { h, byId } from './dom.js';

export const app = {
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
  /** @type {import('./tool-tabs.js').ToolTabs|null} */
  tools: null,
};

export const el = {};

export function collectElements() {
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
    'sb-poll', 'sb-hands', 'sb-hands-count', 'people-pinned', 'people-tools', 'tool-tabs',
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
    'room-invite-button', 'room-settings-button', 'create-private-field', 'create-private', 'empty-text', 'empty-show-rooms', 'room-view',
  ]) {
    el[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = byId(id);
  }
}

export function toast(text, kind = 'error') {
  const item = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
  el.toasts.append(item);
  setTimeout(() => item.remove(), 6000);
}

export function announce(text) {
  // A fresh node per announcement makes screen readers read each one.
  const item = h('p', { text });
  el.announcer.append(item);
  while (el.announcer.childElementCount > 5) el.announcer.firstElementChild.remove();
}

export function showFieldError(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}
