// The live room list: `room_list` events (a room created, renamed, its settings changed, a breakout
// group opened or archived) update the list in place; a room one may no longer see leaves it.
// Archived breakout groups leave the default list too (they stay readable: the open one stays).

import { app } from './app-context.js';

/** @param {{event: 'upsert'|'remove', room: object}} ev @returns {boolean} whether the list changed */
export function applyRoomListEvent(ev) {
  const room = ev && ev.room;
  if (!room || !room.id) return false;
  const at = app.roomList.findIndex((r) => r.id === room.id);
  const hide = ev.event === 'remove' || (room.archived && app.current !== room.id);
  if (hide) {
    if (at < 0) return false;
    app.roomList.splice(at, 1);
    return true;
  }
  if (at >= 0) app.roomList[at] = { ...app.roomList[at], ...room };
  else app.roomList.push({ online: 0, last_seq: 0, read: 0, ...room });
  const rs = app.rooms.get(room.id);
  if (rs && rs.info) rs.info = { ...rs.info, ...room };
  return true;
}

const byTitle = (a, b) => (a.title || a.id).localeCompare(b.title || b.id, undefined, { sensitivity: 'base' });

/**
 * The list in display order: rooms and sessions by title, each session's breakout groups right
 * after it (`parent`), marked `nested`; a group whose session is not listed stands on its own.
 * @param {Array<object>} rooms
 * @returns {Array<object & {nested: boolean}>}
 */
export function nestRooms(rooms) {
  const ids = new Set(rooms.map((r) => r.id));
  const children = new Map();
  const top = [];
  for (const room of rooms) {
    if (room.parent && ids.has(room.parent)) {
      if (!children.has(room.parent)) children.set(room.parent, []);
      children.get(room.parent).push(room);
    } else {
      top.push(room);
    }
  }
  const out = [];
  for (const room of top.sort(byTitle)) {
    out.push({ ...room, nested: false });
    const groups = (children.get(room.id) || []).sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    for (const group of groups) out.push({ ...group, nested: true, parentTitle: room.title || room.id });
  }
  return out;
}
