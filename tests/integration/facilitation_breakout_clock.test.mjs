// Breakout rounds that run themselves (protocol/README.md "Breakout rounds run themselves"): with
// `minutes`, everyone gets a one-minute `warning` and the groups close by themselves at `ends_at`,
// each exactly once — on one node, and on two nodes over Redis where both nodes hold the room and
// both have a timer for it. Late joiners are listed for the facilitators and placed with one
// `place` (the group that best keeps the mix rule, or a chosen one), and told like everyone else.
// A `minute` lasts --test-breakout-minute-ms here (a test-only flag), never a real minute.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { assertGroupEvent, isMs, ok } from '../lib/facilitation.mjs';
import { assertUser, expectError } from '../lib/protocol.mjs';
import { untilNodesHearEachOther } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const MINUTE_MS = scaled(1500);
const MINUTE_FLAG = ['--test-breakout-minute-ms', String(MINUTE_MS), ...UNTHROTTLED];

const servers = [];
const clients = [];
let redis;
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop()));
  await redis?.stop();
});

async function person(server, name, org) {
  const c = await connectAs(server.wsUrl, name, org);
  clients.push(c);
  return c;
}

const isBreakout = (room, state) => (f) => f.type === 'breakout' && f.room === room && f.state === state && !('re' in f);
const overviewWithLate = (room, n) => (f) => isBreakout(room, 'open')(f) && Array.isArray(f.late) && f.late.length === n;
const count = (client, predicate) => client.frames.filter(predicate).length;

function assertWarning(f, room, endsAt, parent) {
  assert.equal(f.state, 'warning');
  assert.equal(f.ends_at, endsAt, `warning.ends_at ${JSON.stringify(f)}`);
  assert.ok(Number.isInteger(f.remaining_ms) && f.remaining_ms >= 0 && f.remaining_ms <= MINUTE_MS,
    `warning.remaining_ms ${JSON.stringify(f)}`);
  if (parent) assert.equal(f.parent, parent, `a group room's warning names its session: ${JSON.stringify(f)}`);
  else assert.ok(!('parent' in f), `the session's own warning: ${JSON.stringify(f)}`);
  assert.equal(f.room, room);
}

test('one node: a timed round counts down, warns once, takes a late joiner where the mix needs them, and closes by itself once',
  { timeout: scaled(30000) }, async () => {
    const server = await startServer({ nodeId: 'clock-1', args: MINUTE_FLAG });
    servers.push(server);
    const room = uniqueId('bc');
    const host = await person(server, 'Hana Host', 'charity-x');
    await host.create(room, { kind: 'session', title: 'Timed groups' });
    await host.join(room);
    // Two groups: the mix puts one of essex-cc in each, and nhs-mse / essex-police one each.
    const members = [];
    for (const [name, org] of [['Ada Council', 'essex-cc'], ['Bea Council', 'essex-cc'], ['Dee Health', 'nhs-mse'], ['Flo Police', 'essex-police']]) {
      const c = await person(server, name, org);
      await c.join(room);
      members.push(c);
    }
    await Promise.all([host, ...members].map((c) => c.sync()));

    // Bad places first: nothing open yet, and only a facilitator may place.
    await expectError(host, { type: 'breakout', room, action: 'place', user: members[0].user.id }, 'conflict');
    await expectError(members[0], { type: 'breakout', room, action: 'place', user: members[1].user.id }, 'forbidden');
    await expectError(host, { type: 'breakout', room, action: 'open', groups: 2, minutes: 0.5 }, 'bad_request');

    const before = Date.now();
    // Three `minutes`: the warning after two, time enough to place a late joiner first.
    await ok(host, { type: 'breakout', room, action: 'open', groups: 2, strategy: 'mix', minutes: 3 });
    assert.deepEqual((await host.next(overviewWithLate(room, 0))).groups.length, 2, 'the opener sees every group');
    const told = [];
    for (const m of members) told.push(assertGroupEvent(await m.next('breakout'), room));
    const endsAt = told[0].ends_at;
    assert.ok(isMs(endsAt), 'the group event counts down to ends_at');
    assert.ok(told.every((t) => t.ends_at === endsAt), 'one ends_at for every group');
    assert.ok(endsAt >= before + 3 * MINUTE_MS && endsAt <= Date.now() + 3 * MINUTE_MS, `ends_at ${endsAt - before} ms ahead`);
    for (const [i, m] of members.entries()) await m.join(told[i].group);
    const groupOf = (org) => told.find((t) => t.members.some((u) => u.org === org)).group;
    assert.notEqual(groupOf('nhs-mse'), groupOf('essex-police'), 'the mix spread the organisations');

    // A late joiner from nhs-mse: listed for the facilitator, in SESSION too.
    const late = await person(server, 'Lee Late', 'nhs-mse');
    const joined = await late.join(room);
    assert.deepEqual(joined.session.breakouts.late.map((u) => u.id), [late.user.id]);
    assert.equal(joined.session.breakouts.ends_at, endsAt);
    const listed = await host.next(overviewWithLate(room, 1));
    assert.equal(listed.late.length, 1);
    assertUser(listed.late[0], late.user);
    assert.equal(listed.groups.length, 2);

    // Placed with one action into the group without nhs-mse; told like everyone when groups opened.
    await expectError(host, { type: 'breakout', room, action: 'place', user: late.user.id, group: 3 }, 'bad_request');
    const placed = await ok(host, { type: 'breakout', room, action: 'place', user: late.user.id });
    assert.equal(placed.group, groupOf('essex-police'), 'the group that keeps organisations mixed');
    const toldLate = assertGroupEvent(await late.next('breakout'), room);
    assert.equal(toldLate.group, placed.group);
    assert.equal(toldLate.ends_at, endsAt);
    assert.ok(toldLate.members.some((u) => u.id === late.user.id));
    const mate = members[told.findIndex((t) => t.group === placed.group)];
    const mateTold = assertGroupEvent(await mate.next((f) => isBreakout(room, 'open')(f) && f.members.length === 3), room);
    assert.ok(mateTold.members.some((u) => u.id === late.user.id), 'the group hears of its newcomer');
    const emptied = await host.next(overviewWithLate(room, 0));
    assert.ok(emptied.groups.find((g) => g.group === placed.group).members.some((u) => u.id === late.user.id));
    await late.join(placed.group);

    // The warning, one minute before the end, in the session room and in every group room.
    for (const c of [host, late, ...members]) assertWarning(await c.next(isBreakout(room, 'warning'), scaled(5000)), room, endsAt);
    for (const [i, m] of members.entries()) {
      assertWarning(await m.next(isBreakout(told[i].group, 'warning'), scaled(5000)), told[i].group, endsAt, room);
    }
    assert.ok(Date.now() >= endsAt - MINUTE_MS - 50, 'not warned early');

    // Closed by itself at ends_at, within a second.
    for (const c of [host, late, ...members]) await c.next(isBreakout(room, 'closed'), scaled(6000));
    const closedAt = Date.now();
    assert.ok(closedAt >= endsAt - 50 && closedAt <= endsAt + scaled(1500), `closed ${closedAt - endsAt} ms after ends_at`);
    for (const [i, m] of members.entries()) {
      const f = await m.next(isBreakout(told[i].group, 'closed'));
      assert.equal(f.parent, room);
    }
    await expectError(host, { type: 'breakout', room, action: 'close' }, 'conflict');

    // Exactly once: no second warning or close comes.
    await host.expectNone(isBreakout(room, 'closed'), scaled(600));
    for (const c of [host, late, ...members]) {
      assert.equal(count(c, isBreakout(room, 'warning')), 1, `${c.label}: one warning`);
      assert.equal(count(c, isBreakout(room, 'closed')), 1, `${c.label}: one close`);
    }
    const after = await members[0].join(room);
    assert.equal(after.session.breakouts.open, false);
    assert.deepEqual(after.session.breakouts.late, []);
  });

test('two nodes over Redis: the round warns and closes by itself exactly once for everyone on both nodes',
  { timeout: scaled(30000) }, async () => {
    redis = await startRedis();
    const [nodeA, nodeB] = await Promise.all([
      startServer({ nodeId: 'clock-a', args: ['--redis', redis.url, ...MINUTE_FLAG] }),
      startServer({ nodeId: 'clock-b', args: ['--redis', redis.url, ...MINUTE_FLAG] }),
    ]);
    servers.push(nodeA, nodeB);
    await untilNodesHearEachOther([nodeA, nodeB]);
    const room = uniqueId('bn');
    const host = await person(nodeA, 'Nora Node', 'essex-cc');
    const people = [host,
      await person(nodeA, 'Abe Alpha', 'nhs-mse'), await person(nodeB, 'Bee Beta', 'essex-police'),
      await person(nodeB, 'Bo Beta', 'essex-cc'), await person(nodeA, 'Al Alpha', 'essex-fire')];
    await host.create(room, { kind: 'session', title: 'Timed across nodes' });
    for (const p of people) await p.join(room);
    await Promise.all(people.map((p) => p.sync()));

    await ok(host, { type: 'breakout', room, action: 'open', groups: 2, minutes: 3 });
    await host.next(overviewWithLate(room, 0));
    const groups = [];
    for (const p of people.slice(1)) groups.push(assertGroupEvent(await p.next('breakout'), room));
    const endsAt = groups[0].ends_at;
    // A late joiner on node B is listed for the host on node A, and placed from there.
    const late = await person(nodeB, 'Lou Late', 'nhs-mse');
    await late.join(room);
    assert.deepEqual((await host.next(overviewWithLate(room, 1))).late.map((u) => u.id), [late.user.id]);
    const placed = await ok(host, { type: 'breakout', room, action: 'place', user: late.user.id, group: 2 });
    assert.equal(placed.group, `${room}~2`, 'the chosen group');
    assert.equal(assertGroupEvent(await late.next('breakout'), room).group, `${room}~2`);

    const everyone = [...people, late];
    for (const p of everyone) await p.next(isBreakout(room, 'warning'), scaled(5000));
    for (const p of everyone) await p.next(isBreakout(room, 'closed'), scaled(6000));
    assert.ok(Date.now() <= endsAt + scaled(1500), `closed ${Date.now() - endsAt} ms after ends_at`);
    await host.expectNone(isBreakout(room, 'closed'), scaled(800));
    for (const p of everyone) {
      assert.equal(count(p, isBreakout(room, 'warning')), 1, `${p.label}: one warning`);
      assert.equal(count(p, isBreakout(room, 'closed')), 1, `${p.label}: one close`);
    }
  });
