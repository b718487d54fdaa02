// The room store: what the page holds of each room (RoomState: messages by seq, presence,
// typing, own pending messages, topics, role, session) and the pure updates applied to it from
// the protocol client's events. No DOM here: the room screen (room-screen.js) renders from it.

import { emptySession, sessionFromJoined } from './session-state.js';
import { app } from './app-context.js';

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

export const LAST_ROOM_KEY = 'outloud.lastRoom';

export const HISTORY_PAGE = 50;

const TYPING_SHOWN_MS = 6000;

export function roomState(id) {
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

export function sortedMessages(rs) {
  return [...rs.messages.values()].sort((a, b) => a.seq - b.seq);
}

export function lowestSeq(rs) {
  let min = Infinity;
  for (const seq of rs.messages.keys()) if (seq < min) min = seq;
  return min;
}

/**
 * Applies a `joined` (a fresh join, or a rejoin after a reconnect): the room, one's role, the
 * session, who is present; the message list is replaced unless the rejoin recovered the gap (then
 * the recovered messages come as `message` events). Own status is not echoed by the server: our
 * own presence entry is kept in step with `myStatus`.
 */
export function applyJoined(rs, { frame, rejoin, reset }, { meId, myStatus }) {
  rs.info = frame.room || rs.info;
  rs.role = (frame.you && frame.you.role) || rs.role;
  rs.session = sessionFromJoined(frame.session, meId, Date.now());
  rs.presence = new Map((frame.presence || []).map((p) => [p.user.id, { user: p.user, state: p.state }]));
  if (!rejoin || reset) {
    const messages = frame.messages || [];
    rs.messages = new Map(messages.map((m) => [m.seq, m]));
    for (const m of messages) if (m.topic) rs.topics.add(m.topic);
    rs.hasMore = messages.length > 0 && messages[0].seq > 1;
  }
  if (meId && rs.presence.has(meId) && myStatus) rs.presence.get(meId).state = myStatus;
}

/**
 * Stores a live message. Returns null if its seq is already held, else `{own, confirmed}`:
 * `confirmed` when it is the echo of one of our pending messages (now dropped from `pending`).
 * Whoever wrote it is no longer typing.
 */
export function storeMessage(rs, m, meId) {
  if (rs.messages.has(m.seq)) return null;
  rs.messages.set(m.seq, m);
  if (m.topic) rs.topics.add(m.topic);
  const own = !!meId && m.from.id === meId;
  const confirmed = own && !!m.nonce && rs.pending.delete(m.nonce);
  stopTyping(rs, m.from.id);
  return { own, confirmed };
}

/** Merges a page of older messages; returns those not held before, ascending. */
export function storeOlder(rs, older) {
  const fresh = older.filter((m) => !rs.messages.has(m.seq)).sort((a, b) => a.seq - b.seq);
  for (const m of fresh) {
    rs.messages.set(m.seq, m);
    if (m.topic) rs.topics.add(m.topic);
  }
  rs.hasMore = older.length >= HISTORY_PAGE && older.length > 0 && older[0].seq > 1;
  return fresh;
}

/** Applies a `presence` event: someone came, left, or changed state. */
export function applyPresence(rs, ev) {
  if (ev.event === 'leave') {
    rs.presence.delete(ev.user.id);
    stopTyping(rs, ev.user.id);
  } else {
    rs.presence.set(ev.user.id, { user: ev.user, state: ev.state || 'online' });
  }
}

/** Notes that someone is typing, for TYPING_SHOWN_MS; `onExpire` runs when the note lapses. */
export function noteTyping(rs, ev, onExpire) {
  stopTyping(rs, ev.user.id);
  const timer = setTimeout(() => {
    rs.typing.delete(ev.user.id);
    onExpire();
  }, TYPING_SHOWN_MS);
  rs.typing.set(ev.user.id, { user: ev.user, topic: ev.topic, timer });
}

function stopTyping(rs, userId) {
  const typist = rs.typing.get(userId);
  if (typist) clearTimeout(typist.timer);
  rs.typing.delete(userId);
}

/** Forgets a room (left, removed from it, or a closed breakout group): its typing timers stop. */
export function forgetRoom(id) {
  const rs = app.rooms.get(id);
  if (rs) for (const t of rs.typing.values()) clearTimeout(t.timer);
  app.rooms.delete(id);
}
