// Names offered while writing "@…" in the message box. The server tells someone only when the text
// holds their whole display name ("@Nadia Shah"; "@Nadia" tells nobody, and says so nowhere), so
// typing "@" and a few letters lists the people of the room who match; Up/Down choose, Enter or Tab
// put the whole name in, Escape closes the list. The list is a listbox the message box points at
// (aria-controls, aria-activedescendant), and how many match is announced.

import { h, clear } from './dom.js';
import { app, el, announce } from './app-context.js';
import { orgBadge } from './messages-view.js';

const MAX_SHOWN = 6;
/** "@" at the start or after a space, then up to 40 characters of a name, up to the caret. */
const TYPED = /(?:^|\s)@([^@\n]{0,40})$/;

let list;
let shown = [];  // the USERs listed
let active = 0;
let typedFrom = -1;  // where the "@" is in the text

/** Everyone the room knows of but oneself: here now, or the author of a message loaded. */
function roomPeople() {
  const rs = app.current && app.rooms.get(app.current);
  if (!rs) return [];
  const people = new Map();
  for (const { user } of rs.presence.values()) people.set(user.id, user);
  for (const m of rs.messages.values()) if (m.from && !people.has(m.from.id)) people.set(m.from.id, m.from);
  if (app.me) people.delete(app.me.id);
  return [...people.values()];
}

/** People one of whose words starts with `typed` (case ignored), or whose whole name does. */
function matching(typed) {
  const want = typed.toLowerCase();
  return roomPeople()
    .filter((u) => u.name.toLowerCase().startsWith(want) || u.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(want)))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_SHOWN);
}

function close() {
  if (list.hidden) return;
  list.hidden = true;
  shown = [];
  clear(list);
  el.composerText.removeAttribute('aria-activedescendant');
}

function render() {
  clear(list);
  shown.forEach((u, i) => {
    list.append(h('li', {
      id: `mention-option-${i}`,
      role: 'option',
      class: `mention-option${i === active ? ' is-active' : ''}`,
      'aria-selected': String(i === active),
      dataset: { user: u.id },
      // mousedown, not click: the message box keeps the focus (and the caret).
      on: { mousedown: (event) => { event.preventDefault(); pick(u); } },
    }, h('span', { class: 'person-name', dir: 'auto', text: u.name }), ' ', orgBadge(u.org || '?', 'org-badge--small')));
  });
  list.hidden = false;
  el.composerText.setAttribute('aria-activedescendant', `mention-option-${active}`);
}

function update() {
  const field = el.composerText;
  const before = field.value.slice(0, field.selectionStart);
  const m = field.selectionStart === field.selectionEnd ? TYPED.exec(before) : null;
  const found = m ? matching(m[1]) : [];
  if (!found.length) return close();
  const wasShown = shown.map((u) => u.id).join();
  typedFrom = before.length - m[1].length - 1;
  shown = found;
  if (found.map((u) => u.id).join() !== wasShown) {
    active = 0;
    announce(`${found.length} ${found.length === 1 ? 'person matches' : 'people match'}: up and down arrows to choose, Enter to pick.`);
  }
  render();
}

/** Puts "@Whole Name " in place of what was typed after the "@". */
function pick(user) {
  const field = el.composerText;
  const end = field.selectionStart;
  const text = `@${user.name} `;
  field.setRangeText(text, typedFrom, end, 'end');
  field.dispatchEvent(new Event('input', { bubbles: true }));
  close();
  field.focus();
}

export function setupMentionSuggestions() {
  list = h('ul', { id: 'mention-list', class: 'mention-list', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  el.composer.append(list);
  const field = el.composerText;
  field.setAttribute('aria-autocomplete', 'list');
  field.setAttribute('aria-controls', 'mention-list');
  field.addEventListener('input', update);
  field.addEventListener('click', update);
  field.addEventListener('blur', close);
  // Capture: before the composer's own Enter (send) and Escape (cancel the reply) while the list is open.
  field.addEventListener('keydown', (event) => {
    if (list.hidden || event.isComposing) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active = (active + (event.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      pick(shown[active]);
    } else if (event.key === 'Escape') {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, { capture: true });
}
