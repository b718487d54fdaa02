// Unread counts, mentions and the tab title. Read markers are the server's (per person, so they
// follow them across devices): the room list carries each room's `last_seq` and the person's `read`;
// live messages move `last_seq` on; reading the room on screen moves `read` with a `read` frame; a
// `read` event from another device moves it here too. Mentions count until the room is read past
// them: the listing carries those the server kept while the person was away (`mentions`, counted
// up to the listing's `last_seq`), live `mention` events add the ones after it and raise a browser
// notification when the page is hidden and the person allowed notifications.

import { h } from './dom.js';
import { app, el, toast } from './app-context.js';

const READ_DEBOUNCE_MS = 400;

/**
 * room id -> {lastSeq, read, listedMentions, listedUpTo, mentions: Set<seq>}: the listing counted
 * `listedMentions` up to seq `listedUpTo`; `mentions` holds the live ones (those past it count).
 */
const progress = new Map();
let baseTitle = '';
let readTimer = null;
let onChange = () => {};

function entry(room) {
  let e = progress.get(room);
  if (!e) {
    e = { lastSeq: 0, read: 0, listedMentions: 0, listedUpTo: 0, mentions: new Set() };
    progress.set(room, e);
  }
  return e;
}

/** The rooms listing told us where each room ends and how far the person read it. */
export function noteListing(rooms) {
  for (const r of rooms) {
    const e = entry(r.id);
    if (typeof r.last_seq === 'number') e.lastSeq = Math.max(e.lastSeq, r.last_seq);
    if (typeof r.read === 'number') e.read = Math.max(e.read, r.read);
    if (typeof r.mentions === 'number' && typeof r.last_seq === 'number') {
      e.listedMentions = e.read >= r.last_seq ? 0 : r.mentions;
      e.listedUpTo = r.last_seq;
      for (const seq of [...e.mentions]) if (seq <= r.last_seq) e.mentions.delete(seq);
    }
  }
  updateTitle();
}

/** The person is looking at this room now (on screen and the page visible). */
function viewing(room) {
  return app.current === room && document.visibilityState === 'visible';
}

/** Unread messages of a room: 0 for the room being read. */
export function unreadCount(room) {
  const e = progress.get(room);
  if (!e || viewing(room)) return 0;
  return Math.max(0, e.lastSeq - e.read);
}

export function mentionCount(room) {
  const e = progress.get(room);
  if (!e || viewing(room)) return 0;
  let live = 0;
  for (const seq of e.mentions) if (seq > e.listedUpTo) live += 1;
  return e.listedMentions + live;
}

/** The marker moved: mentions at or before it are read (the listing's count only as a whole). */
function forgetReadMentions(e) {
  for (const seq of [...e.mentions]) if (seq <= e.read) e.mentions.delete(seq);
  if (e.read >= e.listedUpTo) e.listedMentions = 0;
}

export function noteMessage(m, own) {
  const e = entry(m.room);
  e.lastSeq = Math.max(e.lastSeq, m.seq);
  // One's own words are read (the server moves the markers past them too, unless others' words
  // before them are still unread). When the room on screen is read as a whole, the marker sent
  // below says so to the server; elsewhere they are marked read here only.
  const told = viewing(m.room) && !(topicRead && topicRead.room === m.room);
  if (own && !told) e.read = Math.max(e.read, m.seq);
  if (viewing(m.room)) scheduleRead(m.room);
  else onChange();
  updateTitle();
}

export function noteRead(ev) {
  const e = entry(ev.room);
  if (ev.topic) return;
  e.read = Math.max(e.read, ev.seq);
  forgetReadMentions(e);
  updateTitle();
  onChange();
}

export function noteMention(ev) {
  if (viewing(ev.room)) return;
  const e = entry(ev.room);
  if (ev.seq <= e.read) return;
  e.mentions.add(ev.seq);
  e.lastSeq = Math.max(e.lastSeq, ev.seq);
  updateTitle();
  onChange();
  const title = roomTitle(ev.room);
  if (document.visibilityState === 'hidden' && 'Notification' in window && Notification.permission === 'granted') {
    try {
      const note = new Notification(`${ev.from.name} mentioned you in ${title}`, {
        body: ev.text,
        tag: `${ev.room}#${ev.seq}`,
      });
      note.onclick = () => {
        window.focus();
        location.hash = `#/room/${ev.room}`;
      };
    } catch {
      // a browser that only notifies from a service worker: the title and the badge still tell
    }
  } else {
    toast(`${ev.from.name} mentioned you in ${title}`, 'info');
  }
}

function roomTitle(room) {
  const listed = app.roomList.find((r) => r.id === room);
  return (listed && listed.title) || app.rooms.get(room)?.info?.title || room;
}

let pendingRead = null;  // the room whose reading is waiting to be told
/** The thread open on screen, {room, topic}, or null: the person reads that topic alone. */
let topicRead = null;

/**
 * A topic's thread opened (or closed: `room` null). While it is open the room is not read as a
 * whole — messages of other topics stay unread, counted in the topic list — and closing it shows
 * (so reads) the whole room again.
 */
export function readingTopic(room, topic) {
  const closed = topicRead;
  if (room) flushRead();  // the room as it stood until now was read; from here on, only the topic
  topicRead = room ? { room, topic } : null;
  if (!topicRead && closed && viewing(closed.room)) scheduleRead(closed.room);
}

/** Tells the server the room on screen is read to its end (debounced). */
export function scheduleRead(room) {
  if (topicRead && topicRead.room === room) return;
  if (pendingRead && pendingRead !== room) flushRead();
  pendingRead = room;
  clearTimeout(readTimer);
  readTimer = setTimeout(flushRead, READ_DEBOUNCE_MS);
}

/**
 * Sends the waiting read marker now (the person saw the room up to here, even if they just left it);
 * resolves once the server has it, so that counts asked for next include it.
 */
export function flushRead() {
  clearTimeout(readTimer);
  const room = pendingRead;
  pendingRead = null;
  if (!room || !app.client) return Promise.resolve();
  const e = entry(room);
  if (e.lastSeq <= e.read) return Promise.resolve();
  e.read = e.lastSeq;
  forgetReadMentions(e);
  updateTitle();
  return app.client.markRead(room, e.lastSeq).catch(() => {});
}

/**
 * "(3) OutLoud", "(3 · @1) OutLoud": unread messages in the rooms the person follows (joined here,
 * or read before) and mentions anywhere, leaving out the room on screen.
 */
export function updateTitle() {
  let unread = 0;
  let mentions = 0;
  for (const [room, e] of progress) {
    if (e.read > 0 || (app.client && app.client.isJoined(room))) unread += unreadCount(room);
    mentions += mentionCount(room);
  }
  const parts = [unread ? String(unread) : null, mentions ? `@${mentions}` : null].filter(Boolean);
  document.title = parts.length ? `(${parts.join(' · ')}) ${baseTitle}` : baseTitle;
}

/** A button that asks for the browser's permission to notify (it must follow a click). */
function notificationButton() {
  if (!('Notification' in window) || Notification.permission !== 'default') return null;
  const button = h('button', {
    type: 'button',
    id: 'enable-notifications',
    class: 'button button--quiet button--small',
    text: 'Notify me of mentions',
    on: {
      click: async () => {
        const answer = await Notification.requestPermission().catch(() => 'denied');
        button.remove();
        if (answer !== 'granted') toast('Mentions will show in the tab title and the room list.', 'info');
      },
    },
  });
  return button;
}

/** @param {() => void} changed called when counts change outside a message (re-render the list) */
export function setupUnread(changed) {
  onChange = changed;
  baseTitle = document.title || 'OutLoud';
  const button = notificationButton();
  if (button) el.roomListEmpty.after(button);
  document.addEventListener('visibilitychange', () => {
    if (app.current && document.visibilityState === 'visible') scheduleRead(app.current);
    updateTitle();
    onChange();
  });
}
