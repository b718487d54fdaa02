// The room list and what changes it: refreshing and rendering the list, the create and join
// forms, leaving a room, the address (#/room/<id>), the room head's access badges and buttons,
// and the `room` and `member` events.

import { isValidSlug } from './outloud.js';
import { renderRoomList, labelBadge, visibilityBadge } from './rooms-view.js';
import { takeLinkFromAddress } from './signin-view.js';
import { app, el, toast, showFieldError } from './app-context.js';
import { LAST_ROOM_KEY, forgetRoom } from './room-store.js';
import { decideStart, teardown } from './connection.js';
import { focusRoom, openRoom, showRoom, loadOlder } from './room-screen.js';
import { closeDrawers, showAdmin } from './page-chrome.js';
import { roomsListed, unreadCount, mentionCount } from './threads.js';

export async function refreshRooms() {
  if (!app.client) return;
  try {
    app.roomList = await app.client.rooms();
    roomsListed(app.roomList);
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

export function renderRooms() {
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
    unread: unreadCount,
    mentions: mentionCount,
    joined: (id) => !!app.client && app.client.isJoined(id),
    onOpen: (id) => {
      openRoom(id);
      closeDrawers();
    },
  });
}

export function roomFromHash() {
  const match = /^#\/room\/(.+)$/.exec(location.hash);
  if (!match) return null;
  const id = decodeURIComponent(match[1]);
  return isValidSlug(id) ? id : null;
}

/** The room's role for the person, and whether they run it. */
export function roomLead(rs) {
  return !!rs && (rs.role === 'owner' || rs.role === 'facilitator');
}

/** The room head's label, visibility and the buttons the person's role allows. */
export function renderRoomAccess(rs) {
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

export function onRoomChanged(ev) {
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

export function onMemberChanged(ev) {
  app.members.memberChanged(ev);
  const who = ev.member && ev.member.user;
  if (!who || !app.me || who.id !== app.me.id) return;
  if (ev.event === 'remove') {
    // Removed from the room: the server has closed our presence there; stop rejoining it.
    const rs = app.rooms.get(ev.room);
    const title = rs && rs.info ? rs.info.title || ev.room : ev.room;
    forgetRoom(ev.room);
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

export function setupRoomForms() {
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
    focusRoom(); // the form that had focus is closed: go on in the new room
  });
  el.joinForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = el.joinId.value.trim();
    if (!isValidSlug(id)) return showFieldError(el.joinError, 'That is not a valid room id.');
    showFieldError(el.joinError, '');
    let missing = false;
    const ok = await openRoom(id, { onNotFound: () => { missing = true; } });
    if (ok) {
      el.joinId.value = '';
      closeDrawers();
    } else {
      // Say why beside the field: "could not join" alone left people guessing (other errors have a toast too).
      showFieldError(el.joinError, missing
        ? `There is no room “${id}” that you can join: check the id, or ask the room's owner to add you.`
        : `Could not join “${id}”.`);
    }
  });
  el.refreshRooms.addEventListener('click', refreshRooms);
  el.leaveRoom.addEventListener('click', async () => {
    const id = app.current;
    if (!id || !app.client) return;
    forgetRoom(id);
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
