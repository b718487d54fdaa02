// The facilitated-session controller: applies session events (hands, floor, timer, poll,
// breakout, agenda, lock, role) to the room's session state, renders the session bar and the
// facilitator panel, announces changes, and runs the panel's facilitation requests through the
// protocol client (facilitation-commands.js) with errors shown as toasts.

import { byId } from './dom.js';
import { SessionBar } from './session-bar.js';
import { FacilitatorPanel } from './facilitator-panel.js';
import { ROLE_LABELS, applyEvent, durationWords, groupNumber, isLead, maySend, roleOf } from './session-state.js';
import { app, el, toast, announce } from './app-context.js';
import { forgetRoom } from './room-store.js';
import { ToolTabs } from './tool-tabs.js';
import { refreshRooms } from './room-directory.js';
import { openRoom, renderPeoplePanel } from './room-screen.js';
import { closeDrawers } from './page-chrome.js';

const SESSION_TICK_MS = 500;

export const SESSION_EVENTS = ['hands', 'floor', 'timer', 'poll', 'breakout', 'agenda', 'lock', 'role'];

function personText(user) {
  return `${user.name} (${user.org || 'no organisation'})`;
}

/** Someone the room knows, by id: present, in the queue, holding a role or placed in a group. */
function knownUser(rs, id) {
  const present = rs.presence.get(id);
  if (present) return present.user;
  const s = rs.session;
  const role = s.roles.get(id);
  if (role) return role.user;
  if (s.floor && s.floor.id === id) return s.floor;
  const queued = s.hands.find((u) => u.id === id);
  if (queued) return queued;
  for (const g of s.breakouts.groups) {
    const member = g.members.find((u) => u.id === id);
    if (member) return member;
  }
  return null;
}

/** Everyone present or holding a role, with their role, for the facilitator's list. */
function participantsOf(rs) {
  const owner = rs.info ? rs.info.created_by : '';
  const byId = new Map();
  for (const p of rs.presence.values()) {
    byId.set(p.user.id, { user: p.user, role: roleOf(rs.session, p.user.id, owner), present: true, state: p.state });
  }
  for (const { user } of rs.session.roles.values()) {
    if (!byId.has(user.id)) byId.set(user.id, { user, role: roleOf(rs.session, user.id, owner), present: false, state: 'offline' });
  }
  const order = { owner: 0, facilitator: 1, member: 2, observer: 3 };
  return [...byId.values()].sort(
    (a, b) =>
      order[a.role] - order[b.role] ||
      a.user.name.localeCompare(b.user.name, undefined, { sensitivity: 'base' }) ||
      a.user.id.localeCompare(b.user.id),
  );
}

/** In a breakout group room: which group, with whom, and the parent's state of the groups. */
function groupInfo(rs) {
  if (!rs.info || rs.info.kind !== 'breakout') return null;
  const parent = rs.info.parent || null;
  const parentRs = parent ? app.rooms.get(parent) : null;
  const group = parentRs ? parentRs.session.breakouts.groups.find((g) => g.group === rs.id) : null;
  return {
    number: groupNumber(rs.id),
    parent,
    parentTitle: parentRs && parentRs.info ? parentRs.info.title : parent,
    members: group ? group.members : [...rs.presence.values()].map((p) => p.user),
    closed: parentRs ? !parentRs.session.breakouts.open : false,
    endsAt: parentRs ? parentRs.session.breakouts.endsAt : null,
  };
}

/** Renders everything that depends on the session and the person's role (null: no room shown). */
export function renderSession(rs) {
  if (!app.sessionBar) return;
  if (!rs || !rs.info || !app.me) {
    app.sessionBar.render(null);
    app.panel.render(null);
    el.appView.classList.remove('is-leading');
    app.tools.render(false);
    el.composer.hidden = false;
    el.composerBlocked.hidden = true;
    return;
  }
  const kind = rs.info.kind || 'room';
  const lead = isLead(rs.role);
  const group = groupInfo(rs);
  const showBar = kind === 'session' || !!group;
  app.sessionBar.render(
    showBar
      ? { kind, session: rs.session, me: app.me, role: rs.role, group, nameOf: (id) => knownUser(rs, id) }
      : null,
  );
  app.panel.render({
    room: rs.id,
    kind,
    session: rs.session,
    me: app.me,
    role: rs.role,
    participants: participantsOf(rs),
  });
  el.appView.classList.toggle('is-leading', lead && kind === 'session');
  app.tools.render(lead && kind === 'session');

  // The composer only where the server takes a message from this person.
  const canSend = maySend(rs.session, rs.role);
  el.composer.hidden = !canSend;
  el.composerBlocked.hidden = canSend;
  el.composerBlocked.textContent = canSend
    ? ''
    : rs.role === 'observer'
      ? 'You are observing this room: you can read, but not write.'
      : 'The room is locked: only facilitators and the owner can write for now.';
}

function sessionTick() {
  const now = Date.now();
  const rs = app.current && app.rooms.get(app.current);
  if (!rs || !rs.session.timer) return;
  app.sessionBar.tick(now);
  app.panel.tick(now);
}

export function onSessionEvent(ev) {
  const rs = ev.room && app.rooms.get(ev.room);
  if (!rs || !app.me) return;
  const change = applyEvent(rs.session, ev, { meId: app.me.id, now: Date.now() });
  if (!change) return;
  if (change.kind === 'role' && change.mine) rs.role = change.role;
  const current = app.current === ev.room;

  if (change.kind === 'breakout' && change.closed) returnFromGroups(ev.room);
  if (current) {
    renderSession(rs);
    if (change.kind === 'role') renderPeoplePanel(rs);
    announceSessionChange(rs, ev, change);
  } else if (app.current && app.rooms.get(app.current)?.info?.parent === ev.room) {
    renderSession(app.rooms.get(app.current));
    if (change.kind === 'breakout' || change.kind === 'timer') announceSessionChange(rs, ev, change);
  }
  if (change.kind === 'breakout' && change.warning) toast('One minute left in the breakout groups.', 'info');
  else if (!current && change.kind === 'breakout' && change.assigned && app.rooms.get(app.current)?.info?.parent !== ev.room) {
    const title = rs.info ? rs.info.title || rs.id : rs.id;
    toast(`${title}: you are in breakout group ${groupNumber(change.assigned.group)}. Open the session to join it.`, 'info');
  }
}

/** When the groups close: anyone looking at one of them goes back to the main room. */
function returnFromGroups(parent) {
  const groups = [...app.rooms.values()].filter((r) => r.info && r.info.kind === 'breakout' && r.info.parent === parent);
  const wasIn = groups.some((r) => r.id === app.current) ? app.current : null;
  for (const g of groups) {
    forgetRoom(g.id);
    if (app.client) app.client.leave(g.id).catch(() => {});
  }
  if (wasIn) {
    openRoom(parent);
    // Closed groups leave the room list (room-list-live.js), so say how to get back to this one.
    toast(`The breakout groups are closed: you are back in the main room. Your group's room stays readable: join “${wasIn}” by its id.`, 'info');
  }
  if (groups.length) refreshRooms();
}

function announceSessionChange(rs, ev, change) {
  const s = rs.session;
  const me = app.me.id;
  switch (change.kind) {
    // The floor and a paused, stopped or finished timer are read out by their own live regions
    // in the session bar; a timer that starts has no status text there, so it is said here.
    case 'timer': {
      const t = s.timer;
      if (!t || t.state !== 'running') break;
      const label = t.label ? `${t.label}: ` : '';
      if (change.before === 'paused') announce(`${label}timer resumed.`);
      else announce(`${label}timer started, ${durationWords(t.remainingMs)}.`);
      break;
    }
    case 'poll':
      if (change.opened && change.poll.open) announce(`Poll opened: ${change.poll.question}`);
      else if (change.closed) announce(`Poll closed: ${change.poll.question}`);
      break;
    case 'breakout':
      if (change.assigned) {
        const others = change.assigned.members.filter((u) => u.id !== me).map(personText);
        announce(`You are in breakout group ${groupNumber(change.assigned.group)}${others.length ? ` with ${others.join(', ')}` : ''}.`);
      } else if (change.overview) {
        announce(`${s.breakouts.groups.length} breakout groups are open.`);
      } else if (change.closed) {
        announce('The breakout groups are closed.');
      } else if (change.warning) {
        announce('One minute left in the breakout groups.');
      }
      break;
    case 'agenda': {
      const item = s.agenda.items[s.agenda.current];
      if (item) announce(`Agenda: now ${item.title}.`);
      break;
    }
    case 'lock':
      announce(s.locked ? 'The room is locked: only facilitators can write.' : 'The room is open again: everyone can write.');
      break;
    case 'role':
      if (change.mine) announce(`You are now ${ROLE_LABELS[change.role] ? `${/^[aeiou]/i.test(change.role) ? 'an' : 'a'} ${change.role}` : change.role} here.`);
      break;
    default:
  }
}

/** Runs a facilitation request for the room on screen; an error is shown and rethrown. */
async function sessionRequest(what, fn, room = app.current) {
  if (!app.client || !room) throw new Error('no room');
  try {
    return await fn(app.client, room);
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not ${what}: ${err.message}`);
    throw err;
  }
}

export function setupSession() {
  app.sessionBar = new SessionBar(el, {
    hand: (up) => sessionRequest(up ? 'raise your hand' : 'lower your hand', (c, r) => c.hand(r, up)),
    joinGroup: (group) => {
      openRoom(group);
      closeDrawers();
    },
    backToMain: (parent) => openRoom(parent),
    vote: (poll, choices) => sessionRequest('vote', (c, r) => c.vote(r, poll, choices)),
    closePoll: (poll) => sessionRequest('close the poll', (c, r) => c.closePoll(r, poll)),
  });
  app.panel = new FacilitatorPanel(el, {
    setRole: (user, role) => sessionRequest('change the role', (c, r) => c.setRole(r, user, role)),
    floor: (user) => sessionRequest('give the floor', (c, r) => c.floor(r, user)),
    startTimer: (seconds, label) => sessionRequest('start the timer', (c, r) => c.startTimer(r, seconds, label)),
    timer: (action) => sessionRequest(`${action} the timer`, (c, r) => c.timer(r, action)),
    openPoll: (poll) => sessionRequest('open the poll', (c, r) => c.openPoll(r, poll)),
    closePoll: (poll) => sessionRequest('close the poll', (c, r) => c.closePoll(r, poll)),
    openBreakout: (opts) => sessionRequest('open the groups', (c, r) => c.openBreakout(r, opts)),
    broadcast: (text) => sessionRequest('send to the groups', (c, r) => c.broadcast(r, text)),
    closeBreakout: () => sessionRequest('close the groups', (c, r) => c.closeBreakout(r)),
    placeInGroup: (user, group) => sessionRequest('place them in a group', (c, r) => c.placeInGroup(r, user, group)),
    setAgenda: (items) => sessionRequest('save the agenda', (c, r) => c.setAgenda(r, items)),
    moveAgenda: (action) => sessionRequest('move through the agenda', (c, r) => c.moveAgenda(r, action)),
    lock: (locked) => sessionRequest(locked ? 'lock the room' : 'unlock the room', (c, r) => c.lock(r, locked)),
    openGroup: (group) => {
      openRoom(group);
      closeDrawers();
    },
  });
  app.tools = new ToolTabs(el.toolTabs, el.peopleTools);
  clearInterval(app.sessionTimer);
  app.sessionTimer = setInterval(sessionTick, SESSION_TICK_MS);
}
