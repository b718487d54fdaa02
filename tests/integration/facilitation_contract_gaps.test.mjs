// Three gaps between the server and facilitation.md, found by a black-box audit:
// - `breakout open` with `groups:n` creates rooms `<room>~1` … `<room>~n`, also with fewer people;
// - a request that changes nothing still gets the event the contract promises ("`vote` → ok and an
//   updated `poll` event", "`hand` → ok; everyone gets `hands`", "`next`|`prev` moves; everyone gets
//   `agenda`"), for a client that waits for it to confirm its action;
// - every USER in `joined.session` is well-formed, the owner who never joined included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import {
  assertAgenda, assertFloor, assertGroupEvent, assertHands, assertPollEvent, assertRoleEvent, assertSession,
  assertWellFormedUser, ok, userFactory,
} from '../lib/facilitation.mjs';
import { assertRoom } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'facil-gaps', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

const clients = [];
const user = userFactory(() => server, clients);
after(async () => { await Promise.all(clients.map((c) => c.close())); });

// A session room its first person creates; everyone joins it (the owner too unless ownerJoins is false).
async function sessionWith(names, { ownerJoins = true } = {}) {
  const room = uniqueId('fg');
  const people = [];
  for (const [name, org] of names) people.push(await user(name, org));
  await people[0].create(room, { kind: 'session', title: 'Contract gaps' });
  const joins = [];
  for (const p of ownerJoins ? people : people.slice(1)) joins.push(await p.join(room));
  await Promise.all(people.map((p) => p.sync()));
  return { room, people, joins };
}

describe('breakout groups:n with fewer people present', { timeout: scaled(30000) }, () => {
  test('groups:5 with 3 members: rooms ~1..~5 exist, empty ones listed, late joiners placed there, close covers all', async () => {
    const { room, people } = await sessionWith([
      ['Gina Host', 'essex-cc'], ['Ann Ames', 'nhs-mse'], ['Bob Bell', 'essex-police'], ['Cat Cole', 'uni-essex'],
    ]);
    const [host, ...members] = people;
    await ok(host, { type: 'breakout', room, action: 'open', groups: 5, strategy: 'random' });

    const groupOf = new Map();
    for (const m of members) {
      const e = assertGroupEvent(await m.next('breakout'), room);
      assert.deepEqual(e.members.map((u) => u.id), [m.user.id], `one each: ${JSON.stringify(e)}`);
      groupOf.set(m, e.group);
    }
    const overview = await host.next((f) => f.type === 'breakout' && f.state === 'open');
    const expected = [1, 2, 3, 4, 5].map((i) => `${room}~${i}`);
    assert.deepEqual(overview.groups.map((g) => g.group), expected, JSON.stringify(overview));
    const empty = overview.groups.filter((g) => g.members.length === 0).map((g) => g.group);
    assert.equal(empty.length, 2, JSON.stringify(overview));

    // Every group room exists: joinable (the empty ones too), kind breakout, with its parent.
    const listed = await host.request({ type: 'rooms' });
    for (const id of expected) {
      assertRoom(listed.rooms.find((r) => r.id === id), { id, kind: 'breakout', parent: room });
    }
    const inEmpty = await host.join(empty[1]);
    assertRoom(inEmpty.room, { id: empty[1], kind: 'breakout', parent: room });

    // SESSION lists all five, the empty ones with members [].
    const session = assertSession((await members[0].join(room)).session);
    assert.deepEqual(session.breakouts.groups.map((g) => g.group), expected);
    assert.deepEqual(session.breakouts.groups.filter((g) => g.members.length === 0).map((g) => g.group), empty);

    // A late joiner is placed into an empty group and told like everyone was.
    const dee = await user('Dee Dunn', 'essex-fire');
    await dee.join(room);
    const placed = await host.request({ type: 'breakout', room, action: 'place', user: dee.user.id, group: Number(empty[0].split('~').pop()) });
    assert.equal(placed.type, 'ok', JSON.stringify(placed));
    assert.equal(placed.group, empty[0]);
    const toDee = assertGroupEvent(await dee.next('breakout'), room);
    assert.equal(toDee.group, empty[0]);
    assert.deepEqual(toDee.members.map((u) => u.id), [dee.user.id]);
    await dee.join(empty[0]);

    // Close reaches everyone and every group room; the empty group rooms stay readable.
    await ok(host, { type: 'breakout', room, action: 'close' });
    for (const m of [...members, dee]) {
      const closed = await m.next((f) => f.type === 'breakout' && f.room === room && f.state === 'closed');
      assert.equal(closed.state, 'closed');
    }
    const intoEmpty = await host.next((f) => f.type === 'breakout' && f.room === empty[1] && f.state === 'closed');
    assert.equal(intoEmpty.parent, room);
    const reread = await members[1].join(empty[1]);
    assertRoom(reread.room, { id: empty[1], kind: 'breakout', parent: room });

    // The record has a section for each of the five.
    const { markdown } = await host.request({ type: 'export', room });
    for (const id of expected) assert.ok(markdown.includes(`\`${id}\``), `${id} missing from the record:\n${markdown}`);
  });
});

describe('requests that change nothing still get their event', { timeout: scaled(30000) }, () => {
  test('same vote, same hand, agenda at its ends, same role, same floor, same lock: ok and the event for everyone', async () => {
    const { room, people } = await sessionWith([['Nell Host', 'essex-cc'], ['Ola Ode', 'nhs-mse'], ['Pip Pym', 'essex-police']]);
    const [host, ola, pip] = people;

    // vote: the same ballot again is confirmed by an updated (unchanged) `poll` event.
    await ok(host, { type: 'poll', room, action: 'open', question: 'Which?', options: ['a', 'b'], multi: false, anonymous: false });
    const { poll } = await ola.next('poll');
    for (const p of people) if (p !== ola) await p.next('poll');
    await ok(ola, { type: 'vote', room, poll: poll.id, choices: [1] });
    for (const p of people) assertPollEvent(await p.next('poll'), room, { voters: 1, counts: [0, 1] });
    await ok(ola, { type: 'vote', room, poll: poll.id, choices: [1] });
    for (const p of people) {
      const e = assertPollEvent(await p.next('poll'), room, { voters: 1, counts: [0, 1] });
      assert.deepEqual(e.ballots, { [ola.user.id]: [1] });
    }

    // hand: up when up, down when down.
    await ok(pip, { type: 'hand', room, up: true });
    for (const p of people) assertHands(await p.next('hands'), room, [pip.user.id]);
    await ok(pip, { type: 'hand', room, up: true });
    for (const p of people) assertHands(await p.next('hands'), room, [pip.user.id]);
    await ok(ola, { type: 'hand', room, up: false });
    for (const p of people) assertHands(await p.next('hands'), room, [pip.user.id]);

    // agenda: prev at the first item, next at the last.
    const items = [{ title: 'One', minutes: 5 }, { title: 'Two', minutes: 5 }];
    await ok(host, { type: 'agenda', room, items });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 0);
    await ok(host, { type: 'agenda', room, action: 'prev' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 0);
    await ok(host, { type: 'agenda', room, action: 'next' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 1);
    await ok(host, { type: 'agenda', room, action: 'next' });
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 1);
    await ok(host, { type: 'agenda', room, items });  // the same agenda set again
    for (const p of people) assertAgenda(await p.next('agenda'), room, items, 1);

    // role: the role someone already has.
    await ok(host, { type: 'role', room, user: ola.user.id, role: 'member' });
    for (const p of people) assertRoleEvent(await p.next('role'), room, ola.user.id, 'member');

    // floor: to whoever has it already.
    await ok(host, { type: 'floor', room, user: ola.user.id });
    for (const p of people) assertFloor(await p.next('floor'), room, ola.user.id);
    await ok(host, { type: 'floor', room, user: ola.user.id });
    for (const p of people) assertFloor(await p.next('floor'), room, ola.user.id);

    // lock (extension): unlocking an unlocked room.
    await ok(host, { type: 'lock', room, locked: false });
    for (const p of people) {
      const e = await p.next('lock');
      assert.equal(e.room, room);
      assert.equal(e.locked, false);
    }

    // Nothing else came, and nothing changed.
    for (const p of people) await p.sync();
    for (const p of people) {
      assert.deepEqual(p.pending((f) => !('re' in f) && f.type !== 'presence'), [], `${p.label} got more`);
    }
    const s = assertSession((await pip.join(room)).session);
    assert.deepEqual(s.hands.map((u) => u.id), [pip.user.id]);
    assert.equal(s.agenda.current, 1);
    assert.equal(s.floor.id, ola.user.id);
    assert.equal(s.poll.voters, 1);
  });
});

describe('USERs in joined.session', { timeout: scaled(30000) }, () => {
  test('the owner who never joined has a well-formed USER with their organisation', async () => {
    const { room, people: [owner], joins: [first] } = await sessionWith(
      [['Quinn Owner', 'essex-cc'], ['Rita Reed', 'nhs-mse']], { ownerJoins: false });
    const s = assertSession(first.session);
    const entry = s.roles.find((r) => r.role === 'owner');
    assert.ok(entry, JSON.stringify(s.roles));
    assertWellFormedUser(entry.user, { id: owner.user.id, org: owner.user.org });
    void room;
  });

  test('the owner who never joined is named as they created the room', async () => {
    const { people: [owner], joins: [first] } = await sessionWith(
      [['Sam Owner', 'essex-cc'], ['Tia Todd', 'nhs-mse']], { ownerJoins: false });
    const entry = assertSession(first.session).roles.find((r) => r.role === 'owner');
    assert.deepEqual(entry.user, owner.user);
  });

  test('a breakout group names its owner and the session\'s leaders before they join it', async () => {
    const { room, people } = await sessionWith([['Uma Host', 'essex-cc'], ['Val Vance', 'nhs-mse'], ['Wyn West', 'essex-police']]);
    const [host, val, wyn] = people;
    await ok(host, { type: 'role', room, user: wyn.user.id, role: 'facilitator' });
    await ok(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'random' });
    const e = assertGroupEvent(await val.next('breakout'), room);
    const joined = await val.join(e.group);
    const s = assertSession(joined.session);
    const byId = new Map(s.roles.map((r) => [r.user.id, r]));
    assert.deepEqual(byId.get(host.user.id)?.user, host.user, JSON.stringify(s.roles));  // the group's owner
    assert.equal(byId.get(host.user.id)?.role, 'owner');
    assert.deepEqual(byId.get(wyn.user.id)?.user, wyn.user, JSON.stringify(s.roles));  // a session facilitator
    assert.equal(byId.get(wyn.user.id)?.role, 'facilitator');
  });
});
