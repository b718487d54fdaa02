// protocol.md "Messages" (`sent` only once durably stored) and "The server process" (SIGTERM closes
// connections with 1001 and exits 0 within 5 s, losing nothing acknowledged); kill -9 after acks.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { assertMessage, range, seqsOf } from '../lib/protocol.mjs';
import { UNTHROTTLED, killAll, scaled, startServer, within } from '../lib/server.mjs';

after(killAll);

// Sends `count` messages in bursts of `burst` in flight and returns every ack received.
async function sendAcked(client, room, count, burst = 20, prefix = 'm', padding = '') {
  const acks = [];
  for (let i = 0; i < count; i += burst) {
    const replies = await Promise.all(range(i, Math.min(count, i + burst) - 1)
      .map((k) => client.request({ type: 'send', room, text: `${prefix}${k}${padding}`, nonce: `${prefix}-${k}` })));
    for (const r of replies) {
      assert.equal(r.type, 'sent', JSON.stringify(r));
      acks.push(r);
    }
  }
  return acks;
}

describe('durability', { timeout: scaled(60000) }, () => {
  test('SIGTERM: 1001 to open connections, exit 0 within 5 s; a restart has every acked message', async () => {
    const first = await startServer({ nodeId: 'durable', args: UNTHROTTLED });
    const a = await connectAs(first.wsUrl, 'Durable Dora', 'essex-cc');
    const b = await connectAs(first.wsUrl, 'Idle Ian', 'police');  // connected, no room
    const room = uniqueId('dur');
    await a.create(room, { title: 'Durable' });
    await a.join(room);
    const acks = await sendAcked(a, room, 200);
    assert.deepEqual(seqsOf(acks).sort((x, y) => x - y), range(1, 200));

    const stopped = await first.stop('SIGTERM');
    assert.equal(stopped.code, 0, `exit code ${stopped.code} (signal ${stopped.signal}); output:\n${first.stderr.slice(-2000)}`);
    assert.ok(stopped.ms <= 5000 * (scaled(1000) / 1000), `exit took ${stopped.ms} ms`);
    for (const c of [a, b]) {
      const info = await within(c.closed, scaled(2000));
      assert.ok(info, `${c.label} not closed`);
      assert.equal(info.code, 1001, `${c.label} close code`);
    }

    const second = await first.restart();
    try {
      assert.equal(second.port, first.port);
      const r = await connectAs(second.wsUrl, 'Durable Dora', 'essex-cc');
      assert.equal(r.user.id, a.user.id, 'the same name and org give the same user id after a restart');
      let j = await r.join(room, { since: 0 });
      assert.equal(j.recovered, true);
      assert.equal(j.head, 200);
      assert.deepEqual(seqsOf(j.messages), range(1, 200));
      const bySeq = new Map(j.messages.map((m) => [m.seq, m]));
      acks.forEach((ack, k) => assertMessage(bySeq.get(ack.seq), { room, text: `m${k}`, nonce: `m-${k}`, from: a.user }));
      j = await r.join(room, { since: 150 });
      assert.equal(j.recovered, true);
      assert.deepEqual(seqsOf(j.messages), range(151, 200));
      assert.equal(j.you.role, 'owner', 'the room and its owner survive');
      // seq continues without a gap; a nonce used before the restart is still remembered.
      const next = await r.say(room, 'after restart');
      assert.equal(next.seq, 201);
      const retry = await r.say(room, 'm7', { nonce: 'm-7' });
      assert.equal(retry.seq, acks[7].seq);
      await r.close();
    } finally {
      await second.stop();
    }
  });

  test('kill -9 right after the acks loses nothing acknowledged', async () => {
    const first = await startServer({ nodeId: 'crashy', args: UNTHROTTLED });
    const a = await connectAs(first.wsUrl, 'Crash Carl', 'fire');
    const room = uniqueId('crash');
    await a.create(room);
    await a.join(room);
    const acks = await sendAcked(a, room, 150, 30);
    // Keep sending while the process dies: what was acknowledged must survive; nothing else is promised.
    const inFlight = range(0, 49).map((k) => a.request({ type: 'send', room, text: `late${k}` }, scaled(3000)).catch(() => null));
    await first.kill9();
    const late = (await Promise.all(inFlight)).filter((r) => r?.type === 'sent');
    const acked = [...acks, ...late];

    const second = await first.restart();
    try {
      const r = await connectAs(second.wsUrl, 'Crash Carl', 'fire');
      const j = await r.join(room, { since: 0 });
      assert.equal(j.recovered, true);
      const stored = new Map(j.messages.map((m) => [m.seq, m]));
      for (const ack of acked) assert.ok(stored.has(ack.seq), `acknowledged seq ${ack.seq} lost by kill -9`);
      assert.deepEqual(seqsOf(j.messages), range(1, j.head), 'stored seqs have no gap');
      for (let k = 0; k < 150; k++) assert.equal(stored.get(acks[k].seq).text, `m${k}`);
      const next = await r.say(room, 'after crash');
      assert.equal(next.seq, j.head + 1);
      await r.close();
    } finally {
      await second.stop();
    }
    await a.closed;
  });

  test('SIGTERM with a client that stopped reading still exits 0 within 5 s', async () => {
    const srv = await startServer({ nodeId: 'stuck', args: UNTHROTTLED });
    const writer = await connectAs(srv.wsUrl, 'Stuck Writer', 'essex-cc');
    const stuck = await connectAs(srv.wsUrl, 'Stuck Reader', 'police');
    const room = uniqueId('stuck');
    await writer.create(room);
    await writer.join(room);
    await stuck.join(room);
    stuck.pause();
    // Enough output queued for the stuck reader that its socket buffers are full.
    await sendAcked(writer, room, 300, 50, 'x', 'x'.repeat(8000));
    const stopped = await srv.stop('SIGTERM');
    assert.equal(stopped.code, 0, `exit code ${stopped.code}; output:\n${srv.stderr.slice(-2000)}`);
    assert.ok(stopped.ms <= 5000 * (scaled(1000) / 1000), `exit took ${stopped.ms} ms`);
    stuck.resume();
    await within(stuck.closed, scaled(5000));
    assert.equal((await within(writer.closed, scaled(2000)))?.code, 1001);
  });

  test('SIGTERM with a client sending continuously: every ack survives, exit 0 within 5 s', async () => {
    const first = await startServer({ nodeId: 'busy', args: UNTHROTTLED });
    const a = await connectAs(first.wsUrl, 'Busy Bea', 'nhs-trust');
    const room = uniqueId('busy');
    await a.create(room);
    await a.join(room);
    const acked = [];
    let stop = false;
    const writing = (async () => {
      for (let k = 0; !stop && a.isOpen; k++) {
        const r = await a.request({ type: 'send', room, text: `busy${k}` }, scaled(5000)).catch(() => null);
        if (r?.type === 'sent') acked.push(r);
        else if (r === null || r.type === 'error') break;
      }
    })();
    while (acked.length < 30) await new Promise((r) => setTimeout(r, 10));
    const stopped = await first.stop('SIGTERM');
    stop = true;
    await writing;
    assert.equal(stopped.code, 0, `exit code ${stopped.code}; output:\n${first.stderr.slice(-2000)}`);
    assert.ok(stopped.ms <= 5000 * (scaled(1000) / 1000), `exit took ${stopped.ms} ms`);
    assert.equal((await a.closed).code, 1001);

    const second = await first.restart();
    try {
      const r = await connectAs(second.wsUrl, 'Busy Bea', 'nhs-trust');
      const j = await r.join(room, { since: 0 });
      const stored = new Set(seqsOf(j.messages));
      for (const ack of acked) assert.ok(stored.has(ack.seq), `acknowledged seq ${ack.seq} lost by SIGTERM`);
      assert.deepEqual(seqsOf(j.messages), range(1, j.head));
      await r.close();
    } finally {
      await second.stop();
    }
  });
});
