// Three real nodes on one real Redis: senders on every node write into one room at the same time
// (3 × 1,000 messages), and every client on every node — the senders and a listener per node —
// must see the very same sequence 1..3000, gap-free, in order, each message once, with the seq its
// sender was acknowledged with. Prints the figures (messages, nodes, time to deliver).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { figure, isMessage, sequenceProblem, startCluster, waitUntil } from '../lib/cluster.mjs';
import { scaled } from '../lib/server.mjs';

const NODES = 3;
const PER_SENDER = Number(process.env.OUTLOUD_CLUSTER_MESSAGES ?? 1000);
const WINDOW = 64;  // sends in flight per sender: concurrent, but not an unbounded burst

let cluster;
const clients = [];
before(async () => { cluster = await startCluster({ nodes: NODES, name: 'fanout' }); });
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

// Sends `count` messages with at most WINDOW unanswered; resolves with the `sent` replies by nonce.
function sendMany(client, room, count, tag) {
  return new Promise((resolve, reject) => {
    const acks = new Map();
    const idToNonce = new Map();
    let next = 0;
    let answered = 0;
    const sendOne = () => {
      const nonce = `${tag}-${next}`;
      const id = client.send({ type: 'send', room, text: `${tag} says ${next}`, nonce });
      idToNonce.set(id, nonce);
      next++;
    };
    const onFrame = (data) => {
      const frame = JSON.parse(data.toString('utf8'));
      if (!('re' in frame) || !idToNonce.has(frame.re)) return;
      const nonce = idToNonce.get(frame.re);
      idToNonce.delete(frame.re);
      if (frame.type !== 'sent') {
        client.ws.off('message', onFrame);
        reject(new Error(`${client.label}: send ${nonce} answered ${JSON.stringify(frame)}`));
        return;
      }
      acks.set(nonce, frame);
      answered++;
      if (next < count) sendOne();
      if (answered === count) {
        client.ws.off('message', onFrame);
        resolve(acks);
      }
    };
    client.ws.on('message', onFrame);
    for (let i = 0; i < Math.min(WINDOW, count); i++) sendOne();
  });
}

test(`${NODES} nodes × ${PER_SENDER} concurrent messages: every client sees the same gap-free sequence`,
  { timeout: scaled(120000) }, async () => {
    const room = uniqueId('fanout');
    const senders = [];
    const listeners = [];
    for (const [i, node] of cluster.nodes.entries()) {
      const sender = await connectAs(node.wsUrl, `Sender ${i + 1}`, `org-${i + 1}`);
      const listener = await connectAs(node.wsUrl, `Listener ${i + 1}`, `org-${i + 1}`);
      sender.label = `sender@node${i + 1}`;
      listener.label = `listener@node${i + 1}`;
      senders.push(sender);
      listeners.push(listener);
      clients.push(sender, listener);
    }
    await senders[0].create(room);
    for (const c of clients) {
      const joined = await c.join(room);
      assert.equal(joined.head, 0, 'the room starts empty');
    }
    for (const [i, c] of senders.entries()) assert.equal(c.welcome.node, cluster.nodes[i].nodeId, 'each sender is on its own node');

    const total = NODES * PER_SENDER;
    const started = Date.now();
    const ackMaps = await Promise.all(senders.map((s, i) => sendMany(s, room, PER_SENDER, `n${i + 1}`)));
    const allAcked = Date.now() - started;

    // Every seq 1..total was handed out exactly once.
    const acked = new Map();  // nonce → seq
    for (const acks of ackMaps) for (const [nonce, sent] of acks) acked.set(nonce, sent.seq);
    const seqs = [...acked.values()].sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1), 'the acknowledged seqs are 1..total');
    // A sender's own acks come back in the order it sent (per-connection order is kept).
    for (const [i, acks] of ackMaps.entries()) {
      const own = Array.from({ length: PER_SENDER }, (_, k) => acks.get(`n${i + 1}-${k}`).seq);
      assert.ok(own.every((s, k) => k === 0 || s > own[k - 1]), `sender ${i + 1}: seqs follow its send order`);
    }

    const count = (c) => c.frames.reduce((n, f) => n + (f.type === 'message' && f.room === room ? 1 : 0), 0);
    const deliveredIn = await waitUntil(() => clients.every((c) => count(c) >= total), {
      timeoutMs: scaled(60000),
      what: `${total} messages on every client (have ${clients.map((c) => `${c.label}=${count(c)}`).join(', ')})`,
    });
    const delivered = Date.now() - started;
    void deliveredIn;
    for (const c of clients) await c.sync();

    const reference = clients[0].frames.filter(isMessage(room));
    for (const c of clients) {
      const got = c.frames.filter(isMessage(room));
      const problem = sequenceProblem(got, 1, total);
      assert.equal(problem, null, `${c.label}: ${problem}`);
      for (let i = 0; i < total; i++) {
        const m = got[i];
        assert.equal(acked.get(m.nonce), m.seq, `${c.label}: seq ${m.seq} carries ${m.nonce}, acknowledged with another seq`);
        assert.equal(m.text, reference[i].text, `${c.label}: seq ${m.seq} differs between clients`);
        assert.deepEqual(m.from, reference[i].from);
        assert.equal(m.ts, reference[i].ts);
      }
    }

    // History from any node agrees with what was delivered.
    const page = await listeners[2].expectReply({ type: 'history', room, after: total - 50, limit: 50 }, 'history');
    assert.deepEqual(page.messages.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => total - 49 + i));

    figure(`fanout: ${total} messages (${NODES} senders × ${PER_SENDER}, window ${WINDOW}) on ${NODES} nodes, `
      + `${clients.length} clients: all acknowledged in ${allAcked} ms, all delivered to every client in ${delivered} ms `
      + `(${Math.round(total / (delivered / 1000))} msg/s in, ${Math.round((total * clients.length) / (delivered / 1000))} deliveries/s)`);
    assert.ok(delivered < scaled(60000), `delivery took ${delivered} ms`);
  });
