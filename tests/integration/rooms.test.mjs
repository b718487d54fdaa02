// protocol.md "Rooms": create, rooms (with online counts), join (shape, not_found, since/limit and
// recovery, the seam between `joined` and live events), leave.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import {
  assertError, assertMessage, assertPresenceEntry, assertRoom, collectMessages, expectError, range, sendMany, seqsOf,
} from '../lib/protocol.mjs';
import { scaled, sleep } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const suite = serverForFile('rooms-node');
const { user } = suite;

describe('create', { timeout: scaled(30000) }, () => {
  test('created carries the ROOM, owned by its creator; a repeat is conflict', async () => {
    const owner = await user('Olivia Owner');
    const room = uniqueId('housing');
    const t0 = Date.now();
    const reply = await owner.request({ type: 'create', id: 2, room, title: 'Affordable housing', kind: 'room' });
    assert.equal(reply.type, 'created', JSON.stringify(reply));
    assert.equal(reply.re, 2);
    assertRoom(reply.room, { id: room, title: 'Affordable housing', kind: 'room', created_by: owner.user.id });
    assert.ok(Math.abs(reply.room.created_at - t0) < 60000);

    await expectError(owner, { type: 'create', room, title: 'Again', kind: 'room' }, 'conflict');
    const other = await user('Oscar Other', 'nhs-trust');
    await expectError(other, { type: 'create', room, title: 'Mine now', kind: 'session' }, 'conflict');
    // The conflicting creates changed nothing.
    const joined = await other.join(room);
    assertRoom(joined.room, { id: room, title: 'Affordable housing', kind: 'room', created_by: owner.user.id });
  });

  test('kind session is accepted; room ids of 1 and 64 characters are valid', async () => {
    const c = await user('Kind Tester');
    const s = await c.create(uniqueId('sess'), { kind: 'session', title: 'Check-in' });
    assert.equal(s.room.kind, 'session');
    const one = `${Math.floor(Math.random() * 10)}`;
    const r1 = await c.request({ type: 'create', room: one, title: 'One', kind: 'room' });
    assert.ok(r1.type === 'created' || (r1.type === 'error' && r1.code === 'conflict'), JSON.stringify(r1));
    const long = uniqueId('l').padEnd(64, 'x');
    const r64 = await c.create(long);
    assert.equal(r64.room.id, long);
  });

  test('the owner is you.role owner; another user is member', async () => {
    const owner = await user('Role Owner');
    const member = await user('Role Member', 'police');
    const room = uniqueId('roles');
    await owner.create(room);
    const jo = await owner.join(room);
    const jm = await member.join(room);
    assert.equal(jo.you?.role, 'owner', JSON.stringify(jo.you));
    assert.equal(jm.you?.role, 'member', JSON.stringify(jm.you));
  });
});

describe('rooms', { timeout: scaled(30000) }, () => {
  test('lists every room with online = distinct users present', async () => {
    const a = await user('Ann Lister');
    const a2 = await user('Ann Lister');  // same user, second connection
    const b = await user('Ben Lister', 'uni-essex');
    const room = uniqueId('listed');
    const quiet = uniqueId('quiet');
    await a.create(room, { title: 'Listed room' });
    await b.create(quiet, { title: 'Quiet room', kind: 'session' });

    const online = async (id) => {
      const reply = await b.request({ type: 'rooms', id: 3 });
      assert.equal(reply.type, 'rooms');
      assert.equal(reply.re, 3);
      assert.ok(Array.isArray(reply.rooms));
      for (const r of reply.rooms) {
        assertRoom(r);
        assert.ok(Number.isInteger(r.online) && r.online >= 0, `online: ${JSON.stringify(r)}`);
      }
      const found = reply.rooms.find((r) => r.id === id);
      assert.ok(found, `room ${id} not listed`);
      return found;
    };
    const listed = await online(room);
    assertRoom(listed, { id: room, title: 'Listed room', kind: 'room', created_by: a.user.id });
    assert.equal(listed.online, 0);
    assert.equal((await online(quiet)).kind, 'session');

    await a.join(room);
    assert.equal((await online(room)).online, 1);
    await a2.join(room);
    assert.equal((await online(room)).online, 1, 'one user with two connections counts once');
    await b.join(room);
    assert.equal((await online(room)).online, 2);
    await b.expectReply({ type: 'leave', room }, 'left');
    assert.equal((await online(room)).online, 1);
    await a.expectReply({ type: 'leave', room }, 'left');
    assert.equal((await online(room)).online, 1, 'second connection still present');
    await a2.close();
    // The close is processed asynchronously: give it a moment.
    let n;
    for (let i = 0; i < 50; i++) {
      n = (await online(room)).online;
      if (n === 0) break;
      await sleep(50);
    }
    assert.equal(n, 0);
  });
});

describe('join', { timeout: scaled(60000) }, () => {
  test('join of a missing room is not_found', async () => {
    const c = await user('Lost Soul');
    await expectError(c, { type: 'join', room: uniqueId('nowhere') }, 'not_found');
    await expectError(c, { type: 'join', room: uniqueId('nowhere'), since: 0 }, 'not_found');
  });

  test('joined carries room, presence, messages, head, recovered, you.role and session', async () => {
    const c = await user('Joiner Shape');
    const room = uniqueId('shape');
    const created = await c.create(room, { title: 'Shape' });
    const t0 = Date.now();
    const j = await c.request({ type: 'join', id: 4, room });
    assert.equal(j.type, 'joined', JSON.stringify(j));
    assert.equal(j.re, 4);
    assert.deepEqual(j.room, created.room);
    assert.ok(Array.isArray(j.presence));
    j.presence.forEach(assertPresenceEntry);
    const me = j.presence.filter((p) => p.user.id === c.user.id);
    assert.equal(me.length, 1, `self in presence once: ${JSON.stringify(j.presence)}`);
    assert.equal(me[0].state, 'online');
    assert.ok(Math.abs(me[0].since - t0) < 60000);
    assert.deepEqual(j.messages, []);
    assert.equal(j.head, 0);
    assert.equal(typeof j.recovered, 'boolean');
    assert.equal(j.you.role, 'owner');
    assert.equal(typeof j.session, 'object');
    assert.ok(j.session !== null);
  });

  test('join without since: the latest 50 by default, `limit` of them, at most 200, ascending', async () => {
    const w = await user('Bulk Writer');
    const room = uniqueId('bulk');
    await w.create(room);
    await w.join(room);
    const sent = await sendMany(w, room, 230);
    assert.deepEqual(sent.map((s) => s.seq), range(1, 230));
    await collectMessages(w, room, 230);

    const r = await user('Bulk Reader', 'nhs-trust');
    let j = await r.join(room);
    assert.deepEqual(seqsOf(j.messages), range(181, 230));
    j.messages.forEach((m) => assertMessage(m, { room }));
    assert.equal(j.head, 230);
    j = await r.join(room, { limit: 7 });
    assert.deepEqual(seqsOf(j.messages), range(224, 230));
    j = await r.join(room, { limit: 1 });
    assert.deepEqual(seqsOf(j.messages), [230]);
    j = await r.join(room, { limit: 200 });
    assert.deepEqual(seqsOf(j.messages), range(31, 230));
    // Above the maximum: either refused as out of range, or capped at 200.
    const big = await r.request({ type: 'join', room, limit: 201 });
    if (big.type === 'error') assertError(big, 'bad_request');
    else assert.deepEqual(seqsOf(big.messages), range(31, 230));
  });

  test('join with since: every later message (beyond limit, up to 1000), recovered true', async () => {
    const w = await user('Since Writer');
    const room = uniqueId('since');
    await w.create(room);
    await w.join(room);
    await sendMany(w, room, 120);
    const r = await user('Since Reader', 'fire');
    let j = await r.join(room, { since: 0 });
    assert.equal(j.recovered, true);
    assert.deepEqual(seqsOf(j.messages), range(1, 120), 'since=0 returns all 120, not the latest 50');
    assert.equal(j.head, 120);
    j = await r.join(room, { since: 100 });
    assert.equal(j.recovered, true);
    assert.deepEqual(seqsOf(j.messages), range(101, 120));
    j = await r.join(room, { since: 100, limit: 5 });
    assert.equal(j.recovered, true);
    assert.deepEqual(seqsOf(j.messages), range(101, 120), 'with since, limit does not cut a recoverable gap');
    j = await r.join(room, { since: 120 });
    assert.equal(j.recovered, true);
    assert.deepEqual(j.messages, []);
    assert.equal(j.head, 120);
  });

  test('join with since more than 1000 behind: the latest limit, recovered false', async () => {
    const w = await user('Flood Writer');
    const room = uniqueId('flood');
    await w.create(room);
    await w.join(room);
    await sendMany(w, room, 1006, (i) => `f${i + 1}`, () => ({}), scaled(60000));
    const r = await user('Late Reader', 'charity');
    // since=6 leaves exactly 1000 later messages: still recoverable.
    let j = await r.join(room, { since: 6 });
    assert.equal(j.recovered, true);
    assert.equal(j.messages.length, 1000);
    assert.deepEqual(seqsOf(j.messages), range(7, 1006));
    // since=5 leaves 1001: too many.
    j = await r.join(room, { since: 5 });
    assert.equal(j.recovered, false);
    assert.deepEqual(seqsOf(j.messages), range(957, 1006));
    j = await r.join(room, { since: 0, limit: 20 });
    assert.equal(j.recovered, false);
    assert.deepEqual(seqsOf(j.messages), range(987, 1006));
    assert.equal(j.head, 1006);
  });

  test('no live event is lost or repeated between joined and the first live event', async () => {
    const w = await user('Seam Writer');
    const room = uniqueId('seam');
    await w.create(room);
    await w.join(room);
    const total = 400;
    let lastAcked = 0;
    // Writer: a steady stream of sends, a few in flight at once.
    const writing = (async () => {
      for (let i = 0; i < total; i += 4) {
        const acks = await sendMany(w, room, 4, (k) => `seam ${i + k + 1}`);
        lastAcked = Math.max(lastAcked, ...acks.map((a) => a.seq));
      }
    })();
    // Joiners arrive while it writes, half with `since` a little in the past, half without.
    const joiners = [];
    for (let k = 0; k < 8; k++) {
      await sleep(scaled(20));
      const r = await connectAs(suite.server.wsUrl, `Seam Reader ${k}`, 'uni-essex');
      suite.clients.push(r);
      const withSince = k % 2 === 0;
      const since = Math.max(0, lastAcked - 3);
      const j = await r.join(room, withSince ? { since } : {});
      joiners.push({ r, j, withSince, since });
    }
    await writing;
    for (const { r, j, withSince, since } of joiners) {
      if (withSince) assert.equal(j.recovered, true);
      const first = withSince ? since + 1 : (j.messages.length ? j.messages[0].seq : j.head + 1);
      const live = await collectMessages(r, room, total - j.head);
      const all = [...seqsOf(j.messages), ...seqsOf(live)];
      assert.deepEqual(all, range(first, total),
        `joined(head ${j.head}) + live events are not gap-free and duplicate-free: ${all.slice(0, 20)}…`);
      await r.expectNone((f) => f.type === 'message' && f.room === room, scaled(100));
    }
  });
});

describe('leave', { timeout: scaled(30000) }, () => {
  test('left echoes the room; afterwards no events arrive and send is forbidden', async () => {
    const a = await user('Leaver');
    const b = await user('Stayer', 'police');
    const room = uniqueId('leave');
    await a.create(room);
    await a.join(room);
    await b.join(room);
    const left = await a.request({ type: 'leave', id: 5, room });
    assert.deepEqual(left, { type: 'left', re: 5, room });
    await b.say(room, 'after the leave');
    await collectMessages(b, room, 1);
    await a.sync();
    await a.expectNone((f) => f.type === 'message' && f.room === room);
    await expectError(a, { type: 'send', room, text: 'ghost' }, 'forbidden');
  });
});
