// Topics as threads, unread counts, mentions and the live room list: the wiring. setupThreads()
// builds their parts of the page once; attachThreads(client) follows a protocol client's events.

import { app } from './app-context.js';
import { refreshRooms, renderRooms } from './room-directory.js';
import { applyRoomListEvent } from './room-list-live.js';
import { roomShown as topicsRoomShown, setupTopicsView, threadMessage } from './topics-view.js';
import {
  flushRead, noteListing, noteMention, noteMessage, noteRead, scheduleRead, setupUnread, updateTitle,
} from './unread.js';

export { unreadCount, mentionCount } from './unread.js';

export function setupThreads() {
  setupUnread(() => renderRooms());
  setupTopicsView();
}

/** @param {import('./outloud.js').OutloudClient} client */
export function attachThreads(client) {
  client.on('message', (m) => {
    noteMessage(m, !!app.me && m.from.id === app.me.id);
    threadMessage(m);
  });
  client.on('mention', noteMention);
  client.on('read', noteRead);
  client.on('room_list', (ev) => {
    // The server may have missed changes (its Redis link was restored): the list, read again.
    if (ev.event === 'refresh') return refreshRooms();
    if (applyRoomListEvent(ev)) renderRooms();
  });
  client.on('joined', ({ room }) => {
    if (room === app.current) scheduleRead(room);
  });
}

/** The room list was read again: its last seqs and read markers. */
export function roomsListed(rooms) {
  noteListing(rooms);
  updateTitle();
}

/** A room came on screen (or none): its thread and topic list reset, and it counts as read. */
export function roomShown(room) {
  flushRead();
  topicsRoomShown(room);
  if (room) scheduleRead(room);
  updateTitle();
}
