// Correcting, taking back and finding messages: the Edit / Delete actions on one's own messages,
// Remove (with a reason, on the record) for the room's owner and facilitators, the "edited" and
// "deleted"/"removed" marks, catching up with changes missed while away, and search in the open
// room (protocol/README.md "Edits, removal and search"). Hooks: MessageListView's `decorate`
// option, the client's `changed` and `joined` events (connection.js), setupMessageTools (app.js).

import { h, clear, shortTime, fullTime, preview } from './dom.js';
import { app, el, toast, announce } from './app-context.js';
import { inlineForm } from './message-inline-form.js';
import { markMention } from './mention-mark.js';

/** The highest change version applied, by room: where `changes` resumes after a reconnect. */
const versions = new Map();

function noteVersion(room, version) {
  if (Number.isInteger(version) && version > (versions.get(room) ?? -1)) versions.set(room, version);
}

function isModerator(room) {
  const role = app.rooms.get(room)?.role;
  return role === 'owner' || role === 'facilitator';
}

function actionButton(label, onClick, extra = {}) {
  return h('button', { type: 'button', class: 'msg-action', ...extra, on: { click: onClick } },
    h('span', { class: 'msg-action-label', text: label }));
}

/** Adds the marks and actions of one message item (called by MessageListView for each one). */
export function decorateMessage(li, m) {
  const text = li.querySelector('.msg-text');
  const actions = li.querySelector('.msg-actions');
  if (m.deleted) {
    li.classList.add('msg--deleted');
    if (text) {
      const by = m.deleted.by || {};
      text.textContent = m.deleted.reason
        ? `Removed by ${by.name} (${by.org}): ${m.deleted.reason}`
        : 'Message deleted by its author';
      text.classList.add('msg-tombstone');
      text.title = fullTime(m.deleted.at);
    }
    if (actions) clear(actions);
    return;
  }
  markMention(li, m, app.me);
  if (m.edited_at) {
    const head = li.querySelector('.msg-head');
    head?.append(h('span', { class: 'msg-edited', title: `Edited ${fullTime(m.edited_at)}`, text: 'edited' }));
  }
  if (!actions) return;
  const own = app.me && m.from.id === app.me.id;
  if (own) {
    actions.append(
      actionButton('Edit', () => startEdit(li, m), { 'aria-label': `Edit your message #${m.seq}` }),
      actionButton('Delete', () => confirmTakeBack(li, m, false), { 'aria-label': `Delete your message #${m.seq}` }),
    );
  }
  if (isModerator(m.room)) {
    actions.append(actionButton('Remove', () => confirmTakeBack(li, m, true),
      { 'aria-label': `Remove the message #${m.seq} of ${m.from.name}` }));
  }
}

function startEdit(li, m) {
  inlineForm(li, {
    label: 'Your corrected message',
    value: m.text,
    field: 'multiline',
    submitText: 'Save',
    onSubmit: async (text) => {
      if (!text.trim()) throw new Error('A message cannot be empty: delete it instead.');
      onChanged(await app.client.request({ type: 'edit', room: m.room, seq: m.seq, text }));
    },
  });
}

function confirmTakeBack(li, m, moderating) {
  inlineForm(li, {
    label: moderating ? 'Reason for removing it (goes on the record)' : 'Delete this message for everyone?',
    field: moderating ? 'line' : null,
    submitText: moderating ? 'Remove' : 'Delete',
    onSubmit: async (reason) => {
      if (moderating && !reason.trim()) throw new Error('Say why it is removed: the reason goes on the record.');
      const frame = moderating
        ? { type: 'remove_message', room: m.room, seq: m.seq, reason: reason.trim() }
        : { type: 'delete', room: m.room, seq: m.seq };
      onChanged(await app.client.request(frame));
    },
  });
}

/** A `changed` event or reply: the message is replaced where it is held and shown. */
export function onChanged(ev) {
  if (!ev || !ev.message) return;
  noteVersion(ev.room, ev.version);
  const m = ev.message;
  const rs = app.rooms.get(ev.room);
  if (!rs || !rs.messages.has(m.seq)) return;
  const before = rs.messages.get(m.seq);
  rs.messages.set(m.seq, m);
  if (app.current === ev.room) {
    app.view.refresh(m);
    if (m.deleted && !before.deleted && app.me && before.from.id !== app.me.id) {
      announce(m.deleted.reason ? `A message was removed: ${m.deleted.reason}` : 'A message was deleted');
    }
  }
}

/** One's own role changed: the messages are shown again with the actions it now allows (Remove). */
export function onRoleChanged(ev) {
  if (!app.me || !ev.user || ev.user.id !== app.me.id) return;
  // After the session controller has stored the new role (it listens to the same event).
  setTimeout(() => {
    const rs = app.rooms.get(ev.room);
    if (!rs || app.current !== ev.room) return;
    for (const m of rs.messages.values()) app.view.refresh(m);
  }, 0);
}

/** After a join: learns the room's change version, or catches up with what changed since it. */
export async function catchUpChanges({ room, rejoin }) {
  if (!app.client) return;
  const since = versions.get(room);
  try {
    if (!rejoin || since === undefined) {
      const reply = await app.client.request({ type: 'changes', room });
      noteVersion(room, reply.version);
      return;
    }
    let from = since;
    for (let page = 0; page < 50; page++) {
      const reply = await app.client.request({ type: 'changes', room, since: from });
      for (const message of reply.messages) onChanged({ room, version: undefined, message });
      noteVersion(room, reply.version);
      if (!reply.more || reply.version <= from) break;
      from = reply.version;
    }
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not catch up with edits in “${room}”: ${err.message}`, 'info');
  }
}

// ---- search ---------------------------------------------------------------------------------

const search = { room: null, query: '', next: null };

function resultItem(m) {
  const who = `${m.from.name} (${m.from.org})`;
  return h('li', { class: 'search-result' },
    h('div', { class: 'search-result-head' },
      h('span', { class: 'msg-author', text: who }),
      h('time', { datetime: new Date(m.ts).toISOString(), title: fullTime(m.ts), text: shortTime(m.ts) }),
      h('span', { class: 'muted', text: `#${m.seq}` })),
    h('p', { class: 'search-result-text', text: preview(m.text, 300) }),
    h('button', {
      type: 'button',
      class: 'link-button',
      text: 'Show in the conversation',
      on: {
        click: () => {
          if (app.current !== m.room || !app.view.reveal(m.seq)) toast('That message is further back: load earlier messages to see it in place.', 'info');
        },
      },
    }));
}

async function runSearch(ui, { more = false } = {}) {
  const room = app.current;
  const query = ui.input.value.trim();
  if (!room || !query) return;
  if (!more) {
    Object.assign(search, { room, query, next: null });
    clear(ui.results);
  }
  ui.status.textContent = 'Searching…';
  ui.more.hidden = true;
  try {
    const frame = { type: 'search', room, query };
    if (more && search.next) frame.before = search.next;
    const reply = await app.client.request(frame);
    if (search.room !== room || search.query !== query) return; // a newer search took over
    for (const m of reply.messages) ui.results.append(resultItem(m));
    search.next = reply.next;
    const count = ui.results.childElementCount;
    ui.status.textContent = count === 0 ? `Nothing found for “${query}”.` : `${count} found for “${query}”, newest first.`;
    ui.more.hidden = reply.next === null || reply.next === undefined;
  } catch (err) {
    ui.status.textContent = `Search failed: ${err.message}`;
  }
}

/** Builds the search box of the open room (a toggle in the room header, a panel above the messages). */
export function setupMessageTools() {
  const input = h('input', { type: 'search', id: 'search-input', class: 'search-input', maxlength: '200',
    placeholder: 'Words to find in this room', 'aria-label': 'Search this room' });
  const status = h('p', { class: 'muted small', role: 'status', id: 'search-status' });
  const results = h('ol', { class: 'search-results', id: 'search-results', 'aria-label': 'Search results' });
  const more = h('button', { type: 'button', class: 'button button--quiet button--small', text: 'Older results', hidden: true });
  const close = h('button', { type: 'button', class: 'button button--quiet button--small', text: 'Close' });
  const form = h('form', { class: 'search-form', role: 'search' }, input,
    h('button', { type: 'submit', class: 'button button--small', text: 'Search' }), close);
  const panel = h('section', { id: 'search-panel', class: 'search-panel', 'aria-label': 'Search', hidden: true },
    form, status, results, more);
  const ui = { input, status, results, more };
  const toggle = h('button', { id: 'search-button', type: 'button', class: 'button button--quiet', text: 'Search',
    'aria-expanded': 'false', 'aria-controls': 'search-panel' });
  const show = (open) => {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) input.focus();
  };
  toggle.addEventListener('click', () => show(panel.hidden));
  close.addEventListener('click', () => { show(false); toggle.focus(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    runSearch(ui);
  });
  more.addEventListener('click', () => runSearch(ui, { more: true }));
  el.leaveRoom.before(toggle);
  el.messages.before(panel);
}
