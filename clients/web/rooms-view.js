// The room list: title, kind, people online, unread count; the open room marked current.

import { h, clear } from './dom.js';
import { nestRooms } from './room-list-live.js';

const KIND_LABELS = { room: 'Room', session: 'Session', breakout: 'Breakout' };

/** @param {string} kind */
export function kindLabel(kind) {
  return KIND_LABELS[kind] || kind || 'Room';
}

/**
 * What a room is called in the list. A group nested under its session drops the session's title it
 * repeats ("Town centre safety — group 1" → "Group 1"): in the narrow list the long names were cut to
 * the same "Town centre …" and the groups could not be told apart.
 */
function listedName(room) {
  const title = room.title || room.id;
  const parent = room.nested && room.parentTitle;
  if (!parent || !title.startsWith(parent)) return title;
  const rest = title.slice(parent.length).replace(/^[\s—–:·-]+/, '');
  return rest ? rest[0].toUpperCase() + rest.slice(1) : title;
}

/**
 * @param {HTMLUListElement} list
 * @param {Array<{id: string, title: string, kind: string, online?: number}>} rooms
 * @param {{current: string|null, unread: (id: string) => number, joined: (id: string) => boolean,
 *   onOpen: (id: string) => void}} opts
 */
export function renderRoomList(list, rooms, { current, unread, joined, onOpen, mentions = () => 0 }) {
  // Breakout groups nest under their session; the id and organisation tell same-titled rooms apart.
  const sorted = nestRooms(rooms);
  clear(list);
  for (const room of sorted) {
    const count = unread(room.id);
    const online = typeof room.online === 'number' ? room.online : null;
    const isCurrent = room.id === current;
    list.append(
      h(
        'li',
        { class: `room-item${room.nested ? ' room-item--nested' : ''}`, dataset: { room: room.id } },
        h(
          'button',
          {
            type: 'button',
            class: `room-button${isCurrent ? ' is-current' : ''}${joined(room.id) ? ' is-joined' : ''}`,
            'aria-current': isCurrent ? 'true' : null,
            on: { click: () => onOpen(room.id) },
          },
          h('span', { class: `room-kind-icon kind-${room.kind || 'room'}`, 'aria-hidden': 'true' }),
          h(
            'span',
            { class: 'room-text' },
            h('span', { class: 'room-name', dir: 'auto', text: listedName(room), title: room.title || room.id }),
            // The id is in the button's name too: rooms with the same title sound different.
            h('span', { class: 'room-sub', text: [kindLabel(room.kind), room.id, room.org].filter(Boolean).join(' · ') }),
          ),
          // What the badges show, said in words (the badges themselves are hidden from screen readers).
          online !== null || count || mentions(room.id)
            ? h('span', {
                class: 'sr-only',
                text: [
                  online !== null ? `, ${online} online` : '',
                  count ? `, ${count} unread` : '',
                  mentions(room.id) ? `, ${mentions(room.id)} mentioning you` : '',
                ].join(''),
              })
            : null,
          mentions(room.id) ? h('span', { class: 'mention-badge', 'aria-hidden': 'true', text: `@${mentions(room.id)}` }) : null,
          count ? h('span', { class: 'unread', 'aria-hidden': 'true', text: count > 99 ? '99+' : String(count) }) : null,
          online !== null
            ? h(
                'span',
                { class: `online-count${online ? '' : ' is-zero'}`, 'aria-hidden': 'true', title: `${online} online` },
                h('span', { class: 'status-dot status-dot--online' }),
                String(online),
              )
            : null,
        ),
      ),
    );
  }
}

/** The default information-governance label of a room (access.md). */
export const DEFAULT_LABEL = 'OFFICIAL';

/** A room's information-governance label, as a badge. @param {object|null} room ROOM */
export function labelBadge(room) {
  const label = (room && room.label) || DEFAULT_LABEL;
  return h('span', {
    class: 'label-badge',
    dataset: { label, sensitive: /SENSITIVE|SECRET/.test(label) ? 'yes' : 'no' },
    title: 'Information-governance label',
    text: label,
  });
}

/** Private or open, as a badge. @param {object|null} room ROOM */
export function visibilityBadge(room) {
  const isPrivate = !!room && room.visibility === 'private';
  return h('span', {
    class: `visibility-badge${isPrivate ? ' is-private' : ''}`,
    text: isPrivate ? 'Private' : 'Open',
    title: isPrivate ? 'Only members see this room' : 'Everyone in the partnership can see and join this room',
  });
}
