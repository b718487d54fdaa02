// Links to a room's record (GET /api/rooms/<room>/export.md and export.html): times in this
// browser's time zone, and a printable page with the poll charts beside the Markdown file.
import { h } from './dom.js';

/** This browser's IANA time zone ("Europe/London"), or UTC. */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** @param {string} room @param {'md'|'html'} kind */
export function recordHref(room, kind) {
  return `/api/rooms/${encodeURIComponent(room)}/export.${kind}?tz=${encodeURIComponent(browserZone())}`;
}

/** A "Printable record" link next to the Markdown one, made once and kept pointing at `room`. */
export function printableRecordLink(markdownLink, room) {
  let link = markdownLink.parentElement && markdownLink.parentElement.querySelector('.record-printable');
  if (!link) {
    link = h('a', { class: markdownLink.className + ' record-printable', target: '_blank', rel: 'noopener', text: 'Printable record (with poll charts)' });
    markdownLink.after(' ', link);
  }
  link.href = recordHref(room, 'html');
  // The server sends it as an attachment named after the room: say so, so that every mode saves it alike.
  link.setAttribute('download', `${room}.html`);
}
