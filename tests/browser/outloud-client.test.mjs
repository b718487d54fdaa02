// The web client's protocol module (clients/web/outloud.js) under Node, against the real server:
// replies and errors, the typing throttle, the refused hello, and above all reconnection — after
// a dropped socket or a server restart every message reaches the application exactly once, in order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { OutloudClient, OutloudError, backoffDelay, createThrottle } from '../../clients/web/outloud.js';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, sleep, startServer } from '../lib/server.mjs';

let server;
const clients = [];

before(async () => {
  server = await startServer({ nodeId: 'web-module-node', args: UNTHROTTLED });
});
after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

function client(name, org, options = {}) {
  const c = new OutloudClient({
    WebSocket,
    name,
    org,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    ...options,
  });
  clients.push(c);
  return c;
}

/** Records every `message` event of a client. */
function recorder(c) {
  const seen = [];
  c.on('message', (m) => seen.push(m));
  return seen;
}

async function until(predicate, what, timeoutMs = scaled(8000)) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function assertOnceInOrder(messages, count, label) {
  const seqs = messages.map((m) => m.seq);
  assert.deepEqual(seqs, Array.from({ length: count }, (_, i) => i + 1), `${label}: ${seqs}`);
}

test('pure helpers: backoff is capped and jittered; throttle lets one call per interval', () => {
  const opts = { initialDelayMs: 500, maxDelayMs: 15000, factor: 2, jitter: 0.5 };
  assert.equal(backoffDelay(0, opts, () => 0), 500);
  assert.equal(backoffDelay(3, opts, () => 0), 4000);
  assert.equal(backoffDelay(30, opts, () => 0), 15000);
  assert.equal(backoffDelay(30, opts, () => 0.5), 11250);
  let now = 0;
  const calls = [];
  const t = createThrottle((key) => calls.push(key), 3000, () => now);
  t('a'); t('a'); t('b'); now = 2999; t('a'); now = 3000; t('a');
  assert.deepEqual(calls, ['a', 'b', 'a']);
});

test('requests resolve with their reply and reject with the error code', { timeout: scaled(30000) }, async () => {
  const a = client('Paul Ashworth', 'essex-cc');
  const welcome = await a.connect(server.wsUrl);
  assert.equal(welcome.type, 'welcome');
  assert.deepEqual(a.user, { id: a.user.id, name: 'Paul Ashworth', org: 'essex-cc' });
  assert.equal(a.state, 'online');

  const room = uniqueId('mod');
  const created = await a.create(room, 'Module room', 'session');
  assert.equal(created.id, room);
  await assert.rejects(a.create(room, 'Again'), (err) => err instanceof OutloudError && err.code === 'conflict');
  await assert.rejects(a.join(uniqueId('none')), (err) => err.code === 'not_found');
  await assert.rejects(a.send(uniqueId('none'), 'x'), (err) => err.code === 'forbidden');

  const seen = recorder(a);
  const joined = await a.join(room);
  assert.equal(joined.type, 'joined');
  const sent = await a.send(room, 'First', { topic: 'budget', tag: 'do' });
  assert.equal(sent.seq, 1);
  await until(() => seen.length === 1, 'own message');
  assert.equal(seen[0].text, 'First');
  assert.equal(seen[0].tag, 'do');
  assert.equal(seen[0].topic, 'budget');
  assert.equal(a.lastSeq(room), 1);
  assert.deepEqual((await a.history(room, { before: 2 })).map((m) => m.seq), [1]);
  const listed = (await a.rooms()).find((r) => r.id === room);
  assert.equal(listed.online, 1);
});

test('a hello the server refuses stops the client', { timeout: scaled(15000) }, async () => {
  const bad = client('x'.repeat(81), 'essex-cc');
  let fatal = null;
  bad.on('fatal', (err) => { fatal = err; });
  await assert.rejects(bad.connect(server.wsUrl), (err) => err.code === 'bad_request');
  assert.equal(bad.state, 'closed');
  assert.equal(fatal?.code, 'bad_request');
});

test('typing notices are throttled; presence and typing arrive as events', { timeout: scaled(15000) }, async () => {
  const a = client('Sam Ortiz', 'essex-police');
  const b = client('Ama Mensah', 'uni-essex');
  await Promise.all([a.connect(server.wsUrl), b.connect(server.wsUrl)]);
  const room = uniqueId('typ');
  await a.create(room, 'Typing');
  await a.join(room);
  const presence = [];
  a.on('presence', (p) => presence.push(p));
  await b.join(room);
  await until(() => presence.some((p) => p.event === 'join' && p.user.name === 'Ama Mensah'), 'presence join');
  const typing = [];
  a.on('typing', (t) => typing.push(t));
  assert.equal(b.typing(room, 'general'), true);
  assert.equal(b.typing(room, 'general'), false, 'second notice within the interval is held back');
  assert.equal(b.typing(room, 'other'), true, 'another topic is its own');
  await until(() => typing.length === 2, 'two typing events');
  await sleep(200);
  assert.equal(typing.length, 2);
  assert.equal(typing[0].user.org, 'uni-essex');
  b.setStatus('away');
  await until(() => presence.some((p) => p.event === 'update' && p.state === 'away'), 'away update');
});

test('after a dropped socket every message arrives once, in order, and queued sends go out once', { timeout: scaled(30000) }, async () => {
  const a = client('Paul Ashworth', 'essex-cc');
  const b = client('Nadia Shah', 'nhs-mse');
  await Promise.all([a.connect(server.wsUrl), b.connect(server.wsUrl)]);
  const room = uniqueId('drop');
  await a.create(room, 'Drops');
  await a.join(room);
  const seenB = recorder(b);
  await b.join(room);
  const rejoins = [];
  b.on('joined', (j) => rejoins.push(j));

  // Drop B's socket several times while A sends a steady stream.
  const sends = [];
  for (let i = 1; i <= 60; i++) {
    sends.push(a.send(room, `m${i}`));
    if (i % 15 === 0) b.reconnectNow();
    if (i % 5 === 0) await sleep(15);
  }
  // B writes while its socket is down: the send waits and is stored once.
  b.reconnectNow();
  const bSent = b.send(room, 'from B while reconnecting');
  await Promise.all(sends);
  const fromB = await bSent;
  assert.equal(fromB.seq, 61);
  await until(() => seenB.length === 61, `61 messages at B (has ${seenB.length})`);
  await sleep(200);
  assertOnceInOrder(seenB, 61, 'B after drops');
  assert.ok(rejoins.some((j) => j.rejoin && !j.reset), 'B rejoined with since and recovered');
  assert.equal(b.lastSeq(room), 61);
});

test('with messageBatches a busy room\'s rounds come as message_batch frames, each message emitted once, in order',
  { timeout: scaled(30000) }, async () => {
    // Rounds from 2 members, at most one every 100 ms: pipelined sends wait and leave together.
    const rounds = await startServer({ nodeId: 'web-module-rounds', args: [...UNTHROTTLED, '--message-rounds-from', '2',
      '--message-round-ms', '100'] });
    try {
      const a = client('Paul Ashworth', 'essex-cc');
      const b = client('Nadia Shah', 'nhs-mse', { messageBatches: true });
      await Promise.all([a.connect(rounds.wsUrl), b.connect(rounds.wsUrl)]);
      const room = uniqueId('rounds');
      await a.create(room, 'Rounds');
      await a.join(room);
      await b.join(room);
      const seenA = recorder(a);
      const seenB = recorder(b);
      const framesB = [];
      b.on('frame', (f) => framesB.push(f.type));
      await Promise.all(Array.from({ length: 40 }, (_, i) => a.send(room, `m${i + 1}`)));
      await until(() => seenA.length === 40 && seenB.length === 40, `40 each (A ${seenA.length}, B ${seenB.length})`);
      await sleep(200);
      assertOnceInOrder(seenA, 40, 'A (the contract\'s join)');
      assertOnceInOrder(seenB, 40, 'B (message_batches)');
      assert.deepEqual(seenB.map((m) => m.text), Array.from({ length: 40 }, (_, i) => `m${i + 1}`));
      const batches = framesB.filter((t) => t === 'message_batch').length;
      assert.ok(batches >= 1 && framesB.filter((t) => t === 'message').length + batches < 40,
        `B got rounds as batches: ${framesB.join(',')}`);
    } finally {
      await rounds.stop();
    }
  });

test('after a server restart the clients reconnect, rejoin and recover the gap', { timeout: scaled(40000) }, async () => {
  const a = client('Paul Ashworth', 'essex-cc');
  const b = client('Nadia Shah', 'nhs-mse');
  await Promise.all([a.connect(server.wsUrl), b.connect(server.wsUrl)]);
  const room = uniqueId('restart');
  await a.create(room, 'Restarts');
  const seenA = recorder(a);
  const seenB = recorder(b);
  await a.join(room);
  await b.join(room);
  for (let i = 1; i <= 5; i++) await a.send(room, `before ${i}`);
  await until(() => seenB.length === 5, 'B has the first five');

  const states = [];
  b.on('state', (s) => states.push(s.state));
  const stopped = await server.stop('SIGTERM');
  assert.equal(stopped.code, 0);
  // B sends while the server is down: its send waits for the reconnection.
  const pending = b.send(room, 'sent during the restart');
  server = await server.restart();
  const other = await connectAs(server.wsUrl, 'Writer', 'charity');
  await other.join(room);
  for (let i = 1; i <= 5; i++) await other.say(room, `after ${i}`);
  await other.close();
  assert.equal((await pending).type, 'sent');
  await until(() => seenA.length === 11 && seenB.length === 11, `11 messages each (A ${seenA.length}, B ${seenB.length})`);
  await sleep(200);
  assertOnceInOrder(seenA, 11, 'A after the restart');
  assertOnceInOrder(seenB, 11, 'B after the restart');
  assert.ok(states.includes('reconnecting') && states.at(-1) === 'online', `states: ${states}`);
});

test('a gap too long to recover ends in a reset with the latest messages', { timeout: scaled(60000) }, async () => {
  const a = client('Paul Ashworth', 'essex-cc');
  const b = client('Nadia Shah', 'nhs-mse', { joinLimit: 20 });
  await Promise.all([a.connect(server.wsUrl), b.connect(server.wsUrl)]);
  const room = uniqueId('gap');
  await a.create(room, 'Gaps');
  await a.join(room);
  const seenB = recorder(b);
  await b.join(room);
  await a.send(room, 'first');
  await until(() => seenB.length === 1, 'first message at B');

  // B loses its connection and cannot get back (nothing listens on its URL) while A sends 1,001.
  b.url = server.wsUrl.replace(/:\d+\//, ':1/');
  b.reconnectNow();
  await until(() => b.state === 'reconnecting', 'B reconnecting');
  const sends = [];
  for (let i = 0; i < 1001; i++) sends.push(a.send(room, `bulk ${i}`));
  await Promise.all(sends);

  const resets = [];
  b.on('reset', (r) => resets.push(r));
  b.url = server.wsUrl;
  b.reconnectNow();
  await until(() => resets.length === 1, 'reset at B');
  const { frame } = resets[0];
  assert.equal(frame.recovered, false);
  assert.equal(frame.head, 1002);
  assert.deepEqual(frame.messages.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => 983 + i));
  assert.equal(b.lastSeq(room), 1002);
  assert.equal(seenB.length, 1, 'the reset messages are not replayed as live ones');
  await a.send(room, 'after the reset');
  await until(() => seenB.length === 2, 'live message after the reset');
  assert.equal(seenB[1].seq, 1003);
});
