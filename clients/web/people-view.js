// The people panel (who is here, by organisation; who has not been heard yet) and the typing line.

import { h, clear } from './dom.js';
import { orgLabel } from './identity.js';
import { orgBadge } from './messages-view.js';

/**
 * @typedef {{user: {id: string, name: string, org: string}, state: 'online'|'away'}} Present
 */

const ROLE_TAGS = { owner: 'Owner', facilitator: 'Facilitator', observer: 'Observer' };

function personItem(p, meId, { showOrg, roleOf }) {
  const you = p.user.id === meId;
  const role = roleOf ? roleOf(p.user.id) : 'member';
  return h(
    'li',
    { class: `person person--${p.state}`, dataset: { user: p.user.id, org: p.user.org, state: p.state } },
    h('span', { class: `status-dot status-dot--${p.state}`, 'aria-hidden': 'true' }),
    h('span', { class: 'person-name', dir: 'auto', text: p.user.name }),
    you ? h('span', { class: 'you', text: '(you)' }) : null,
    ROLE_TAGS[role] ? h('span', { class: `role-tag role-tag--${role}`, text: ROLE_TAGS[role] }) : null,
    showOrg ? orgBadge(p.user.org, 'org-badge--small') : null,
    h('span', { class: p.state === 'away' ? 'person-state' : 'sr-only', text: p.state === 'away' ? 'away' : 'online' }),
  );
}

function byName(a, b) {
  return a.user.name.localeCompare(b.user.name, undefined, { sensitivity: 'base' }) || a.user.id.localeCompare(b.user.id);
}

/**
 * Renders the people panel.
 * @param {object} els {groups, count, notSpoken, notSpokenCount, notSpokenNote}
 * @param {Present[]} present
 * @param {Set<string>} spoken ids of users with a message among those loaded
 * @param {string} meId
 * @param {{allLoaded: boolean, roleOf?: (id: string) => string}} info whether the whole history of the
 *   room is loaded; the role of a user (a tag shows for all but members)
 */
export function renderPeople(els, present, spoken, meId, { allLoaded, roleOf }) {
  const people = [...present].sort(byName);
  els.count.textContent = String(people.length);

  const byOrg = new Map();
  for (const p of people) {
    if (!byOrg.has(p.user.org)) byOrg.set(p.user.org, []);
    byOrg.get(p.user.org).push(p);
  }
  clear(els.groups);
  for (const org of [...byOrg.keys()].sort()) {
    const members = byOrg.get(org);
    els.groups.append(
      h(
        'section',
        { class: 'org-group', dataset: { org } },
        h(
          'h3',
          { class: 'org-group-head' },
          orgBadge(org, 'org-badge--small'),
          org !== orgLabel(org) ? h('span', { class: 'org-group-name', text: orgLabel(org), title: orgLabel(org) }) : null,
          h('span', { class: 'count', text: String(members.length), 'aria-label': `${members.length} here` }),
        ),
        h('ul', { class: 'people-list' }, members.map((p) => personItem(p, meId, { showOrg: false, roleOf }))),
      ),
    );
  }
  if (!people.length) els.groups.append(h('p', { class: 'muted small', text: 'Nobody is here right now.' }));

  const quiet = people.filter((p) => !spoken.has(p.user.id));
  els.notSpokenCount.textContent = String(quiet.length);
  if (els.notSpokenCard) els.notSpokenCard.classList.toggle('is-done', people.length > 0 && quiet.length === 0);
  clear(els.notSpoken);
  for (const p of quiet) els.notSpoken.append(personItem(p, meId, { showOrg: true, roleOf }));
  els.notSpokenNote.textContent = !people.length
    ? ''
    : quiet.length === 0
      ? 'Everyone here has spoken.'
      : allLoaded
        ? 'Present, with no message in this room yet. Invite them in.'
        : 'Present, with no message among those loaded. Invite them in.';
}

/**
 * The typing line: "Sam (nhs-mse) is typing…", two names, or a count.
 * @param {Array<{user: {name: string, org: string}, topic: string}>} typists
 */
export function typingText(typists) {
  const names = typists.map((t) => `${t.user.name} (${t.user.org})`);
  if (names.length === 0) return '';
  if (names.length === 1) {
    const topic = typists[0].topic && typists[0].topic !== 'general' ? ` in #${typists[0].topic}` : '';
    return `${names[0]} is typing${topic}…`;
  }
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
}
