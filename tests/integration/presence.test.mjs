// protocol.md "Presence": join/leave/update events to others, a user with several connections
// counted once (leave only when the last one leaves or closes, abruptly too), status away/online.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { assertPresenceEntry, expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const { user } = serverForFile('presence-node');

const presenceOf = (room, userId) => (f) => f.type === 'presence' && !('re' in f) && f.room === room && f.user?.id === userId;

describe('presence', { timeout: scaled(30000) }, () => {
  test('others get join when a user\'s first connection joins and leave when the last one leaves', async () => {
    const a = await user('Alice Watch');
    const b1 = await user('Bob Twotabs', 'nhs-trust');
    const b2 = await user('Bob Twotabs', 'nhs-trust');
    const room = uniqueId('pres');
    await a.create(room);
    await a.join(room);

    const j1 = await b1.join(room);
    const ev = await a.next(presenceOf(room, b1.user.id));
    assert.deepEqual(ev, { type: 'presence', room, event: 'join', user: b1.user, state: 'online' });
    // joined.presence lists both users once each.
    j1.presence.forEach(assertPresenceEntry);
    assert.deepEqual(j1.presence.map((p) => p.user.id).sort(), [a.user.id, b1.user.id].sort());

    const j2 = await b2.join(room);
    assert.equal(j2.presence.filter((p) => p.user.id === b1.user.id).length, 1, 'one user counts once');
    await a.sync();
    await a.expectNone(presenceOf(room, b1.user.id), scaled(200));

    await b1.expectReply({ type: 'leave', room }, 'left');
    await a.sync();
    await a.expectNone(presenceOf(room, b1.user.id), scaled(200));
    const aJoin = await a.join(room);  // a re-join reports the current presence
    assert.ok(aJoin.presence.some((p) => p.user.id === b1.user.id), 'still present through the second connection');

    await b2.expectReply({ type: 'leave', room }, 'left');
    const leave = await a.next(presenceOf(room, b1.user.id));
    assert.equal(leave.event, 'leave');
    assert.deepEqual(leave.user, b1.user);
    const after = await a.join(room);
    assert.ok(!after.presence.some((p) => p.user.id === b1.user.id));
  });

  test('closing the last connection, even abruptly, is a leave; closing one of two is not', async () => {
    const a = await user('Carol Watch');
    const d1 = await user('Dan Closer', 'police');
    const d2 = await user('Dan Closer', 'police');
    const room = uniqueId('close');
    await a.create(room);
    await a.join(room);
    await d1.join(room);
    await d2.join(room);
    assert.equal((await a.next(presenceOf(room, d1.user.id))).event, 'join');

    await d1.close();
    await a.sync();
    await a.expectNone(presenceOf(room, d1.user.id), scaled(300));

    await d2.terminate();  // no close frame: the TCP connection just goes
    const leave = await a.next(presenceOf(room, d1.user.id), scaled(10000));
    assert.equal(leave.event, 'leave');
  });

  test('status away/online: update events in every room the user joined', async () => {
    const a = await user('Erin Watch');
    const f = await user('Fay Status', 'fire');
    const r1 = uniqueId('st1');
    const r2 = uniqueId('st2');
    for (const r of [r1, r2]) {
      await a.create(r);
      await a.join(r);
      await f.join(r);
      assert.equal((await a.next(presenceOf(r, f.user.id))).event, 'join');
    }
    f.send({ type: 'status', state: 'away' });
    for (const r of [r1, r2]) {
      const up = await a.next(presenceOf(r, f.user.id));
      assert.deepEqual(up, { type: 'presence', room: r, event: 'update', user: f.user, state: 'away' });
    }
    const seen = await a.join(r1);
    assert.equal(seen.presence.find((p) => p.user.id === f.user.id)?.state, 'away');
    f.send({ type: 'status', state: 'online' });
    for (const r of [r1, r2]) {
      const up = await a.next(presenceOf(r, f.user.id));
      assert.deepEqual(up, { type: 'presence', room: r, event: 'update', user: f.user, state: 'online' });
    }
  });

  test('status with a bad state is bad_request; presence of others is unaffected', async () => {
    const g = await user('Gil Status', 'charity');
    await expectError(g, { type: 'status', state: 'busy' }, 'bad_request');
    await expectError(g, { type: 'status' }, 'bad_request');
  });
});
