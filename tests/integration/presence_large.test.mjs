// protocol/README.md "Large rooms": a join with `presence_limit` gets a first page of presence,
// the count and a cursor; `presence_page` pages the rest; changes come coalesced in
// `presence_batch` events (at most one per --presence-flush-ms in a busy room). A client written
// to the contract, in the same room, still gets the whole list and an event per change. On one
// node and on two nodes sharing a real Redis.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { startCluster, waitUntil } from '../lib/cluster.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const FLUSH_MS = 300;
const ARGS = [...UNTHROTTLED, '--presence-immediate-below', '4', '--presence-flush-ms', String(FLUSH_MS)];
const PEOPLE = 24;

const clients = [];
after(async () => { await Promise.allSettled(clients.map((c) => c.close())); });

async function connect(url, name) {
  const c = await connectAs(url, name, 'essex-cc');
  clients.push(c);
  return c;
}

// Every user present, by paging from `joined` on.
async function everyone(client, room, joined, limit, pageMax) {
  const seen = new Map(joined.presence.map((p) => [p.user.id, p]));
  let next = joined.presence_next;
  let pages = 0;
  while (next) {
    const page = await client.expectReply({ type: 'presence_page', room, after: next, limit }, 'presence_page');
    assert.ok(page.presence.length <= pageMax + 16, 'a page is about `limit` long');
    for (const p of page.presence) seen.set(p.user.id, p);
    assert.equal(typeof page.online, 'number');
    next = page.next;
    assert.ok(++pages < 100, 'paging ends');
  }
  return seen;
}

// The users a client has seen join minus those it saw leave, through batches (or plain events).
function presenceTracker(client, room) {
  const present = new Set();
  const batches = [];
  client.ws.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.room !== room) return;
    const changes = frame.type === 'presence_batch' ? frame.changes : frame.type === 'presence' && !('re' in frame) ? [frame] : [];
    if (frame.type === 'presence_batch') batches.push({ at: Date.now(), frame });
    for (const change of changes) {
      assert.equal(change.type, 'presence');
      if (change.event === 'leave') present.delete(change.user.id); else present.add(change.user.id);
    }
  });
  return { present, batches };
}

// Redis hands a small hash (up to 128 entries, its compact encoding) back whole in one scan.
const REDIS_WHOLE_HASH = 128;

async function scenario(urls) {
  const pageMax = (limit) => (urls.length > 1 ? Math.max(limit, REDIS_WHOLE_HASH) : limit);
  const room = uniqueId('big');
  const owner = await connect(urls[0], 'Owner Big');
  await owner.create(room);
  const ownerJoined = await owner.join(room, { presence_limit: 5 });
  assert.equal(ownerJoined.online, 1);
  assert.equal(ownerJoined.presence_next, null);
  const ownerSees = presenceTracker(owner, room);
  // A contract client: the whole list, one `presence` event per change, never a batch.
  const plain = await connect(urls[urls.length - 1], 'Plain Client');
  const plainJoined = await plain.join(room);
  assert.ok(!('online' in plainJoined) && !('presence_next' in plainJoined), 'the contract\'s joined, unchanged');
  const plainSees = presenceTracker(plain, room);

  const people = [];
  for (let i = 0; i < PEOPLE; i++) people.push(await connect(urls[i % urls.length], `Person ${i} Big`));
  await Promise.all(people.map((p) => p.join(room, { presence_limit: 5 })));

  // The last one to join pages everyone.
  const late = await connect(urls[0], 'Late Comer');
  const lateJoined = await late.join(room, { presence_limit: 7 });
  assert.ok(lateJoined.presence.length <= pageMax(7));
  assert.equal(lateJoined.online, PEOPLE + 3);
  assert.equal(typeof lateJoined.presence_next, 'string');
  const all = await everyone(late, room, lateJoined, 7, pageMax(7));
  assert.equal(all.size, PEOPLE + 3, 'paging lists every user present');
  for (const p of [owner, plain, ...people, late]) assert.ok(all.has(p.user.id));

  // The owner hears of everyone through batches carrying the count; the contract client event by event.
  const expected = [plain, ...people, late].map((p) => p.user.id);
  await waitUntil(() => expected.every((id) => ownerSees.present.has(id)), { what: 'owner saw every join' });
  assert.ok(ownerSees.batches.length >= 1);
  const last = ownerSees.batches.at(-1).frame;
  assert.equal(last.online, PEOPLE + 3);
  // Coalesced: far fewer frames than changes, and a busy room's batches are spaced by the interval.
  assert.ok(ownerSees.batches.length < PEOPLE, `${ownerSees.batches.length} batches for ${PEOPLE + 1} joins`);
  // Once the room is busy on the owner's node (--presence-immediate-below 4), batches are spaced
  // by the flush interval (less timer slack).
  const busy = ownerSees.batches.filter((b) => b.frame.online >= 4 * urls.length + 2);
  for (let i = 1; i < busy.length; i++) {
    assert.ok(busy[i].at - busy[i - 1].at >= FLUSH_MS * 0.5, `batches spaced out: ${busy[i].at - busy[i - 1].at} ms`);
  }
  await waitUntil(() => [...people, late].every((p) => plainSees.present.has(p.user.id)), { what: 'the contract client saw every join as an event' });
  assert.equal(plainSees.batches.length, 0, 'no batch for a contract client');

  // Leaves come through too.
  await people[0].expectReply({ type: 'leave', room }, 'left');
  await people[1].close();
  await waitUntil(() => !ownerSees.present.has(people[0].user.id) && !ownerSees.present.has(people[1].user.id),
    { what: 'owner saw the leaves' });
  await waitUntil(() => !plainSees.present.has(people[0].user.id) && !plainSees.present.has(people[1].user.id),
    { what: 'the contract client saw the leaves' });
}

describe('large rooms: paged and coalesced presence', { timeout: scaled(60000) }, () => {
  test('one node', async () => {
    const server = await startServer({ nodeId: 'big-node', args: ARGS });
    try {
      await scenario([server.wsUrl]);
      // presence_page needs the room joined; bad input is refused.
      const stranger = await connect(server.wsUrl, 'Stranger Big');
      const room = uniqueId('big');
      await stranger.create(room);
      const refused = await stranger.expectReply({ type: 'presence_page', room }, 'error');
      assert.equal(refused.code, 'forbidden');
      const bad = await stranger.expectReply({ type: 'join', room, presence_limit: 0 }, 'error');
      assert.equal(bad.code, 'bad_request');
    } finally {
      await server.stop();
    }
  });

  test('two nodes through Redis', async () => {
    const cluster = await startCluster({ nodes: 2, name: 'bigpres', args: ARGS });
    try {
      await scenario(cluster.nodes.map((n) => n.wsUrl));
    } finally {
      await cluster.stop();
    }
  });
});
