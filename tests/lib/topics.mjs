// The checks of topics, read markers, mentions and the live room list, shared by the one-node and
// the two-node (Redis) test files. Each takes `user(name, org)` factories: on two nodes the second
// factory connects to the other node.
import assert from 'node:assert/strict';
import { uniqueId } from './client.mjs';
import { assertOk } from './facilitation.mjs';

const isRoomList = (id) => (f) => f.type === 'room_list' && !('re' in f) && f.room?.id === id;

async function roomWithTopics(user, name) {
  const author = await user(name);
  const room = uniqueId('topics');
  await author.create(room, { title: 'Topics' });
  await author.join(room);
  // budget: 3, parking: 2, budget again: 1 → budget is the most recent
  const plan = ['budget', 'budget', 'parking', 'budget', 'parking', 'events'];
  const seqs = {};
  for (const topic of plan) {
    const sent = await author.expectReply({ type: 'send', room, topic, text: `about ${topic}` }, 'sent');
    (seqs[topic] ??= []).push(sent.seq);
  }
  return { author, room, seqs };
}

export async function checkTopics(user) {
  const { room, seqs } = await roomWithTopics(user, 'Tina Topics');
  const reader = await user('Rob Reader', 'nhs-mse');
  const reply = await reader.expectReply({ type: 'topics', room }, 'topics');
  assert.equal(reply.room, room);
  assert.deepEqual(reply.topics.map((t) => [t.topic, t.count, t.last_seq, t.unread]), [
    ['events', 1, 6, 1], ['parking', 2, 5, 2], ['budget', 3, 4, 3],
  ]);
  assert.ok(reply.topics.every((t) => t.last_ts > 1_600_000_000_000));
  assert.equal(reply.next, undefined);
  // Pages: limit 2, then from `next`.
  const first = await reader.expectReply({ type: 'topics', room, limit: 2 }, 'topics');
  assert.deepEqual(first.topics.map((t) => t.topic), ['events', 'parking']);
  assert.equal(first.next, 5);
  const second = await reader.expectReply({ type: 'topics', room, limit: 2, before: first.next }, 'topics');
  assert.deepEqual(second.topics.map((t) => t.topic), ['budget']);
  assert.equal(second.next, undefined);
  assert.deepEqual(seqs.budget, [1, 2, 4]);
}

export async function checkTopicHistory(user) {
  const { author, room } = await roomWithTopics(user, 'Hana History');
  const texts = (reply) => reply.messages.map((m) => [m.seq, m.topic]);
  const all = await author.expectReply({ type: 'history', room, topic: 'budget' }, 'history');
  assert.deepEqual(texts(all), [[1, 'budget'], [2, 'budget'], [4, 'budget']]);
  const older = await author.expectReply({ type: 'history', room, topic: 'budget', before: 4, limit: 1 }, 'history');
  assert.deepEqual(texts(older), [[2, 'budget']]);
  const newer = await author.expectReply({ type: 'history', room, topic: 'budget', after: 1, limit: 1 }, 'history');
  assert.deepEqual(texts(newer), [[2, 'budget']]);
  const none = await author.expectReply({ type: 'history', room, topic: 'nothing here' }, 'history');
  assert.deepEqual(none.messages, []);
  // The whole room is unchanged by the topic filter.
  const whole = await author.expectReply({ type: 'history', room }, 'history');
  assert.equal(whole.messages.length, 6);
}

const listing = async (client, room) => {
  let after;
  for (;;) {
    const page = await client.expectReply({ type: 'rooms', ...(after ? { after } : {}) }, 'rooms');
    const found = page.rooms.find((r) => r.id === room);
    if (found || !page.next) return found;
    after = page.next;
  }
};

export async function checkReadMarkers(user, otherUser = user) {
  const { author, room } = await roomWithTopics(user, 'Mark Marker');
  const reader = await user('Rhea Reads', 'police');
  const readerElsewhere = await otherUser('Rhea Reads', 'police');  // the same person, another device
  assert.equal(readerElsewhere.user.id, reader.user.id);
  let entry = await listing(reader, room);
  assert.equal(entry.last_seq, 6);
  assert.equal(entry.read, 0);
  // Reading the room up to 4: the room's marker, and every topic's unread after it.
  assertOk(await reader.request({ type: 'read', room, seq: 4 }));
  const moved = await readerElsewhere.next((f) => f.type === 'read' && f.room === room);
  assert.deepEqual(moved, { type: 'read', room, topic: null, seq: 4 });
  entry = await listing(readerElsewhere, room);
  assert.equal(entry.read, 4);
  let topics = await reader.expectReply({ type: 'topics', room }, 'topics');
  assert.deepEqual(topics.topics.map((t) => [t.topic, t.unread]), [['events', 1], ['parking', 1], ['budget', 0]]);
  // One topic read to its end.
  assertOk(await reader.request({ type: 'read', room, topic: 'parking', seq: 5 }));
  const topicMoved = await readerElsewhere.next((f) => f.type === 'read' && f.room === room && f.topic === 'parking');
  assert.equal(topicMoved.seq, 5);
  topics = await readerElsewhere.expectReply({ type: 'topics', room }, 'topics');
  assert.deepEqual(topics.topics.map((t) => [t.topic, t.unread]), [['events', 1], ['parking', 0], ['budget', 0]]);
  // Markers never go back; the author's own are separate: they wrote every word, so they have read it.
  assertOk(await reader.request({ type: 'read', room, seq: 2 }));
  const kept = await readerElsewhere.next((f) => f.type === 'read' && f.room === room && f.topic === null);
  assert.equal(kept.seq, 4, 'the marker as stored: it did not go back');
  assert.equal((await listing(reader, room)).read, 4);
  assert.equal((await listing(author, room)).read, 6);
  topics = await author.expectReply({ type: 'topics', room }, 'topics');
  assert.deepEqual(topics.topics.map((t) => [t.topic, t.unread]), [['events', 0], ['parking', 0], ['budget', 0]]);
  // A new message: last_seq moves on, for its author read as soon as it is acknowledged.
  await author.expectReply({ type: 'send', room, topic: 'events', text: 'one more' }, 'sent');
  assert.equal((await listing(reader, room)).last_seq, 7);
  assert.deepEqual(await listing(author, room).then((e) => [e.last_seq, e.read]), [7, 7]);
  // Someone else's words the author has not read stay unread, and so does the answer after them.
  await reader.join(room);
  await reader.expectReply({ type: 'send', room, topic: 'events', text: 'from the reader' }, 'sent');
  await author.expectReply({ type: 'send', room, topic: 'events', text: 'an answer' }, 'sent');
  assert.deepEqual(await listing(author, room).then((e) => [e.last_seq, e.read]), [9, 7]);
}

export async function checkMentions(user, otherUser = user) {
  const sender = await user('Sam Sender');
  const room = uniqueId('mention');
  await sender.create(room, { title: 'Mentions' });
  await sender.join(room);
  const named = await otherUser('Nadia Named', 'nhs-mse');
  await named.join(room);
  await named.expectReply({ type: 'leave', room }, 'left');  // not viewing the room any more
  const samira = await user('Samira Similar', 'police');
  await samira.join(room);
  const sent = await sender.expectReply(
    { type: 'send', room, topic: 'budget', text: 'Could @nadia named check this? cc @Sam Sender' }, 'sent');
  const mention = await named.next((f) => f.type === 'mention');
  assert.equal(mention.room, room);
  assert.equal(mention.seq, sent.seq);
  assert.equal(mention.topic, 'budget');
  assert.equal(mention.from.id, sender.user.id);
  assert.match(mention.text, /@nadia named/);
  // "@Sam Sender" is the sender: no mention to themself; nobody else is named.
  await sender.expectNone((f) => f.type === 'mention', 300);
  await samira.expectNone((f) => f.type === 'mention', 0);
  // The full display name names; a part of it, or the name run on into other letters, does not.
  await sender.expectReply({ type: 'send', room, text: 'over to @SAMIRA SIMILAR.' }, 'sent');
  assert.equal((await samira.next((f) => f.type === 'mention')).text, 'over to @SAMIRA SIMILAR.');
  await sender.expectReply({ type: 'send', room, text: '@Sam and @Samira and @Samira Similarly' }, 'sent');
  await samira.expectNone((f) => f.type === 'mention', 300);
  await named.expectNone((f) => f.type === 'mention', 0);
}

/** Mentions are kept for whoever was away: `rooms` counts them after the person's marker. */
export async function checkKeptMentions(user, otherUser = user) {
  const sender = await user('Kit Keeper');
  const room = uniqueId('kept');
  await sender.create(room, { title: 'Kept mentions' });
  await sender.join(room);
  const away = await user('Ola Offline', 'fire');
  await away.join(room);
  await away.close();  // offline: no connection hears the mention events
  const first = await sender.expectReply({ type: 'send', room, text: '@Ola Offline can you take this?' }, 'sent');
  await sender.expectReply({ type: 'send', room, text: 'nobody named here' }, 'sent');
  const second = await sender.expectReply({ type: 'send', room, text: 'and this, @ola offline' }, 'sent');
  const back = await otherUser('Ola Offline', 'fire');  // back, maybe on another node
  let entry = await listing(back, room);
  assert.deepEqual([entry.last_seq, entry.read, entry.mentions], [second.seq, 0, 2]);
  assert.equal((await listing(sender, room)).mentions, 0, 'the sender was not named');
  // Reading past the first leaves the second; reading to the end clears them.
  assertOk(await back.request({ type: 'read', room, seq: first.seq }));
  entry = await listing(back, room);
  assert.equal(entry.mentions, 1);
  assertOk(await back.request({ type: 'read', room, seq: second.seq }));
  entry = await listing(back, room);
  assert.equal(entry.mentions, 0);
}

export async function checkRoomListEvents(user, otherUser = user) {
  const host = await user('Liv Lister');
  const watcher = await otherUser('Wes Watcher', 'police');
  await watcher.expectReply({ type: 'rooms' }, 'rooms');
  const room = uniqueId('live');
  await host.create(room, { title: 'Live list', kind: 'session' });
  const created = await watcher.next(isRoomList(room));
  assert.equal(created.event, 'upsert');
  assert.equal(created.room.title, 'Live list');
  assert.equal(created.room.kind, 'session');
  assertOk(await host.request({ type: 'room', room, title: 'Renamed live list' }));
  const renamed = await watcher.next(isRoomList(room));
  assert.equal(renamed.room.title, 'Renamed live list');

  // Breakout groups: listed under their session, archived when their groups close.
  await host.join(room);
  for (const [name, org] of [['Ann Breakout', 'nhs-mse'], ['Bea Breakout', 'police'], ['Cal Breakout', 'fire']]) {
    await (await user(name, org)).join(room);
  }
  assertOk(await host.request({ type: 'breakout', room, action: 'open', groups: 2, strategy: 'random' }));
  const groups = [`${room}~1`, `${room}~2`];
  for (const group of groups) {
    const listed = await watcher.next(isRoomList(group));
    assert.equal(listed.room.parent, room);
    assert.equal(listed.room.kind, 'breakout');
    assert.equal(listed.room.archived, undefined);
  }
  const entry = await listing(watcher, groups[0]);
  assert.equal(entry.parent, room);
  await host.join(groups[0]);
  await host.expectReply({ type: 'send', room: groups[0], text: 'in the group' }, 'sent');
  assertOk(await host.request({ type: 'breakout', room, action: 'close' }));
  for (const group of groups) {
    const archived = await watcher.next((f) => isRoomList(group)(f) && f.room.archived === true);
    assert.equal(archived.event, 'upsert');
  }
  assert.equal(await listing(watcher, groups[0]), undefined, 'archived rooms are left out of the default list');
  const all = await watcher.expectReply({ type: 'rooms', archived: true, limit: 500 }, 'rooms');
  assert.ok(all.rooms.some((r) => r.id === groups[0] && r.archived === true) || all.next, JSON.stringify(all).slice(0, 300));
  // Still readable.
  const history = await host.expectReply({ type: 'history', room: groups[0] }, 'history');
  assert.equal(history.messages.at(-1).text, 'in the group');
}
