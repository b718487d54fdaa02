// facilitation.md "Breakout groups": open by number of groups or by size, the mix/random/manual
// strategies (the mix rule checked on 7 people from 3 organisations), each member's own group event,
// the group rooms (kind breakout, parent), broadcast into every group room, and close.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { assertGroupEvent, isMs, ok, userFactory } from '../lib/facilitation.mjs';
import { assertMessage, assertRoom, expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
after(async () => { await server?.stop(); });

const clients = [];
const user = userFactory(() => server, clients);
after(async () => { await Promise.all(clients.map((c) => c.close())); });

// 7 people from 3 organisations (3 + 2 + 2), and a facilitator who owns the room.
const POPULATION = [
  ['Ada Council', 'essex-cc'], ['Bea Council', 'essex-cc'], ['Cy Council', 'essex-cc'],
  ['Dee Health', 'nhs-mse'], ['Eli Health', 'nhs-mse'],
  ['Flo Police', 'essex-police'], ['Gus Police', 'essex-police'],
];

let room;
let host;
let members;
before(async () => {
  server = await startServer({ nodeId: 'facil-breakout', args: UNTHROTTLED });
  room = uniqueId('fb');
  host = await user('Hana Host', 'charity-x');
  await host.create(room, { kind: 'session', title: 'Cross-boundary groups' });
  await host.join(room);
  members = [];
  for (const [name, org] of POPULATION) {
    const c = await user(name, org);
    await c.join(room);
    members.push(c);
  }
  await Promise.all([host, ...members].map((c) => c.sync()));
});

// Sends a breakout open and collects what each member and the host got. Checks the contract's
// per-member event and returns the groups as {room, members: [USER]} in group order.
async function openGroups(frame) {
  await ok(host, { type: 'breakout', room, action: 'open', ...frame });
  const byGroup = new Map();
  const seen = new Set();
  for (const m of members) {
    const e = assertGroupEvent(await m.next('breakout'), room);
    assert.ok(!('groups' in e), `a member got more than its own group: ${JSON.stringify(e)}`);
    assert.ok(e.members.some((u) => u.id === m.user.id), `${m.label} is not in its own group ${JSON.stringify(e)}`);
    assert.deepEqual(e.members.find((u) => u.id === m.user.id), m.user, 'members are USER objects');
    const known = byGroup.get(e.group);
    if (known) assert.deepEqual(e.members, known.members, `members of one group told different lists`);
    else byGroup.set(e.group, { room: e.group, members: e.members, ends_at: e.ends_at });
    seen.add(m.user.id);
  }
  // Only members are distributed: the owner is not placed in any group.
  const groups = [...byGroup.values()].sort((a, b) => Number(a.room.split('~').pop()) - Number(b.room.split('~').pop()));
  const placed = groups.flatMap((g) => g.members.map((u) => u.id));
  assert.equal(placed.length, new Set(placed).size, `someone placed twice: ${JSON.stringify(groups)}`);
  assert.deepEqual(new Set(placed), seen, 'exactly the members present are placed');
  assert.ok(!placed.includes(host.user.id), 'the facilitator is not distributed');
  // Group rooms are numbered 1..n.
  groups.forEach((g, i) => assert.equal(g.room, `${room}~${i + 1}`));
  // The host hears of the groups too (extension: one overview event with every group).
  const overview = await host.next('breakout');
  assert.equal(overview.state, 'open', JSON.stringify(overview));
  if (Array.isArray(overview.groups)) {
    assert.deepEqual(overview.groups.map((g) => ({ group: g.group, members: g.members })),
      groups.map((g) => ({ group: g.room, members: g.members })));
  }
  return groups;
}

async function closeGroups() {
  const id = uniqueId('close');
  const reply = await host.request({ type: 'breakout', id, room, action: 'close' });
  assert.deepEqual(reply, { type: 'ok', re: id });
  for (const c of [host, ...members]) {
    assert.deepEqual(await c.next('breakout'), { type: 'breakout', room, state: 'closed' });
  }
}

const sizesOf = (groups) => groups.map((g) => g.members.length);
function assertBalanced(groups) {
  const sizes = sizesOf(groups);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `group sizes differ by more than one: ${sizes}`);
}

// The mix rule: sizes differ by at most one, and no group holds two people of one organisation while
// another group holds none of it (one of the two could then swap with someone there, sizes unchanged).
function assertMixed(groups) {
  assertBalanced(groups);
  const orgs = new Set(groups.flatMap((g) => g.members.map((u) => u.org)));
  for (const org of orgs) {
    const counts = groups.map((g) => g.members.filter((u) => u.org === org).length);
    if (Math.max(...counts) >= 2) {
      assert.ok(Math.min(...counts) >= 1,
        `a group has ${Math.max(...counts)} of ${org} while another has none: ${JSON.stringify(groups.map((g) => g.members.map((u) => u.org)))}`);
    }
  }
}

describe('breakout groups', { timeout: scaled(60000), concurrency: false }, () => {
  test('mix into 2 groups: sizes 4 and 3, organisations spread (several rounds)', async () => {
    for (let round = 0; round < 4; round++) {
      const groups = await openGroups({ groups: 2, strategy: 'mix' });
      assert.equal(groups.length, 2);
      assert.deepEqual(sizesOf(groups).sort(), [3, 4]);
      assertMixed(groups);
      // Two orgs of two: never together, as the other group can always take one.
      for (const org of ['nhs-mse', 'essex-police']) {
        for (const g of groups) assert.equal(g.members.filter((u) => u.org === org).length, 1, `${org} in ${JSON.stringify(g)}`);
      }
      await closeGroups();
    }
  });

  test('mix into 3 groups and by size 3: nobody shares a group with a colleague', async () => {
    for (const frame of [{ groups: 3, strategy: 'mix' }, { size: 3, strategy: 'mix' }]) {
      const groups = await openGroups(frame);
      assert.equal(groups.length, 3, JSON.stringify(frame));  // ceil(7 / 3)
      assert.deepEqual(sizesOf(groups).sort(), [2, 2, 3]);
      assertMixed(groups);
      for (const g of groups) assert.equal(new Set(g.members.map((u) => u.org)).size, g.members.length, JSON.stringify(g));
      await closeGroups();
    }
  });

  test('random: everyone once, sizes balanced; minutes gives ends_at; size 2 gives 4 groups', async () => {
    const t0 = Date.now();
    const groups = await openGroups({ groups: 2, strategy: 'random', minutes: 10 });
    assert.deepEqual(sizesOf(groups).sort(), [3, 4]);
    for (const g of groups) {
      assert.ok(isMs(g.ends_at), `ends_at with minutes: ${JSON.stringify(g)}`);
      assert.ok(Math.abs(g.ends_at - (t0 + 600_000)) < 5000, `ends_at ${g.ends_at} vs ${t0 + 600_000}`);
    }
    await expectError(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'random' }, 'conflict');
    await closeGroups();
    const bySize = await openGroups({ size: 2, strategy: 'random' });
    assert.equal(bySize.length, 4);
    assert.deepEqual(sizesOf(bySize).sort(), [1, 2, 2, 2]);
    for (const g of bySize) assert.equal(g.ends_at, undefined, 'no ends_at without minutes');
    await closeGroups();
  });

  test('manual: assigned people where they were put, the others fill up', async () => {
    const [ada, bea, , dee] = members;
    const assign = { [ada.user.id]: 2, [bea.user.id]: 2, [dee.user.id]: 1 };
    const groups = await openGroups({ groups: 2, strategy: 'manual', assign });
    assert.equal(groups.length, 2);
    const groupOf = (c) => groups.findIndex((g) => g.members.some((u) => u.id === c.user.id)) + 1;
    assert.equal(groupOf(ada), 2);
    assert.equal(groupOf(bea), 2);
    assert.equal(groupOf(dee), 1);
    assert.equal(sizesOf(groups).reduce((a, b) => a + b), 7);
    await closeGroups();
    // assign only with manual; a group number out of range.
    await expectError(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'mix', assign: { [ada.user.id]: 1 } }, 'bad_request');
    await expectError(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'manual', assign: { [ada.user.id]: 3 } }, 'bad_request');
    await expectError(host, { type: 'breakout', room, action: 'open', groups: 2, size: 3, strategy: 'mix' }, 'bad_request');
  });

  test('group rooms exist (kind breakout, parent); broadcast posts into each; close leaves them readable', async () => {
    const groups = await openGroups({ groups: 3, strategy: 'mix' });
    const listed = await host.request({ type: 'rooms' });
    for (const g of groups) {
      const r = listed.rooms.find((x) => x.id === g.room);
      assert.ok(r, `group room ${g.room} not listed`);
      assertRoom(r, { id: g.room, kind: 'breakout', parent: room });
    }
    // Each member joins their own group room; the facilitator can join any.
    const inGroup = new Map();  // group room -> member clients
    for (const m of members) {
      const e = m.frames.filter((f) => f.type === 'breakout' && f.state === 'open').at(-1);
      const joined = await m.join(e.group);
      assertRoom(joined.room, { id: e.group, kind: 'breakout', parent: room });
      if (!inGroup.has(e.group)) inGroup.set(e.group, []);
      inGroup.get(e.group).push(m);
    }
    const hostJoin = await host.join(groups[1].room);
    assert.ok(['owner', 'facilitator'].includes(hostJoin.you?.role), `host's role in a group room: ${JSON.stringify(hostJoin.you)}`);

    // A member talks in their group; only that group hears it.
    const [firstGroup, firstMembers] = [...inGroup.entries()][0];
    await firstMembers[0].say(firstGroup, 'said in group one');
    for (const m of firstMembers) assertMessage(await m.next('message'), { room: firstGroup, text: 'said in group one' });

    await expectError(members[0], { type: 'breakout', room, action: 'broadcast', text: 'not mine to say' }, 'forbidden');
    const text = 'Five minutes left: agree one action';
    await ok(host, { type: 'breakout', room, action: 'broadcast', text });
    for (const [groupRoom, ms] of inGroup) {
      for (const m of ms) {
        const live = await m.next((f) => f.type === 'message' && f.room === groupRoom && f.text === text);
        assertMessage(live, { room: groupRoom, text });
        assert.equal(live.from.id, host.user.id, 'the broadcast comes from the facilitator');
      }
    }
    for (const g of groups) {
      const h = await host.request({ type: 'history', room: g.room, after: 0, limit: 50 });
      assert.equal(h.type, 'history', JSON.stringify(h));
      assert.deepEqual(h.messages.filter((m) => m.text === text).length, 1, `broadcast in ${g.room}: ${JSON.stringify(h.messages)}`);
    }
    // Nothing is posted into the parent room.
    const parent = await host.request({ type: 'history', room, after: 0, limit: 50 });
    assert.ok(!parent.messages.some((m) => m.text === text), 'broadcast went into the parent room');

    await closeGroups();
    await expectError(host, { type: 'breakout', room, action: 'broadcast', text: 'too late' }, 'conflict');
    await expectError(host, { type: 'breakout', room, action: 'close' }, 'conflict');
    // Group rooms stay readable: history, and a fresh join.
    for (const g of groups) {
      const h = await members[0].request({ type: 'history', room: g.room, after: 0, limit: 50 });
      assert.ok(h.messages.some((m) => m.text === text), `group room ${g.room} lost its messages`);
      const late = await user('Late Reader', 'residents');
      const j = await late.join(g.room);
      assert.ok(j.messages.some((m) => m.text === text));
      assertRoom(j.room, { id: g.room, kind: 'breakout', parent: room });
    }
    const firstHistory = await host.request({ type: 'history', room: firstGroup, after: 0, limit: 50 });
    assert.deepEqual(firstHistory.messages.map((m) => m.text).filter((t) => t === 'said in group one'), ['said in group one']);
    // The parent's session shows the groups closed.
    const after = await host.join(room);
    assert.equal(after.session.breakouts.open, false);
  });
});
