// "redis":"up" on /healthz means the node hears the other nodes, not only that it is connected:
// what is published on pub/sub before a node is subscribed is lost to it. Checked where a node is
// connected but not yet subscribed — started before Redis answers, and after its subscriber
// connection is dropped — with a notice (a read marker for the same person on another node) sent
// the moment every node says "up".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { figure, health, ownNodes, untilNodesHearEachOther } from '../lib/cluster.mjs';
import { assertOk } from '../lib/facilitation.mjs';
import { startRedis } from '../lib/redis.mjs';
import { freePort, scaled } from '../lib/server.mjs';

const { cleanups, node, person: personIn } = ownNodes();
const person = (server, name) => personIn(server, name, 'police');

// The same person on `writerNode` and `readerNode`: marking a room read on the first must reach
// the second at once.
async function readMarkerCrosses(writerNode, readerNode, name) {
  const writer = await person(writerNode, name);
  const elsewhere = await person(readerNode, name);
  assert.equal(elsewhere.user.id, writer.user.id);
  const room = uniqueId('ready');
  await writer.create(room);
  await writer.join(room);
  await writer.say(room, 'one');
  const started = Date.now();
  assertOk(await writer.request({ type: 'read', room, seq: 1 }));
  const moved = await elsewhere.next((f) => f.type === 'read' && f.room === room, scaled(5000),
    `the read marker on ${readerNode.nodeId}`);
  assert.deepEqual(moved, { type: 'read', room, topic: null, seq: 1 });
  return Date.now() - started;
}

test('a node started before Redis answers says "up" only once it hears the others', { timeout: scaled(60000) }, async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const early = await node(url, 'ready-early');
  assert.equal((await health(early))?.redis, 'down', 'no Redis yet');
  const redis = await startRedis({ port });
  cleanups.push(() => redis.stop());
  const startedAt = Date.now();
  const later = await node(url, 'ready-later');
  await untilNodesHearEachOther([early, later]);
  const upIn = Date.now() - startedAt;
  // Both ways, the moment both say "up".
  const [toEarly, toLater] = await Promise.all([
    readMarkerCrosses(later, early, 'Rita Ready'),
    readMarkerCrosses(early, later, 'Remy Ready'),
  ]);

  // Every subscriber connection dropped: "down" until each node has subscribed again.
  const killed = await redis.command('CLIENT KILL TYPE pubsub');
  assert.match(killed, /^:2/, `both subscriber connections killed: ${killed}`);
  const killedAt = Date.now();
  await untilNodesHearEachOther([early, later]);
  const restoredIn = Date.now() - killedAt;
  const afterDrop = await readMarkerCrosses(later, early, 'Rosa Resubscribed');
  figure(`readiness: both nodes "up" ${upIn} ms after Redis started; a read marker crossed in ${toEarly} / ${toLater} ms; `
    + `after CLIENT KILL TYPE pubsub "up" again in ${restoredIn} ms, a marker crossed in ${afterDrop} ms`);
});
