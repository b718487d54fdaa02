// Marks the messages that name the person reading ("@Nadia Shah"), so that one finds them among the
// rest when opening a room after a mention: a tint and a "Mentions you" tag, read out with the message.
// Matched as the server matches (protocol/README.md, "Mentions"): ASCII case ignored, the name not
// followed by a letter or digit.

import { h } from './dom.js';

/** Whether `text` names `name` with "@". */
export function namesPerson(text, name) {
  if (!text || !name) return false;
  const hay = text.toLowerCase();
  const needle = `@${name.toLowerCase()}`;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    const next = text.slice(at + needle.length, at + needle.length + 2);
    if (!/^[\p{L}\p{N}]/u.test(next)) return true;
  }
  return false;
}

/** Adds the mark to message item `li` when `m` names `me`. */
export function markMention(li, m, me) {
  if (!me || !m.from || m.from.id === me.id || !namesPerson(m.text, me.name)) return;
  li.classList.add('msg--mentions-me');
  li.querySelector('.msg-head')?.append(h('span', { class: 'mention-tag', text: 'Mentions you' }));
}
