// Topics as threads, read markers, mentions and the live room list over real sockets, one node
// (topics_cluster.test.mjs runs the same rules on two nodes over Redis).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';
import { checkTopics, checkTopicHistory, checkReadMarkers, checkMentions, checkKeptMentions, checkRoomListEvents } from '../lib/topics.mjs';

const suite = serverForFile('topics-node');
const users = () => suite.user;

describe('topics', { timeout: scaled(60000) }, () => {
  test('a room lists its topics, newest activity first, with counts, last seq and unread; pages', () =>
    checkTopics(users()));
  test('history with a topic reads just that topic, paged with before and after', () => checkTopicHistory(users()));
  test('bad topic requests are refused and cost nothing', async () => {
    const c = await suite.user('Topic Refuser');
    await expectError(c, { type: 'topics', room: uniqueId('none') }, 'not_found');
    await expectError(c, { type: 'topics', room: 'x', limit: 201 }, 'bad_request');
    await expectError(c, { type: 'history', room: 'x', topic: '' }, 'bad_request');
    await expectError(c, { type: 'history', room: 'x', topic: 'y'.repeat(61) }, 'bad_request');
    await expectError(c, { type: 'read', room: 'x' }, 'bad_request');
    await expectError(c, { type: 'read', room: 'x', seq: -1 }, 'bad_request');
    await expectError(c, { type: 'read', room: uniqueId('none'), seq: 1 }, 'not_found');
    assert.equal((await c.request({ type: 'ping' })).type, 'pong');
  });
});

describe('read markers', { timeout: scaled(60000) }, () => {
  test('kept per person on the server: rooms carry last_seq and read; topics count unread after it; they follow the person', () =>
    checkReadMarkers(users()));
});

describe('mentions', { timeout: scaled(60000) }, () => {
  test('@Name sends a mention to that person wherever they are, and to nobody else', () => checkMentions(users()));
  test('mentions are kept for whoever was away: rooms counts them after their marker', () => checkKeptMentions(users()));
});

describe('the live room list', { timeout: scaled(60000) }, () => {
  test('created and renamed rooms reach every connection; breakout groups nest and are archived when closed', () =>
    checkRoomListEvents(users(), users()));
});
