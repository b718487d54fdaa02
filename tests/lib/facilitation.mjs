// Shape assertions for the events of facilitation.md, and small helpers shared by the
// tests/integration/facilitation_*.test.mjs suites. Each assertion checks every field the contract
// names (with its type) and the values the test expects; extra fields are allowed (protocol.md lets
// the project add fields), except where the contract says a field is present only sometimes.
import assert from 'node:assert/strict';
import { connectAs } from './client.mjs';
import { assertUser } from './protocol.mjs';

export const isMs = (v) => Number.isInteger(v) && v > 1_600_000_000_000 && v < 4_000_000_000_000;
const show = (f) => JSON.stringify(f).slice(0, 600);

// Every pushed event carries `type` and `room`, and no `re`.
function assertEvent(f, type, room) {
  assert.equal(f.type, type, `expected a ${type} event, got ${show(f)}`);
  assert.equal(f.room, room, `${type}.room in ${show(f)}`);
  assert.ok(!('re' in f), `a pushed ${type} event carries re: ${show(f)}`);
}

const ids = (users) => users.map((u) => u.id);

// {"type":"role","room","user":USER,"role"}
export function assertRoleEvent(f, room, userId, role) {
  assertEvent(f, 'role', room);
  assertUser(f.user, { id: userId });
  assert.equal(f.role, role, `role.role in ${show(f)}`);
}

// {"type":"hands","room","queue":[USER…]}
export function assertHands(f, room, queueIds) {
  assertEvent(f, 'hands', room);
  assert.ok(Array.isArray(f.queue), `hands.queue in ${show(f)}`);
  f.queue.forEach((u) => assertUser(u));
  assert.deepEqual(ids(f.queue), queueIds, `hands.queue order in ${show(f)}`);
}

// {"type":"floor","room","user":USER|null}
export function assertFloor(f, room, userId) {
  assertEvent(f, 'floor', room);
  assert.ok('user' in f, `floor without user: ${show(f)}`);
  if (userId === null) assert.equal(f.user, null, `floor.user in ${show(f)}`);
  else assertUser(f.user, { id: userId });
}

// {"type":"timer","room","state","label","ends_at":<ms, when running>,"remaining_ms"}
export function assertTimer(f, room, state, label) {
  assertEvent(f, 'timer', room);
  assert.equal(f.state, state, `timer.state in ${show(f)}`);
  assert.equal(f.label, label, `timer.label in ${show(f)}`);
  assert.ok(Number.isInteger(f.remaining_ms) && f.remaining_ms >= 0, `timer.remaining_ms in ${show(f)}`);
  if (state === 'running') assert.ok(isMs(f.ends_at), `running timer without ends_at ms: ${show(f)}`);
  else assert.ok(!('ends_at' in f), `a ${state} timer carries ends_at: ${show(f)}`);
  if (state === 'done') assert.equal(f.remaining_ms, 0, `done timer remaining_ms: ${show(f)}`);
  return f;
}

// POLL {"id","question","options","multi","anonymous","open","counts":[…],"voters":<n>} (+ ballots
// when not anonymous). `expected` may give any of those fields.
export function assertPollObject(poll, expected = {}) {
  assert.equal(typeof poll, 'object', `poll: ${show(poll)}`);
  assert.ok(poll !== null, 'poll is null');
  assert.ok(typeof poll.id === 'string' || Number.isInteger(poll.id), `poll.id in ${show(poll)}`);
  assert.equal(typeof poll.question, 'string', `poll.question in ${show(poll)}`);
  assert.ok(Array.isArray(poll.options) && poll.options.every((o) => typeof o === 'string'), `poll.options in ${show(poll)}`);
  assert.equal(typeof poll.multi, 'boolean', `poll.multi in ${show(poll)}`);
  assert.equal(typeof poll.anonymous, 'boolean', `poll.anonymous in ${show(poll)}`);
  assert.equal(typeof poll.open, 'boolean', `poll.open in ${show(poll)}`);
  assert.ok(Array.isArray(poll.counts) && poll.counts.length === poll.options.length
    && poll.counts.every((c) => Number.isInteger(c) && c >= 0), `poll.counts in ${show(poll)}`);
  assert.ok(Number.isInteger(poll.voters) && poll.voters >= 0, `poll.voters in ${show(poll)}`);
  if (poll.anonymous) {
    assert.ok(!('ballots' in poll), `an anonymous poll shows ballots: ${show(poll)}`);
  } else {
    assert.equal(typeof poll.ballots, 'object', `a named poll without ballots: ${show(poll)}`);
    assert.ok(poll.ballots !== null && !Array.isArray(poll.ballots), `poll.ballots in ${show(poll)}`);
    assert.equal(Object.keys(poll.ballots).length, poll.voters, `one ballot per voter: ${show(poll)}`);
  }
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(poll[k], v, `poll.${k} in ${show(poll)}`);
  return poll;
}

// {"type":"poll","room","poll":POLL}
export function assertPollEvent(f, room, expected = {}) {
  assertEvent(f, 'poll', room);
  return assertPollObject(f.poll, expected);
}

// {"type":"breakout","room","state":"open","group":<room id>,"members":[USER…],"ends_at"?}
export function assertGroupEvent(f, room) {
  assertEvent(f, 'breakout', room);
  assert.equal(f.state, 'open', `breakout.state in ${show(f)}`);
  assert.equal(typeof f.group, 'string', `breakout.group in ${show(f)}`);
  assert.match(f.group, new RegExp(`^${room.replace(/[.~-]/g, '\\$&')}~[1-9][0-9]*$`), `group room id in ${show(f)}`);
  assert.ok(Array.isArray(f.members) && f.members.length > 0, `breakout.members in ${show(f)}`);
  f.members.forEach((u) => assertUser(u));
  if ('ends_at' in f) assert.ok(isMs(f.ends_at), `breakout.ends_at in ${show(f)}`);
  return f;
}

// {"type":"agenda","room","items":[{"title","minutes"}…],"current":<index>}
export function assertAgenda(f, room, items, current) {
  assertEvent(f, 'agenda', room);
  assert.deepEqual(f.items, items, `agenda.items in ${show(f)}`);
  assert.equal(f.current, current, `agenda.current in ${show(f)}`);
}

// {"type":"ok","re"}
export function assertOk(reply, what = '') {
  assert.equal(reply.type, 'ok', `${what}: expected ok, got ${show(reply)}`);
  assert.ok('re' in reply, `ok without re: ${show(reply)}`);
  return reply;
}

// Sends a facilitation request and asserts the reply is ok.
export async function ok(client, frame) {
  return assertOk(await client.request(frame), `${client.label} ${JSON.stringify(frame).slice(0, 200)}`);
}

// protocol.md's USER, strictly: name 1 to 80 characters, org an org id (never empty).
export function assertWellFormedUser(u, expected = {}) {
  assertUser(u, expected);
  assert.ok([...u.name].length >= 1 && [...u.name].length <= 80, `USER.name in ${show(u)}`);
  assert.match(u.org, /^[a-z0-9][a-z0-9._~-]{0,63}$/, `USER.org in ${show(u)}`);
}

// The `session` object of a `joined` reply: hands, floor, timer, open poll, agenda, breakouts, locked.
// Every USER it names is well-formed (the extension's `roles` and breakout groups included).
export function assertSession(session) {
  assert.equal(typeof session, 'object', `session: ${show(session)}`);
  assert.ok(session !== null, 'session is null');
  for (const key of ['hands', 'floor', 'timer', 'poll', 'agenda', 'breakouts', 'locked']) {
    assert.ok(key in session, `session without ${key}: ${show(session)}`);
  }
  assert.ok(Array.isArray(session.hands), `session.hands: ${show(session)}`);
  session.hands.forEach((u) => assertWellFormedUser(u));
  if (session.floor !== null) assertWellFormedUser(session.floor);
  for (const entry of session.roles ?? []) assertWellFormedUser(entry.user);
  for (const group of session.breakouts?.groups ?? []) {
    assert.ok(Array.isArray(group.members), `session.breakouts group members: ${show(session)}`);
    group.members.forEach((u) => assertWellFormedUser(u));
  }
  for (const u of session.breakouts?.late ?? []) assertWellFormedUser(u);
  if (session.poll !== null) assertPollObject(session.poll);
  assert.equal(typeof session.locked, 'boolean', `session.locked: ${show(session)}`);
  return session;
}

// A signed-in client registered for closing at the end of the test file.
export function userFactory(getServer, clients) {
  return async (name, org) => {
    const c = await connectAs(getServer().wsUrl, name, org);
    clients.push(c);
    return c;
  };
}

