// A room's facilitation state as the client keeps it (facilitation.md): built from the `session`
// of a `joined` reply and kept up to date by the server's events. Pure: no DOM, no network.

import { breakoutEventBefore, breakoutEventAfter, lateFromSnapshot } from './breakout-state.js';

/** Roles that may run a session. */
export const LEAD_ROLES = Object.freeze(['owner', 'facilitator']);
/** Roles a lead may give (the owner role can be neither given nor taken). */
export const GIVABLE_ROLES = Object.freeze(['facilitator', 'member', 'observer']);
export const ROLE_LABELS = Object.freeze({
  owner: 'Owner',
  facilitator: 'Facilitator',
  member: 'Member',
  observer: 'Observer',
});

/** @param {string} role */
export function isLead(role) {
  return LEAD_ROLES.includes(role);
}

/**
 * @typedef {{id: string, name: string, org: string}} User
 * @typedef {{state: 'running'|'paused'|'stopped'|'done', label: string, endsAt: number|null,
 *   remainingMs: number, durationMs: number}} TimerView  endsAt is in this browser's clock
 * @typedef {{id: string, question: string, options: string[], multi: boolean, anonymous: boolean,
 *   open: boolean, counts: number[], voters: number, ballots?: Object<string, number[]>}} Poll
 * @typedef {{group: string, members: User[]}} Group
 * @typedef {object} Session
 * @property {User[]} hands in the order hands went up
 * @property {User|null} floor
 * @property {TimerView|null} timer
 * @property {Poll[]} polls every poll, in order
 * @property {{items: Array<{title: string, minutes: number}>, current: number}} agenda
 * @property {{open: boolean, groups: Group[], endsAt: number|null, mine: Group|null}} breakouts
 *   `groups`: every group when known (leads, or from `joined`); `mine`: the person's own group
 * @property {boolean} locked
 * @property {Map<string, {user: User, role: string}>} roles owner and everyone not a plain member
 */

/** @returns {Session} */
export function emptySession() {
  return {
    hands: [],
    floor: null,
    timer: null,
    polls: [],
    agenda: { items: [], current: -1 },
    breakouts: { open: false, groups: [], endsAt: null, mine: null },
    locked: false,
    roles: new Map(),
  };
}

/**
 * A timer as the client shows it. The server's `remaining_ms` is counted from when the frame
 * arrived, so the countdown holds even if this computer's clock is off.
 */
export function timerView(frame, receivedAt) {
  if (!frame || !frame.state) return null;
  const remainingMs = Math.max(0, Number(frame.remaining_ms) || 0);
  return {
    state: frame.state,
    label: typeof frame.label === 'string' ? frame.label : '',
    endsAt: frame.state === 'running' ? receivedAt + remainingMs : null,
    remainingMs: frame.state === 'done' ? 0 : remainingMs,
    durationMs: Number(frame.duration_ms) || 0,
  };
}

/** Milliseconds left on a timer at `now`. */
export function timerRemaining(timer, now) {
  if (!timer) return 0;
  if (timer.state === 'running') return Math.max(0, timer.endsAt - now);
  if (timer.state === 'done') return 0;
  return timer.remainingMs;
}

function findMine(groups, meId) {
  return groups.find((g) => g.members.some((u) => u.id === meId)) || null;
}

/**
 * The session of a `joined` reply.
 * @param {object|undefined} frame the `session` object
 * @param {string} meId
 * @param {number} receivedAt Date.now() when it arrived
 * @returns {Session}
 */
export function sessionFromJoined(frame, meId, receivedAt) {
  const s = emptySession();
  if (!frame || typeof frame !== 'object') return s;
  s.hands = Array.isArray(frame.hands) ? frame.hands : [];
  s.floor = frame.floor || null;
  s.timer = timerView(frame.timer, receivedAt);
  s.polls = Array.isArray(frame.polls) ? [...frame.polls] : [];
  if (frame.poll && !s.polls.some((p) => p.id === frame.poll.id)) s.polls.push(frame.poll);
  if (frame.agenda) {
    s.agenda = {
      items: Array.isArray(frame.agenda.items) ? frame.agenda.items : [],
      current: typeof frame.agenda.current === 'number' ? frame.agenda.current : -1,
    };
  }
  if (frame.breakouts) {
    const groups = Array.isArray(frame.breakouts.groups) ? frame.breakouts.groups : [];
    const open = !!frame.breakouts.open;
    s.breakouts = {
      open,
      groups,
      endsAt: open && frame.breakouts.ends_at ? frame.breakouts.ends_at : null,
      mine: open ? findMine(groups, meId) : null,
      late: lateFromSnapshot(frame.breakouts),
    };
  }
  s.locked = !!frame.locked;
  for (const entry of Array.isArray(frame.roles) ? frame.roles : []) {
    if (entry && entry.user && entry.user.id) s.roles.set(entry.user.id, { user: entry.user, role: entry.role });
  }
  return s;
}

/**
 * Applies one server event to a session, in place. Returns what changed, for announcements:
 * `{kind, ...}` or null when the event does not concern the session.
 * @param {Session} s
 * @param {object} ev
 * @param {{meId: string, now: number}} ctx
 */
export function applyEvent(s, ev, { meId, now }) {
  switch (ev.type) {
    case 'hands':
      s.hands = Array.isArray(ev.queue) ? ev.queue : [];
      return { kind: 'hands' };
    case 'floor': {
      const before = s.floor ? s.floor.id : null;
      s.floor = ev.user || null;
      return { kind: 'floor', changed: before !== (s.floor ? s.floor.id : null) };
    }
    case 'timer': {
      const before = s.timer ? s.timer.state : null;
      s.timer = timerView(ev, now);
      return { kind: 'timer', before };
    }
    case 'poll': {
      if (!ev.poll || !ev.poll.id) return null;
      const i = s.polls.findIndex((p) => p.id === ev.poll.id);
      const opened = i < 0;
      if (opened) s.polls.push(ev.poll);
      else s.polls[i] = ev.poll;
      return { kind: 'poll', opened, closed: !ev.poll.open, poll: ev.poll };
    }
    case 'breakout': {
      // Warnings, late joiners and group-room copies: breakout-clock.js.
      const early = breakoutEventBefore(s, ev);
      if (early !== undefined) return early;
      const change = applyBreakout(s, ev, meId);
      breakoutEventAfter(s, ev);
      return change;
    }
    case 'agenda':
      s.agenda = {
        items: Array.isArray(ev.items) ? ev.items : [],
        current: typeof ev.current === 'number' ? ev.current : -1,
      };
      return { kind: 'agenda' };
    case 'lock':
      s.locked = !!ev.locked;
      return { kind: 'lock' };
    case 'role': {
      const user = typeof ev.user === 'string' ? { id: ev.user, name: ev.user, org: '' } : ev.user;
      if (!user || !user.id) return null;
      s.roles.set(user.id, { user, role: ev.role });
      return { kind: 'role', user, role: ev.role, mine: user.id === meId };
    }
    default:
      return null;
  }
}

/** The open poll, or else the latest closed one (its result stays on screen), or null. */
export function currentPoll(s) {
  const open = s.polls.find((p) => p.open);
  if (open) return open;
  return s.polls.length ? s.polls[s.polls.length - 1] : null;
}

/** The open poll or null. */
export function openPoll(s) {
  return s.polls.find((p) => p.open) || null;
}

/** 1-based place of a user in the hand queue, or 0. */
export function queuePlace(s, userId) {
  return s.hands.findIndex((u) => u.id === userId) + 1;
}

/** A role by user id: the roles the session knows, `member` otherwise. */
export function roleOf(s, userId, ownerId) {
  if (ownerId && userId === ownerId) return 'owner';
  const entry = s.roles.get(userId);
  return entry ? entry.role : 'member';
}

/** May someone with this role post in the room now? (observers never; locked: leads only) */
export function maySend(s, role) {
  if (role === 'observer') return false;
  return !s.locked || isLead(role);
}

/** "1st", "2nd", "3rd", "4th", "11th", "22nd". */
export function ordinal(n) {
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th'}`;
}

/** "4:05", "12:00", "1:02:03" for a duration in ms (rounded up to the second). */
export function formatClock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "5 minutes", "1 minute 30 seconds", "45 seconds": a duration in words, for screen readers. */
export function durationWords(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  const parts = [];
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (sec || !m) parts.push(`${sec} second${sec === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** Group number of a group room id `<room>~<n>` ("2"), or the id itself. */
export function groupNumber(groupRoom) {
  const match = /~(\d+)$/.exec(groupRoom);
  return match ? match[1] : groupRoom;
}

/**
 * Each option's count and share of the voters (a multi-choice poll may add up to more than
 * 100 %). `width` (0 to 1) is the bar's length: the share, so bars compare across polls too.
 */
export function pollShares(poll) {
  const counts = Array.isArray(poll.counts) ? poll.counts : [];
  const voters = poll.voters || 0;
  return poll.options.map((option, i) => {
    const count = counts[i] || 0;
    const share = voters ? Math.min(1, count / voters) : 0;
    return { option, count, percent: Math.round(share * 100), width: share };
  });
}

/** The breakout events of facilitation.md: the close, the overview, one's own group. */
function applyBreakout(s, ev, meId) {
  if (ev.state === 'closed') {
    const wasMine = s.breakouts.mine;
    s.breakouts = { ...s.breakouts, open: false, endsAt: null, mine: null };
    return { kind: 'breakout', closed: true, wasMine };
  }
  if (Array.isArray(ev.groups)) {
    // The overview: every group (the lead who opened them, and anyone not placed).
    s.breakouts = { open: true, groups: ev.groups, endsAt: ev.ends_at || null, mine: findMine(ev.groups, meId) };
    return { kind: 'breakout', overview: true };
  }
  if (ev.group) {
    const mine = { group: ev.group, members: Array.isArray(ev.members) ? ev.members : [] };
    // Groups of an earlier round are dropped the first time a group of a new round arrives.
    const groups = s.breakouts.open ? s.breakouts.groups.filter((g) => g.group !== mine.group) : [];
    groups.push(mine);
    groups.sort((a, b) => a.group.localeCompare(b.group, undefined, { numeric: true }));
    s.breakouts = { open: true, groups, endsAt: ev.ends_at || null, mine };
    return { kind: 'breakout', assigned: mine };
  }
  return null;
}

