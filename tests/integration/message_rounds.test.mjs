// protocol/README.md "Busy large rooms": in a room of --message-rounds-from members or more that
// gets a message or more per --message-round-ms (on average), a message that comes sooner than that after
// the last round waits for the next one and leaves with the others that waited; until the room is
// that busy, each goes at once. Each is still its
// own WebSocket message, in seq order, once, and nothing else of the room overtakes one that waits.
// Over real sockets; /metrics counts the writes and the frames they carried.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { fetchMetrics, metricValue } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const ROUND_MS = 400;
const MEMBERS = 3;

// Arrival times of the message events a client gets, by text.
function arrivals(client) {
  const seen = [];
  client.ws.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === 'message') seen.push({ text: frame.text, seq: frame.seq, at: performance.now() });
  });
  return seen;
}

describe('messages of busy large rooms go in rounds', () => {
  let server;
  const clients = [];
  before(async () => {
    server = await startServer({
      args: [...UNTHROTTLED, '--message-rounds-from', String(MEMBERS), '--message-round-ms', String(ROUND_MS)],
    });
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server?.stop();
  });

  // Paul, Sam and Amira (three organisations) connect; Paul makes a new room. Nobody has joined it.
  async function plenaryOfThree(label) {
    const room = uniqueId('plenary');
    const members = await Promise.all(['Paul', 'Sam', 'Amira'].map((n, i) =>
      connectAs(server.wsUrl, `${n} ${label}`, ['essex-cc', 'nhs-mse', 'police'][i])));
    clients.push(...members);
    await members[0].create(room);
    return [room, ...members];
  }

  test('a few go at once, the rest of a burst waits for one round, an event comes after it', async () => {
    const [room, paul, sam, amira] = await plenaryOfThree('Rounds');
    for (const c of [paul, sam, amira]) await c.join(room);
    const samSaw = arrivals(sam);
    const m0 = await fetchMetrics(server);

    // One message, then a burst of eleven sent without waiting.
    await paul.expectReply({ type: 'send', room, text: 'm1' }, 'sent');
    await sam.next({ type: 'message', text: 'm1' });
    const burst = [];
    for (let i = 2; i <= 12; i++) burst.push(paul.expectReply({ type: 'send', room, text: `m${i}` }, 'sent'));
    await Promise.all(burst);
    await sam.collect({ type: 'message' }, 11, scaled(5000));
    await amira.collect({ type: 'message' }, 12, scaled(5000));

    // In order, once each, seqs without gaps.
    assert.deepEqual(samSaw.map((m) => m.text), Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    for (let i = 1; i < samSaw.length; i++) assert.equal(samSaw[i].seq, samSaw[i - 1].seq + 1);
    // Once the room got a message an interval (a mean of the last few gaps: by m2), the rest of
    // the burst waited for the round after the last message sent at once, and came together.
    const waitedAt = samSaw.findIndex((m, i) => i > 0 && m.at - samSaw[i - 1].at >= ROUND_MS * 0.6);
    assert.ok(waitedAt >= 1 && waitedAt <= 3, `the burst did not wait for a round: ${samSaw.map((m) => m.at.toFixed(1)).join(', ')}`);
    const waited = samSaw[waitedAt].at - samSaw[waitedAt - 1].at;
    assert.ok(waited < ROUND_MS + scaled(1500), `m${waitedAt + 1} came ${waited.toFixed(1)} ms after the one before`);
    const spread = samSaw[11].at - samSaw[waitedAt].at;
    assert.ok(spread < ROUND_MS / 2, `m${waitedAt + 1}..m12 arrived over ${spread.toFixed(1)} ms, not in one round`);

    // 12 messages to 3 members and 12 acks: 48 frames, far fewer writes (a round is one each).
    const m1 = await fetchMetrics(server);
    const frames = metricValue(m1, /^outloud_frames_written_total$/) - metricValue(m0, /^outloud_frames_written_total$/);
    const writes = metricValue(m1, /^outloud_socket_writes_total$/) - metricValue(m0, /^outloud_socket_writes_total$/);
    assert.ok(frames >= 48, `${frames} frames written`);
    assert.ok(writes <= frames - 20, `${writes} writes for ${frames} frames`);

    // A message waiting for its round (stored and acknowledged, not yet delivered to anyone) is
    // not overtaken by an event of the room: the event sends the round first.
    const deliveries = async () => metricValue(await fetchMetrics(server), /^outloud_deliveries_total$/);
    const before = await deliveries();
    await paul.expectReply({ type: 'send', room, text: 'm13' }, 'sent');
    assert.equal(await deliveries(), before, 'm13 should wait for the next round');
    paul.send({ type: 'typing', room, id: undefined });
    const next = await sam.next((f) => f.type === 'message' || f.type === 'typing');
    assert.equal(next.type, 'message');
    assert.equal(next.text, 'm13');
    await sam.next({ type: 'typing' });
  });

  test('a member that joined with message_batches gets each round as one message_batch, once, in order', async () => {
    const [room, paul, sam, amira] = await plenaryOfThree('Batches');
    await paul.join(room);
    await sam.join(room, { message_batches: true });
    await amira.join(room);
    const samFrames = [];
    sam.ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'message' || frame.type === 'message_batch') samFrames.push(frame);
    });
    const amiraSaw = arrivals(amira);

    await paul.expectReply({ type: 'send', room, text: 'b1' }, 'sent');
    const burst = [];
    for (let i = 2; i <= 12; i++) burst.push(paul.expectReply({ type: 'send', room, text: `b${i}` }, 'sent'));
    await Promise.all(burst);
    await amira.collect({ type: 'message' }, 12, scaled(5000));
    const deadline = Date.now() + scaled(5000);
    const samTexts = () => samFrames.flatMap((f) => (f.type === 'message' ? [f] : f.messages));
    while (samTexts().length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));

    // Every message once, in seq order, the same as the contract's member got one by one.
    const expected = Array.from({ length: 12 }, (_, i) => `b${i + 1}`);
    assert.deepEqual(samTexts().map((m) => m.text), expected);
    assert.deepEqual(amiraSaw.map((m) => m.text), expected);
    for (const m of samTexts()) assert.equal(m.type, 'message');
    const seqs = samTexts().map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
    // The rest of the burst came in one round: one frame for Sam, each item a whole message event.
    const batches = samFrames.filter((f) => f.type === 'message_batch');
    assert.ok(batches.length >= 1 && samFrames.length <= 4, `Sam got ${samFrames.map((f) => f.type).join(', ')}`);
    for (const batch of batches) {
      assert.equal(batch.room, room);
      assert.ok(batch.messages.length >= 2, 'a round of one is a plain message');
    }
  });
});
