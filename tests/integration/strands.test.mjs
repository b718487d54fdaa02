// `--threads 4` (so four strands): connections spread over the strands, rooms with members on
// every strand. Under concurrent senders in several rooms, every connection gets each room's
// messages exactly once, in seq order, the same as everyone else; presence and facilitation state
// cross the strands as they cross nodes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { collectMessages, range, sendMany, seqsOf } from '../lib/protocol.mjs';
import { assertHands, ok } from '../lib/facilitation.mjs';
import { scaled, UNTHROTTLED } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const { user } = serverForFile('strands-node', { args: [...UNTHROTTLED, '--threads', '4'] });

describe('four strands', { timeout: scaled(90000) }, () => {
  test('concurrent senders in three rooms: each connection gets every message once, in order', async () => {
    // Eight connections: two on each strand (connections are dealt round robin).
    const people = [];
    for (let i = 0; i < 8; i++) people.push(await user(`Strand Person ${i}`, ['essex-cc', 'nhs', 'police', 'fire'][i % 4]));
    const rooms = [uniqueId('strands'), uniqueId('strands'), uniqueId('strands')];
    for (const room of rooms) {
      await people[0].create(room);
      for (const p of people) await p.join(room);
    }
    const per = 25;
    // Every person sends into every room at once, without waiting for the acknowledgements.
    const acks = await Promise.all(people.flatMap((p, k) => rooms.map((room) =>
      sendMany(p, room, per, (i) => `${k}:${i}`).then((list) => ({ room, k, list })))));
    for (const room of rooms) {
      const seqs = acks.filter((a) => a.room === room).flatMap((a) => a.list.map((s) => s.seq)).sort((x, y) => x - y);
      assert.deepEqual(seqs, range(1, people.length * per), `${room}: seq from 1 with no gap and no repeat`);
    }
    for (const room of rooms) {
      let reference;
      for (const p of people) {
        const got = await collectMessages(p, room, people.length * per);
        assert.deepEqual(seqsOf(got), range(1, people.length * per), `${p.label} in ${room}: every message once, in order`);
        await p.sync();
        await p.expectNone((f) => f.type === 'message' && f.room === room, scaled(50));
        if (reference) assert.deepEqual(got, reference, 'every connection sees identical events');
        reference = got;
      }
      // Each sender's messages keep the order they were sent in.
      for (let k = 0; k < people.length; k++) {
        const mine = reference.filter((m) => m.text.startsWith(`${k}:`)).map((m) => Number(m.text.split(':')[1]));
        assert.deepEqual(mine, range(0, per - 1), `sender ${k} in ${room}`);
      }
    }
  });

  test('presence and raised hands cross the strands', async () => {
    const host = await user('Strand Host', 'essex-cc');
    const others = [];
    for (let i = 0; i < 3; i++) others.push(await user(`Strand Guest ${i}`, ['nhs', 'police', 'fire'][i]));
    const room = uniqueId('strands-round');
    await host.create(room);
    await host.join(room);
    for (const other of others) {
      await other.join(room);
      await host.next((f) => f.type === 'presence' && f.room === room && f.event === 'join'
        && f.user?.id === other.user.id);
    }
    // Raised hands are the room's facilitation state: each change reaches every member, whichever
    // strand they are on, and the queue keeps the order the hands went up.
    const everyone = [host, ...others];
    const queue = [];
    for (const other of [others[2], others[0], others[1]]) {
      await ok(other, { type: 'hand', room, up: true });
      queue.push(other.user.id);
      for (const p of everyone) assertHands(await p.next('hands'), room, queue);
    }
  });
});
