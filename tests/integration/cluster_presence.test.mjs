// Presence across three real nodes on one real Redis: join/leave/update and typing reach the room's
// members on other nodes, a user connected through two nodes counts once, and when a node is killed
// with SIGKILL its users leave presence within the TTL plus a sweep (30 s with the real timings;
// here the test-only flags make it ~3 s) while everyone else notices nothing else: their
// connections stay open, messages keep flowing gap-free, no other presence event arrives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { FAST_PRESENCE, FAST_PRESENCE_ARGS, figure, isMessage, isPresence, sequenceProblem, startCluster } from '../lib/cluster.mjs';
import { UNTHROTTLED, scaled, sleep } from '../lib/server.mjs';

let cluster;
const clients = [];
before(async () => {
  cluster = await startCluster({ nodes: 3, name: 'presence', args: [...UNTHROTTLED, ...FAST_PRESENCE_ARGS] });
});
const { ttlMs, refreshMs, sweepMs } = FAST_PRESENCE;
const EXPIRY_LIMIT_MS = ttlMs + sweepMs + scaled(1000);  // the rule, plus delivery
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function user(nodeIndex, name, org) {
  const c = await connectAs(cluster.nodes[nodeIndex].wsUrl, name, org);
  c.label = `${name}@node${nodeIndex + 1}`;
  clients.push(c);
  return c;
}

const ids = (joined) => joined.presence.map((p) => p.user.id).sort();

test('presence, status and typing reach members on other nodes; a user on two nodes counts once', { timeout: scaled(30000) }, async () => {
  const room = uniqueId('xpres');
  const ann = await user(0, 'Ann Council', 'essex-cc');
  const ben = await user(1, 'Ben Health', 'nhs-mse');
  const cat2 = await user(1, 'Cat Campus', 'uni-essex');  // Cat has a tab on node 2...
  const cat3 = await user(2, 'Cat Campus', 'uni-essex');  // ...and one on node 3
  assert.equal(cat2.user.id, cat3.user.id, 'same name and org: the same user on every node');
  await ann.create(room);
  await ann.join(room);

  const benJoined = await ben.join(room);
  assert.deepEqual(ids(benJoined), [ann.user.id, ben.user.id].sort(), 'node 2 sees Ann, joined on node 1');
  assert.deepEqual(await ann.next(isPresence(room, ben.user.id)),
    { type: 'presence', room, event: 'join', user: ben.user, state: 'online' });

  // Cat's first connection (node 2) is a join for the others; her second (node 3) is not.
  await cat2.join(room);
  for (const c of [ann, ben]) assert.equal((await c.next(isPresence(room, cat2.user.id))).event, 'join');
  const catJoined = await cat3.join(room);
  assert.deepEqual(ids(catJoined), [ann.user.id, ben.user.id, cat2.user.id].sort(), 'Cat listed once');
  assert.equal(catJoined.presence.length, 3);
  for (const c of [ann, ben]) {
    await c.sync();
    await c.expectNone(isPresence(room, cat2.user.id), scaled(300));
  }
  const rooms = await ben.expectReply({ type: 'rooms' }, 'rooms');
  assert.equal(rooms.rooms.find((r) => r.id === room)?.online, 3, 'online counts users, not connections, across nodes');

  // A status change on node 1 is an update on nodes 2 and 3.
  ann.send({ type: 'status', state: 'away', id: undefined });
  for (const c of [ben, cat2, cat3]) {
    assert.deepEqual(await c.next(isPresence(room, ann.user.id)),
      { type: 'presence', room, event: 'update', user: ann.user, state: 'away' });
  }
  const seen = await (await user(2, 'Dee Late', 'police')).join(room);
  assert.equal(seen.presence.find((p) => p.user.id === ann.user.id)?.state, 'away', 'a join on node 3 sees the state set on node 1');

  // Typing on node 3 shows on nodes 1 and 2, not to the typist's own other tab as someone else.
  cat3.send({ type: 'typing', room, topic: 'general', id: undefined });
  for (const c of [ann, ben]) {
    const typing = await c.next((f) => f.type === 'typing' && f.room === room);
    assert.deepEqual(typing.user, cat3.user);
  }

  // Cat closes the node 3 tab: still present through node 2. Closing that one too is a leave.
  await cat3.close();
  for (const c of [ann, ben]) {
    await c.sync();
    await c.expectNone(isPresence(room, cat2.user.id), scaled(300));
  }
  await cat2.terminate();
  for (const c of [ann, ben]) {
    const leave = await c.next(isPresence(room, cat2.user.id));
    assert.equal(leave.event, 'leave');
    assert.deepEqual(leave.user, cat2.user);
  }
});

test('kill -9 of a node: its users leave presence within the TTL and a sweep, the others notice nothing else', { timeout: scaled(60000) }, async () => {
  const room = uniqueId('kill');
  const obs1 = await user(0, 'Olive Observer', 'essex-cc');
  const obs2 = await user(1, 'Oscar Observer', 'nhs-mse');
  const doomed = await user(2, 'Dora Doomed', 'charity');         // only on node 3
  const both3 = await user(2, 'Eli Everywhere', 'residents');     // on node 3...
  const both1 = await user(0, 'Eli Everywhere', 'residents');     // ...and on node 1
  await obs1.create(room);
  for (const c of [obs1, obs2, doomed, both3, both1]) await c.join(room);
  await doomed.say(room, 'Last words from node 3');
  await both3.say(room, 'Also from node 3');
  for (const c of [obs1, obs2]) await c.collect(isMessage(room), 2);
  // Everyone's presence events so far are taken: from here on only Dora's leave may arrive.
  for (const c of [obs1, obs2, both1]) {
    await c.sync();
    for (const f of c.pending(isPresence(room))) c.consumed.add(c.frames.indexOf(f));
  }

  // Chat goes on from nodes 1 and 2 while node 3 lies dead.
  let chatting = true;
  let sent = 2;
  const chatter = (async () => {
    while (chatting) {
      await obs1.say(room, `node 1 still here ${sent}`);
      sent++;
      await obs2.say(room, `node 2 still here ${sent}`);
      sent++;
      await sleep(250);
    }
  })();

  const killedAt = Date.now();
  await cluster.nodes[2].kill9();
  const leaves = await Promise.all([obs1, obs2, both1].map(async (c) => {
    const leave = await c.next(isPresence(room, doomed.user.id), EXPIRY_LIMIT_MS + scaled(5000));
    return { leave, ms: Date.now() - killedAt };
  }));
  chatting = false;
  await chatter;

  for (const { leave, ms } of leaves) {
    assert.equal(leave.event, 'leave');
    assert.deepEqual(leave.user, doomed.user);
    assert.ok(ms <= EXPIRY_LIMIT_MS, `leave announced ${ms} ms after the kill (limit ${EXPIRY_LIMIT_MS} ms)`);
    // Not before the entry's deadline: the last refresh was at most refreshMs before the kill.
    assert.ok(ms >= ttlMs - refreshMs - 100, `leave announced ${ms} ms after the kill, before the TTL (${ttlMs} ms) ran out`);
  }
  const slowest = Math.max(...leaves.map((l) => l.ms));
  figure(`presence after kill -9: ${leaves.length} clients on 2 surviving nodes saw the killed node's user leave after `
    + `${leaves.map((l) => l.ms).join(' / ')} ms (ttl ${ttlMs}, refresh ${refreshMs}, sweep ${sweepMs}: limit `
    + `${EXPIRY_LIMIT_MS}); ${sent} messages sent meanwhile`);

  // Nothing else: no leave for Eli (still on node 1), no second leave, no error, no closed socket.
  await sleep(refreshMs + 4 * sweepMs);  // further sweep rounds and a refresh
  for (const c of [obs1, obs2, both1]) {
    await c.sync();
    assert.deepEqual(c.pending(isPresence(room)), [], `${c.label}: only Dora's leave`);
    assert.deepEqual(c.frames.filter((f) => f.type === 'error'), [], `${c.label}: no error`);
    assert.ok(c.isOpen, `${c.label}: connection still open`);
    const problem = sequenceProblem(c.frames.filter(isMessage(room)), 1, sent);
    assert.equal(problem, null, `${c.label}: ${problem}`);
  }
  const after = await obs2.join(room);
  assert.deepEqual(ids(after), [obs1.user.id, obs2.user.id, both1.user.id].sort(), 'Dora is gone, Eli stays');
  const rooms = await obs1.expectReply({ type: 'rooms' }, 'rooms');
  assert.equal(rooms.rooms.find((r) => r.id === room)?.online, 3);
  assert.ok(slowest <= EXPIRY_LIMIT_MS);
});
