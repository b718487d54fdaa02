// Edits, deletions and removals (protocol/README.md "Edits, removal and search"): in place, seq
// order unchanged, live to everyone and in history, on the record, caught up with `changes` after
// a reconnect — on one node and through Redis across two nodes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { startCluster } from '../lib/cluster.mjs';
import { expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const { user } = serverForFile('edits-node');

const isChanged = (room, seq) => (f) => f.type === 'changed' && !('re' in f) && f.room === room && f.message.seq === seq;

async function roomWith(...members) {
  const room = uniqueId('edit');
  await members[0].create(room);
  for (const m of members) await m.join(room);
  return room;
}

describe('edit and delete one\'s own message', { timeout: scaled(60000) }, () => {
  test('an edit changes the message in place: reply, live event, history; seq order unchanged', async () => {
    const a = await user('Erin Editor');
    const b = await user('Ray Reader', 'nhs-trust');
    const room = await roomWith(a, b);
    const first = await a.say(room, 'Meeting on Tuesdya');
    await a.say(room, 'second');
    const reply = await a.request({ type: 'edit', room, seq: first.seq, text: 'Meeting on Tuesday' });
    assert.equal(reply.type, 'changed', JSON.stringify(reply));
    assert.equal(reply.version, 1);
    assert.equal(reply.message.seq, first.seq);
    assert.equal(reply.message.ts, first.ts, 'the message keeps its time');
    assert.equal(reply.message.text, 'Meeting on Tuesday');
    assert.ok(Number.isInteger(reply.message.edited_at) && reply.message.edited_at >= first.ts);
    assert.ok(!('deleted' in reply.message));
    const seen = await b.next(isChanged(room, first.seq));
    assert.deepEqual(seen.message, reply.message);
    assert.equal(seen.version, 1);
    // No new message: the next send gets the next seq and nobody saw a `message` for the edit.
    const third = await b.say(room, 'third');
    assert.equal(third.seq, 3);
    const messages = b.frames.filter((f) => f.type === 'message' && f.room === room).map((f) => f.seq);
    assert.deepEqual(messages, [1, 2, 3]);
    const history = await b.expectReply({ type: 'history', room }, 'history');
    assert.deepEqual(history.messages.map((m) => m.seq), [1, 2, 3]);
    assert.equal(history.messages[0].text, 'Meeting on Tuesday');
    assert.equal(history.messages[0].edited_at, reply.message.edited_at);
    const late = await user('Late Reader', 'police');
    const snapshot = await late.join(room);
    assert.equal(snapshot.messages[0].text, 'Meeting on Tuesday');
  });

  test('only the author edits or deletes, and only in a room joined; errors are clear', async () => {
    const a = await user('Ann Author');
    const b = await user('Bea Other', 'fire');
    const sameUserNotJoined = await user('Ann Author');
    const room = await roomWith(a, b);
    const sent = await a.say(room, 'mine');
    await expectError(b, { type: 'edit', room, seq: sent.seq, text: 'yours' }, 'forbidden');
    await expectError(b, { type: 'delete', room, seq: sent.seq }, 'forbidden');
    await expectError(sameUserNotJoined, { type: 'edit', room, seq: sent.seq, text: 'x' }, 'forbidden');
    await expectError(a, { type: 'edit', room, seq: 99, text: 'x' }, 'not_found');
    await expectError(a, { type: 'edit', room, seq: sent.seq, text: '' }, 'bad_request');
    await expectError(a, { type: 'edit', room, seq: 0, text: 'x' }, 'bad_request');
    // Nothing changed.
    const history = await a.expectReply({ type: 'history', room }, 'history');
    assert.equal(history.messages[0].text, 'mine');
    assert.ok(!('edited_at' in history.messages[0]));
  });

  test('a deletion leaves a tombstone everyone sees; it cannot be edited or deleted again', async () => {
    const a = await user('Dee Leter');
    const b = await user('Bo Watcher', 'charity');
    const room = await roomWith(a, b);
    const sent = await a.say(room, 'my phone number is 07000 000000');
    const reply = await a.expectReply({ type: 'delete', room, seq: sent.seq }, 'changed');
    assert.equal(reply.message.text, '');
    assert.deepEqual(reply.message.deleted.by, a.user);
    assert.ok(!('reason' in reply.message.deleted));
    const seen = await b.next(isChanged(room, sent.seq));
    assert.equal(seen.message.text, '');
    await expectError(a, { type: 'edit', room, seq: sent.seq, text: 'back' }, 'conflict');
    await expectError(a, { type: 'delete', room, seq: sent.seq }, 'conflict');
    const history = await b.expectReply({ type: 'history', room }, 'history');
    assert.equal(history.messages[0].text, '');
    assert.ok(!JSON.stringify(history).includes('07000'), 'the text is gone');
  });
});

describe('moderators remove a message with a reason', { timeout: scaled(60000) }, () => {
  test('the owner and facilitators may, members may not; the reason is shown and on the record', async () => {
    const owner = await user('Olu Owner');
    const facilitator = await user('Fay Facilitator', 'police');
    const member = await user('Max Member', 'charity');
    const room = await roomWith(owner, facilitator, member);
    await owner.expectReply({ type: 'role', room, user: facilitator.user.id, role: 'facilitator' }, 'ok');
    const first = await member.say(room, 'something off topic');
    const second = await owner.say(room, 'owner\'s own words');
    await expectError(member, { type: 'remove_message', room, seq: second.seq, reason: 'revenge' }, 'forbidden');
    await expectError(facilitator, { type: 'remove_message', room, seq: first.seq }, 'bad_request');
    const removed = await facilitator.expectReply(
      { type: 'remove_message', room, seq: first.seq, reason: 'Off topic: see the transport room' }, 'changed');
    assert.deepEqual(removed.message.deleted.by, facilitator.user);
    assert.equal(removed.message.deleted.reason, 'Off topic: see the transport room');
    assert.deepEqual(removed.message.from, member.user, 'the author stays known');
    const seen = await member.next(isChanged(room, first.seq));
    assert.equal(seen.message.deleted.reason, 'Off topic: see the transport room');
    await owner.expectReply({ type: 'remove_message', room, seq: second.seq, reason: 'Posted in error' }, 'changed');
    const record = await owner.expectReply({ type: 'export', room }, 'export');
    assert.match(record.markdown, /Removed by Fay Facilitator \(police\) on [^.]+\. Reason: Off topic: see the transport room/);
    assert.match(record.markdown, /Reason: Posted in error/);
    assert.ok(!record.markdown.includes('something off topic'), 'the removed text is not on the record');
  });
});

describe('catching up with changes', { timeout: scaled(60000) }, () => {
  test('a client that was away learns every change since the version it had, paged', async () => {
    const a = await user('Cat Chup');
    let b = await user('Ben Away', 'fire');
    const room = await roomWith(a, b);
    const sent = [];
    for (let i = 1; i <= 5; i++) sent.push(await a.say(room, `point ${i}`));
    const current = await b.expectReply({ type: 'changes', room }, 'changes');
    assert.deepEqual(current.messages, []);
    const known = current.version;
    await b.close();
    await a.request({ type: 'edit', room, seq: 2, text: 'point two, corrected' });
    await a.request({ type: 'delete', room, seq: 4 });
    await a.request({ type: 'edit', room, seq: 2, text: 'point two, corrected twice' });
    await a.request({ type: 'edit', room, seq: 5, text: 'point five, corrected' });
    b = await user('Ben Away', 'fire');
    await b.join(room, { since: 5 });
    const page1 = await b.expectReply({ type: 'changes', room, since: known, limit: 2 }, 'changes');
    assert.deepEqual(page1.messages.map((m) => m.seq), [4, 2], 'in the order of their last change');
    assert.equal(page1.more, true);
    assert.equal(page1.messages[1].text, 'point two, corrected twice');
    const page2 = await b.expectReply({ type: 'changes', room, since: page1.version, limit: 2 }, 'changes');
    assert.deepEqual(page2.messages.map((m) => m.seq), [5]);
    assert.equal(page2.more, false);
    assert.equal(page2.version, known + 4);
    await expectError(b, { type: 'changes', room: uniqueId('nowhere'), since: 0 }, 'not_found');
  });
});

describe('through Redis, across two nodes', { timeout: scaled(90000) }, () => {
  let cluster;
  before(async () => { cluster = await startCluster({ nodes: 2, name: 'edits' }); });
  after(async () => { await cluster?.stop(); });

  test('edits, deletions and removals reach the other node live, in history and in changes', async () => {
    const [n1, n2] = cluster.nodes;
    const a = await connectAs(n1.wsUrl, 'Nia Nodeone', 'essex-cc');
    const b = await connectAs(n2.wsUrl, 'Tom Nodetwo', 'nhs-trust');
    try {
      const room = uniqueId('redis-edit');
      await a.create(room);
      await a.join(room);
      await b.join(room);
      const one = await b.say(room, 'from node two, with a tpyo');
      const two = await a.say(room, 'from node one');
      await b.next((f) => f.type === 'message' && f.room === room && f.seq === two.seq);
      const edited = await b.expectReply({ type: 'edit', room, seq: one.seq, text: 'from node two, fixed' }, 'changed');
      const seen = await a.next(isChanged(room, one.seq), scaled(10000));
      assert.deepEqual(seen.message, edited.message);
      await a.expectReply({ type: 'remove_message', room, seq: one.seq, reason: 'duplicate' }, 'changed');
      const removed = await b.next((f) => isChanged(room, one.seq)(f) && f.version === 2, scaled(10000));
      assert.equal(removed.message.deleted.reason, 'duplicate');
      assert.equal(removed.version, 2);
      await expectError(b, { type: 'edit', room, seq: one.seq, text: 'again' }, 'conflict');
      await expectError(b, { type: 'delete', room, seq: two.seq }, 'forbidden');
      const history = await b.expectReply({ type: 'history', room }, 'history');
      assert.deepEqual(history.messages.map((m) => [m.seq, m.text]), [[1, ''], [2, 'from node one']]);
      assert.equal(history.messages[0].deleted.reason, 'duplicate');
      const changes = await a.expectReply({ type: 'changes', room, since: 0 }, 'changes');
      assert.deepEqual(changes.messages.map((m) => m.seq), [one.seq]);
      assert.equal(changes.version, 2);
      const three = await a.say(room, 'after the edits');
      assert.equal(three.seq, 3, 'edits never take a seq');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
