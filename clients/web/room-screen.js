// The room on screen: opening (joining) a room, applying the client's joined/message/presence/
// typing events to the room store and rendering the message list, history paging, the people
// panel, typing line and topics. Session UI is rendered by session-controller.js.

import { h, clear, preview } from './dom.js';
import { renderPeople, typingText } from './people-view.js';
import { kindLabel } from './rooms-view.js';
import { roleOf } from './session-state.js';
import { app, el, toast, announce } from './app-context.js';
import {
  LAST_ROOM_KEY,
  HISTORY_PAGE,
  roomState,
  sortedMessages,
  lowestSeq,
  applyJoined,
  storeMessage,
  storeOlder,
  applyPresence,
  noteTyping,
} from './room-store.js';
import { renderRooms, renderRoomAccess } from './room-directory.js';
import { renderSession } from './session-controller.js';
import { clearReply } from './composer.js';
import { hideAdmin } from './page-chrome.js';
import { roomShown } from './threads.js';

/**
 * Shows room `id`, joining it first if need be; resolves true once it is on screen. A room that does
 * not exist (or is private to others: the server says not_found for both) is told in a toast, or not
 * at all with `quietNotFound`, or by `onNotFound()` instead.
 */
export async function openRoom(id, { quietNotFound = false, onNotFound = null } = {}) {
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
        // The address names the room on screen again: a reload must not retry the one that failed.
        history.replaceState(null, '', location.pathname + location.search + (app.current ? `#/room/${app.current}` : ''));
      }
      if (err.code === 'not_found') {
        if (onNotFound) onNotFound();
        else if (!quietNotFound) toast(`There is no room “${id}”.`);
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

export function onJoined({ room, frame, rejoin, reset }) {
  const rs = roomState(room);
  applyJoined(rs, { frame, rejoin, reset }, { meId: app.me ? app.me.id : '', myStatus: app.client ? app.client.status : null });
  if (reset && app.current === room) toast('Some messages could not be recovered; the latest are shown.', 'info');
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

export function onMessage(m) {
  const rs = app.rooms.get(m.room);
  if (!rs) return;
  const stored = storeMessage(rs, m, app.me ? app.me.id : '');
  if (!stored) return;
  const { own, confirmed } = stored;
  if (confirmed && app.current === m.room) app.view.removePending(m.nonce);
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

export function onPresence(ev) {
  onPresenceChanges(ev.room, [ev]);
}

/** Applies presence changes (none: a page of presence was merged) and renders once. */
export function onPresenceChanges(room, changes) {
  const rs = app.rooms.get(room);
  if (!rs) return;
  for (const ev of changes) applyPresence(rs, ev);
  if (app.current === room) {
    renderPeoplePanel(rs);
    renderTyping(rs);
    renderSession(rs);
  }
  renderRooms();
}

export function onTyping(ev) {
  const rs = app.rooms.get(ev.room);
  if (!rs || (app.me && ev.user.id === app.me.id)) return;
  noteTyping(rs, ev, () => {
    if (app.current === ev.room) renderTyping(rs);
  });
  if (app.current === ev.room) renderTyping(rs);
}

export function showRoom(rs, { loading = false } = {}) {
  roomShown(rs ? rs.id : null);
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

export function renderPeoplePanel(rs) {
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

export async function loadOlder() {
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
  const fresh = storeOlder(rs, older);
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

/** Puts keyboard focus in the room on screen: the message box, or the messages when one may not write. */
export function focusRoom() {
  if (el.roomSection.hidden) return;
  if (!el.composer.hidden) el.composerText.focus();
  else el.messages.focus();
}

/** Puts keyboard focus on the rooms: the first in the list, or the new-room form; on a phone, the rooms button. */
export function focusRooms() {
  if (!document.activeElement || document.activeElement === document.body) {
    if (getComputedStyle(el.toggleRooms).display !== 'none') el.toggleRooms.focus();
    else (el.roomList.querySelector('button') || el.createRoom.querySelector('summary')).focus();
  }
}
