// facilitation.md "Roles", "Raised hands and the floor", "Agenda, lock" (the lock), and every
// `forbidden` case: a member trying the facilitator frames, an observer trying to send, raise a hand
// or vote, a member vs a facilitator sending into a locked room.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import {
  assertFloor, assertHands, assertOk, assertPollEvent, assertRoleEvent, assertSession, ok, userFactory,
} from '../lib/facilitation.mjs';
import { assertMessage, expectError, fetchMetrics, metricValue } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'facil-roles', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

const clients = [];
const user = userFactory(() => server, clients);
after(async () => { await Promise.all(clients.map((c) => c.close())); });

// An owner, a member, and a room they both joined (owner first).
async function roomWith(names) {
  const room = uniqueId('fr');
  const people = [];
  for (const [name, org] of names) people.push(await user(name, org));
  await people[0].create(room, { kind: 'session', title: 'Roles and floor' });
  const joins = [];
  for (const p of people) joins.push(await p.join(room));
  // Everyone has seen everyone else's presence once the last join is through: sync each.
  await Promise.all(people.map((p) => p.sync()));
  return { room, people, joins };
}

describe('roles', { timeout: scaled(30000) }, () => {
  test('the creator is owner, others member; joined carries you.role and the session', async () => {
    const { room, people: [owner, member], joins } = await roomWith([['Owen Owner', 'essex-cc'], ['Mia Member', 'nhs-mse']]);
    assert.deepEqual(joins[0].you, { role: 'owner' }, JSON.stringify(joins[0].you));
    assert.deepEqual(joins[1].you, { role: 'member' }, JSON.stringify(joins[1].you));
    for (const j of joins) {
      const s = assertSession(j.session);
      assert.deepEqual(s.hands, []);
      assert.equal(s.floor, null);
      assert.equal(s.timer, null);
      assert.equal(s.poll, null);
      assert.deepEqual(s.agenda.items, []);
      assert.equal(s.breakouts.open, false);
      assert.equal(s.locked, false);
    }
    // The owner role stays with the creator: it cannot be given away, nor the owner demoted.
    await expectError(owner, { type: 'role', room, user: member.user.id, role: 'owner' }, 'forbidden');
    await expectError(owner, { type: 'role', room, user: owner.user.id, role: 'member' }, 'forbidden');
    void member;
  });

  test('owner and facilitators change roles; everyone in the room gets the role event', async () => {
    const { room, people } = await roomWith([
      ['Rhea Owner', 'essex-cc'], ['Fred Facil', 'essex-police'], ['Mo Member', 'uni-essex'], ['Obi Observer', 'residents'],
    ]);
    const [owner, fac, mem, obs] = people;

    const id = 'role-1';
    const reply = await owner.request({ type: 'role', id, room, user: fac.user.id, role: 'facilitator' });
    assertOk(reply);
    assert.equal(reply.re, id);
    for (const c of people) assertRoleEvent(await c.next('role'), room, fac.user.id, 'facilitator');

    // A facilitator may change roles too.
    await ok(fac, { type: 'role', room, user: obs.user.id, role: 'observer' });
    for (const c of people) {
      const e = await c.next('role');
      assertRoleEvent(e, room, obs.user.id, 'observer');
      assert.equal(e.user.name, 'Obi Observer');
      assert.equal(e.user.org, 'residents');
    }

    // The role shows on a later join.
    const again = await obs.join(room);
    assert.deepEqual(again.you, { role: 'observer' });
    assert.deepEqual((await fac.join(room)).you, { role: 'facilitator' });

    // Back to member: the observer can send again.
    await expectError(obs, { type: 'send', room, text: 'may I?' }, 'forbidden');
    await ok(fac, { type: 'role', room, user: obs.user.id, role: 'member' });
    for (const c of people) assertRoleEvent(await c.next('role'), room, obs.user.id, 'member');
    await obs.say(room, 'now I may');

    // A member may not change roles, not even their own.
    await expectError(mem, { type: 'role', room, user: mem.user.id, role: 'facilitator' }, 'forbidden');
    await expectError(mem, { type: 'role', room, user: obs.user.id, role: 'observer' }, 'forbidden');
    await mem.expectNone('role', scaled(200));
  });
});

describe('forbidden', { timeout: scaled(30000) }, () => {
  test('a member gets forbidden for every facilitator frame, and nothing changes', async () => {
    const { room, people } = await roomWith([['Fay Owner', 'essex-cc'], ['Max Member', 'nhs-mse'], ['Nia Member', 'police']]);
    const [owner, mem, other] = people;
    // Something to close/move/broadcast to, so that only the role can be the reason for refusal.
    await ok(owner, { type: 'poll', room, action: 'open', question: 'Q?', options: ['a', 'b'], multi: false, anonymous: true });
    const opened = assertPollEvent(await mem.next('poll'), room, { open: true });
    await ok(owner, { type: 'agenda', room, items: [{ title: 'One', minutes: 5 }, { title: 'Two', minutes: 5 }] });
    await ok(owner, { type: 'hand', room, up: false });  // no-op, ok
    await ok(other, { type: 'hand', room, up: true });
    await ok(owner, { type: 'timer', room, action: 'start', seconds: 600, label: 'Long' });
    await ok(owner, { type: 'breakout', room, action: 'open', groups: 1, strategy: 'random' });
    await mem.sync();
    const before = mem.frames.length;

    const refused = [
      { type: 'role', room, user: other.user.id, role: 'facilitator' },
      { type: 'role', room, user: other.user.id, role: 'observer' },
      { type: 'floor', room, user: null },
      { type: 'floor', room, user: other.user.id },
      { type: 'timer', room, action: 'start', seconds: 60, label: 'Mine' },
      { type: 'timer', room, action: 'pause' },
      { type: 'timer', room, action: 'resume' },
      { type: 'timer', room, action: 'stop' },
      { type: 'poll', room, action: 'open', question: 'Mine?', options: ['x', 'y'], multi: false, anonymous: true },
      { type: 'poll', room, action: 'close', poll: opened.id },
      { type: 'breakout', room, action: 'open', groups: 2, strategy: 'mix' },
      { type: 'breakout', room, action: 'broadcast', text: 'hello groups' },
      { type: 'breakout', room, action: 'close' },
      { type: 'agenda', room, items: [{ title: 'Mine', minutes: 1 }] },
      { type: 'agenda', room, action: 'next' },
      { type: 'agenda', room, action: 'prev' },
      { type: 'lock', room, locked: true },
      { type: 'lock', room, locked: false },
    ];
    for (const frame of refused) await expectError(mem, frame, 'forbidden');
    await mem.sync();
    const events = mem.frames.slice(before).filter((f) => !('re' in f));
    assert.deepEqual(events, [], `refused frames caused events: ${JSON.stringify(events).slice(0, 500)}`);

    // The state is as before: the owner's view on a fresh join.
    const j = await owner.join(room);
    assert.equal(j.session.poll?.open, true);
    assert.equal(j.session.timer?.state, 'running');
    assert.equal(j.session.timer?.label, 'Long');
    assert.equal(j.session.agenda.current, 0);
    assert.equal(j.session.locked, false);
    assert.deepEqual(j.session.hands.map((u) => u.id), [other.user.id]);
    assert.equal(j.session.floor, null);
    assert.equal(j.session.breakouts.open, true);
    assert.deepEqual((await other.join(room)).you, { role: 'member' });
  });

  test('an observer cannot send, raise a hand or vote; a frame for a room not joined is forbidden', async () => {
    const { room, people } = await roomWith([['Ola Owner', 'essex-cc'], ['Ob Server', 'residents']]);
    const [owner, obs] = people;
    await ok(owner, { type: 'role', room, user: obs.user.id, role: 'observer' });
    await obs.next('role');
    await ok(owner, { type: 'poll', room, action: 'open', question: 'Q?', options: ['a', 'b'], multi: false, anonymous: true });
    const { poll } = await obs.next('poll');
    await expectError(obs, { type: 'send', room, text: 'let me speak' }, 'forbidden');
    await expectError(obs, { type: 'hand', room, up: true }, 'forbidden');
    await expectError(obs, { type: 'vote', room, poll: poll.id, choices: [0] }, 'forbidden');
    // Observers read: the owner's message reaches them.
    await owner.say(room, 'for everyone');
    assertMessage(await obs.next('message'), { text: 'for everyone' });
    await obs.sync();
    assert.deepEqual(obs.pending('hands'), []);
    assert.deepEqual(obs.pending('poll'), []);

    const stranger = await user('Sam Stranger', 'fire');
    await expectError(stranger, { type: 'hand', room, up: true }, 'forbidden');
    await expectError(stranger, { type: 'lock', room, locked: true }, 'forbidden');
  });

  test('a locked room takes messages from facilitators and the owner only', async () => {
    const { room, people } = await roomWith([['Lou Owner', 'essex-cc'], ['Fin Facil', 'police'], ['Meg Member', 'nhs-mse']]);
    const [owner, fac, mem] = people;
    await ok(owner, { type: 'role', room, user: fac.user.id, role: 'facilitator' });
    await mem.next('role');
    await mem.say(room, 'before the lock');

    await ok(fac, { type: 'lock', room, locked: true });
    await mem.sync();
    const lockEvents = mem.pending((f) => f.type === 'lock' && !('re' in f));
    if (lockEvents.length) assert.deepEqual(lockEvents[0], { type: 'lock', room, locked: true });  // extension
    assert.equal((await mem.join(room)).session.locked, true);
    await expectError(mem, { type: 'send', room, text: 'locked out?' }, 'forbidden');
    await fac.say(room, 'facilitator speaks');
    await owner.say(room, 'owner speaks');
    // Members still raise hands and vote in a locked room: the lock is about messages.
    await ok(mem, { type: 'hand', room, up: true });

    await ok(owner, { type: 'lock', room, locked: false });
    assert.equal((await mem.join(room)).session.locked, false);
    await mem.say(room, 'after the lock');
    const history = await owner.request({ type: 'history', room, after: 0, limit: 50 });
    assert.deepEqual(history.messages.map((m) => m.text),
      ['before the lock', 'facilitator speaks', 'owner speaks', 'after the lock']);
  });
});

describe('raised hands and the floor', { timeout: scaled(30000) }, () => {
  test('the queue keeps the order hands went up; floor null gives it to the next, who leaves the queue', async () => {
    const { room, people } = await roomWith([
      ['Hal Host', 'essex-cc'], ['Amy Ames', 'nhs-mse'], ['Ben Bell', 'police'], ['Cal Cole', 'uni-essex'],
    ]);
    const [host, a, b, c] = people;
    const everyone = people;
    const expectHands = async (queue) => {
      for (const p of everyone) assertHands(await p.next('hands'), room, queue.map((u) => u.user.id));
    };
    const expectFloor = async (holder) => {
      for (const p of everyone) assertFloor(await p.next('floor'), room, holder ? holder.user.id : null);
    };

    await ok(b, { type: 'hand', room, up: true });
    await expectHands([b]);
    await ok(a, { type: 'hand', room, up: true });
    await expectHands([b, a]);
    await ok(c, { type: 'hand', room, up: true });
    await expectHands([b, a, c]);
    // Raising a raised hand changes nothing: ok, and everyone gets `hands` all the same.
    await ok(b, { type: 'hand', room, up: true });
    await expectHands([b, a, c]);
    await ok(a, { type: 'hand', room, up: false });
    await expectHands([b, c]);
    await ok(a, { type: 'hand', room, up: true });
    await expectHands([b, c, a]);
    const fullQueue = (await host.join(room)).session.hands;
    assert.deepEqual(fullQueue.map((u) => u.id), [b.user.id, c.user.id, a.user.id]);
    assert.deepEqual(fullQueue[0], b.user);

    // null: the next in the queue.
    await ok(host, { type: 'floor', room, user: null });
    await expectFloor(b);
    await expectHands([c, a]);
    assert.equal((await c.join(room)).session.floor.id, b.user.id);
    // A named user from the middle of the queue leaves it too.
    await ok(host, { type: 'floor', room, user: a.user.id });
    await expectFloor(a);
    await expectHands([c]);
    await ok(host, { type: 'floor', room, user: null });
    await expectFloor(c);
    await expectHands([]);
    // Empty queue: null clears the floor.
    await ok(host, { type: 'floor', room, user: null });
    await expectFloor(null);
    for (const p of everyone) await p.sync();
    for (const p of everyone) assert.deepEqual(p.pending((f) => ['hands', 'floor'].includes(f.type)), []);
    const j = await a.join(room);
    assert.deepEqual(j.session.hands, []);
    assert.equal(j.session.floor, null);
  });

  test('a hand goes down when its person leaves the room: their last connection in it, or a leave', async () => {
    const { room, people } = await roomWith([['Hana Host', 'essex-cc'], ['Dev Dale', 'nhs-mse'], ['Eve Ellis', 'fire']]);
    const [host, dev, eve] = people;
    // Dev is in the room twice (a laptop and a phone).
    const devPhone = await user('Dev Dale', 'nhs-mse');
    await devPhone.join(room);
    await ok(dev, { type: 'hand', room, up: true });
    for (const p of [host, eve, devPhone]) assertHands(await p.next('hands'), room, [dev.user.id]);
    await ok(eve, { type: 'hand', room, up: true });
    for (const p of [host, eve, devPhone]) assertHands(await p.next('hands'), room, [dev.user.id, eve.user.id]);

    // One of Dev's connections closes: Dev is still here, the hand stays.
    const openBefore = metricValue(await fetchMetrics(server), /^outloud_connections_open$/);
    await dev.close();
    for (const until = Date.now() + scaled(5000); Date.now() < until;) {
      if (metricValue(await fetchMetrics(server), /^outloud_connections_open$/) < openBefore) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await host.sync();
    assert.deepEqual(host.pending((f) => f.type === 'hands'), []);
    assert.deepEqual((await eve.join(room)).session.hands.map((u) => u.id), [dev.user.id, eve.user.id]);
    // The last one goes: the hand with it, and everyone is told.
    await devPhone.close();
    assertHands(await host.next('hands'), room, [eve.user.id]);
    // A `leave` counts the same.
    await eve.request({ type: 'leave', room });
    assertHands(await host.next('hands'), room, []);
    assert.deepEqual((await host.join(room)).session.hands, []);
  });
});

describe('malformed facilitation frames', { timeout: scaled(30000) }, () => {
  test('wrong field types and values get bad_request, change nothing, and the connection stays open', async () => {
    const { room, people: [owner, member] } = await roomWith([['Val Owner', 'essex-cc'], ['Val Member', 'police']]);
    const bad = [
      { type: 'role', room, user: member.user.id, role: 'admin' },
      { type: 'role', room, user: 42, role: 'observer' },
      { type: 'hand', room, up: 'yes' },
      { type: 'floor', room, user: 7 },
      { type: 'timer', room, action: 'start', seconds: 'ten', label: 'x' },
      { type: 'timer', room, action: 'start', seconds: 0, label: 'x' },
      { type: 'timer', room, action: 'rewind' },
      { type: 'poll', room, action: 'open', question: 'Q?', options: 'a,b', multi: false, anonymous: true },
      { type: 'poll', room, action: 'open', question: 'Q?', options: ['a', 3], multi: false, anonymous: true },
      { type: 'poll', room, action: 'open', question: 'Q?', options: ['a', 'b'], multi: 'no', anonymous: true },
      { type: 'vote', room, poll: 'p1', choices: 0 },
      { type: 'vote', room, poll: 'p1', choices: [-1] },
      { type: 'breakout', room, action: 'open', groups: 2, strategy: 'alphabetical' },
      { type: 'breakout', room, action: 'open', groups: 0, strategy: 'mix' },
      { type: 'breakout', room, action: 'open', groups: 'two', strategy: 'mix' },
      { type: 'agenda', room, items: [{ title: 5, minutes: 5 }] },
      { type: 'agenda', room, items: 'one, two' },
      { type: 'agenda', room, action: 'sideways' },
      { type: 'lock', room, locked: 'please' },
      { type: 'lock', room },
    ];
    for (const frame of bad) await expectError(owner, frame, 'bad_request');
    assert.ok(owner.isOpen);
    await owner.sync();
    const events = owner.frames.filter((f) => !('re' in f) && f.type !== 'presence');
    assert.deepEqual(events, [], `bad frames caused events: ${JSON.stringify(events).slice(0, 400)}`);
    const j = await member.join(room);
    assert.equal(j.session.locked, false);
    assert.deepEqual(j.session.agenda.items, []);
    assert.equal(j.session.timer, null);
    assert.equal(j.session.poll, null);
    assert.deepEqual(j.you, { role: 'member' });
  });
});

describe('right after joined', { timeout: scaled(30000) }, () => {
  // A participant must be recorded before `joined` goes out: a facilitator acting on someone the
  // moment they appear must not get not_found (it did while the hub recorded them afterwards).
  test('a role can be given to someone the moment their joined arrives', async () => {
    const { room, people: [owner] } = await roomWith([['Quick Owner', 'essex-cc']]);
    const refused = [];
    for (let i = 0; i < 10; i++) {
      const m = await user(`Quick Joiner ${i}`, 'police');
      await m.join(room);
      const reply = await owner.request({ type: 'role', room, user: m.user.id, role: 'facilitator' });
      if (reply.type !== 'ok') refused.push(reply);
      await m.close();
    }
    assert.deepEqual(refused, [], `${refused.length} of 10 refused: ${JSON.stringify(refused[0])}`);
  });
});
