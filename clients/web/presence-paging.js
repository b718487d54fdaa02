// Large rooms (protocol/README.md "Large rooms"): the client joins with `presence_limit`, so
// `joined` carries a first page of presence with `online` and `presence_next`; this module pages
// the rest and applies the coalesced `presence_batch` events, so "who is here" and "not heard
// from yet" cover everyone however large the room.

import { app } from './app-context.js';
import { onPresenceChanges } from './room-screen.js';

/** Presence entries asked for per page (in `joined` and in each `presence_page`). */
export const PRESENCE_PAGE = 100;

/**
 * Pages the presence a `joined` did not carry into the room's store, rendering after each page.
 * A page that fails stops the paging quietly: the batches still keep the list current.
 */
async function pageRestOfPresence(client, room, frame) {
  let after = frame.presence_next;
  while (after) {
    let page;
    try {
      page = await client.request({ type: 'presence_page', room, after, limit: PRESENCE_PAGE });
    } catch {
      return;
    }
    const rs = app.rooms.get(room);
    if (!rs) return;
    for (const p of page.presence || []) {
      if (!rs.presence.has(p.user.id)) rs.presence.set(p.user.id, { user: p.user, state: p.state });
    }
    if (typeof page.online === 'number') rs.online = page.online;
    onPresenceChanges(room, []);
    after = page.next;
  }
}

/** Subscribes to what a large room's presence needs: paging after each `joined`, and batches. */
export function watchLargeRoomPresence(client) {
  client.on('joined', ({ room, frame }) => {
    const rs = app.rooms.get(room);
    if (rs && typeof frame.online === 'number') rs.online = frame.online;
    pageRestOfPresence(client, room, frame);
  });
  client.on('presence_batch', (batch) => {
    const rs = app.rooms.get(batch.room);
    if (rs && typeof batch.online === 'number') rs.online = batch.online;
    // Each change is the contract's `presence` event, applied in order, rendered once.
    onPresenceChanges(batch.room, batch.changes || []);
  });
}
