// Topics, read markers, mentions and the live room list on two real nodes over one real Redis:
// the same checks as topics.test.mjs, with the second person (or the same person's other device)
// connected to the other node, and every count read from Redis.
import { after, before, describe, test } from 'node:test';
import { connectAs } from '../lib/client.mjs';
import { startCluster } from '../lib/cluster.mjs';
import { scaled } from '../lib/server.mjs';
import { checkKeptMentions, checkMentions, checkReadMarkers, checkRoomListEvents, checkTopicHistory, checkTopics } from '../lib/topics.mjs';

let cluster;
const clients = [];
before(async () => { cluster = await startCluster({ nodes: 2, name: 'topics' }); });
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
});
const on = (node) => async (name, org = 'essex-cc') => {
  const c = await connectAs(cluster.nodes[node].wsUrl, name, org);
  clients.push(c);
  return c;
};

describe('two nodes over Redis', { timeout: scaled(90000) }, () => {
  test('topics: counts, last seq, unread and pages, from Redis', () => checkTopics(on(0)));
  test('one topic\'s history, from Redis', () => checkTopicHistory(on(1)));
  test('read markers follow the person to their connection on the other node', () => checkReadMarkers(on(0), on(1)));
  test('a mention reaches the named person on the other node', () => checkMentions(on(0), on(1)));
  test('mentions kept in Redis for whoever was away, counted on the other node', () => checkKeptMentions(on(0), on(1)));
  test('room list changes reach connections on the other node; breakout groups archived', () =>
    checkRoomListEvents(on(0), on(1)));
});
