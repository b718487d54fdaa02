// Redis faults under three real nodes (issue 3, point 6): while Redis is unreachable every node says
// "redis":"down" on /healthz, answers `send` with `unavailable` (never a false `sent`) and keeps its
// WebSockets open; it reconnects by itself when Redis is back. Redis killed (SIGKILL) and restarted
// mid-traffic loses no acknowledged message (append-only file, fsync always), live clients on
// every node end with the complete gap-free sequence, and a client that lost its connection meanwhile
// catches up with `since`. Prints the figures (messages, outage, recovery times).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import {
  FAST_PRESENCE, FAST_PRESENCE_ARGS, RECONNECT_SPREAD_MS, figure, health, isMessage, isPresence, sequenceProblem, startCluster,
  untilNodesHearEachOther, waitUntil,
} from '../lib/cluster.mjs';
import { UNTHROTTLED, scaled, sleep } from '../lib/server.mjs';

let cluster;
const clients = [];
// Short presence timings (test-only flags): the outage longer than the TTL takes seconds, not 40.
before(async () => {
  cluster = await startCluster({ nodes: 3, name: 'faults', args: [...UNTHROTTLED, ...FAST_PRESENCE_ARGS] });
});
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await cluster?.stop();
});

async function user(nodeIndex, name, org = `org-${nodeIndex + 1}`) {
  const c = await connectAs(cluster.nodes[nodeIndex].wsUrl, name, org);
  c.label = `${name}@node${nodeIndex + 1}`;
  clients.push(c);
  return c;
}

const allHealth = () => Promise.all(cluster.nodes.map(health));

async function restartRedis() {
  cluster.redis = await cluster.redis.restart();
  return Date.now();
}

test('while Redis is down: healthz says down, send is unavailable, sockets stay open; then it recovers by itself',
  { timeout: scaled(60000) }, async () => {
    const room = uniqueId('down');
    const people = [await user(0, 'Ada Down'), await user(1, 'Bo Down'), await user(2, 'Cy Down')];
    await people[0].create(room);
    for (const p of people) await p.join(room);
    for (const p of people) await p.say(room, `before the outage from ${p.label}`);
    for (const h of await allHealth()) assert.equal(h?.redis, 'up');

    const killedAt = Date.now();
    await cluster.redis.kill9();
    const noticedIn = await waitUntil(async () => (await allHealth()).every((h) => h?.redis === 'down'),
      { timeoutMs: scaled(15000), what: 'every node to report "redis":"down"' });
    for (const h of await allHealth()) assert.equal(h.status, 'ok', '/healthz still answers 200 with status ok');

    // Several sends on every node, each one refused with unavailable; no `sent`, no message event.
    for (const p of people) {
      for (let i = 0; i < 3; i++) {
        const reply = await p.request({ type: 'send', room, text: `during the outage ${i}`, nonce: `${p.label}-down-${i}` });
        assert.equal(reply.type, 'error', `${p.label}: ${JSON.stringify(reply)}`);
        assert.equal(reply.code, 'unavailable', `${p.label}: ${JSON.stringify(reply)}`);
      }
    }
    await sleep(scaled(1500));  // down for a while (several reconnection attempts)
    for (const p of people) {
      await p.sync();  // the connection is open and served
      assert.ok(p.isOpen, `${p.label}: still connected`);
      assert.equal(p.closeInfo, null);
    }
    const downFor = Date.now() - killedAt;

    const restartedAt = await restartRedis();
    const healthyIn = await untilNodesHearEachOther(cluster.nodes);
    // Sends work again on every node without any help; seqs continue after the acknowledged ones.
    const sendOkIn = [];
    for (const p of people) {
      const ms = await waitUntil(async () => (await p.request({ type: 'send', room, text: 'probe', nonce: `${p.label}-probe` })).type === 'sent',
        { timeoutMs: scaled(15000), everyMs: 100, what: `${p.label}: send accepted again` });
      sendOkIn.push(Date.now() - restartedAt);
      void ms;
    }
    for (const p of people) {
      await waitUntil(() => p.frames.filter(isMessage(room)).length >= 6, { what: `${p.label}: 6 messages` });
      await p.sync();
      const problem = sequenceProblem(p.frames.filter(isMessage(room)), 1, 6);
      assert.equal(problem, null, `${p.label}: ${problem}`);
    }
    const texts = people[0].frames.filter(isMessage(room)).map((m) => m.text);
    assert.ok(!texts.some((t) => t.startsWith('during the outage')), 'nothing refused was stored');

    figure(`redis down: every node reported "down" ${noticedIn} ms after SIGKILL; outage ${downFor} ms; `
      + `"up" on every node ${healthyIn} ms after the restart; sends accepted again after ${sendOkIn.join(' / ')} ms`);
  });

test('Redis killed and restarted mid-traffic: no acknowledged message lost, every client recovers gap-free',
  { timeout: scaled(120000) }, async () => {
    const PER_SENDER = 150;
    const room = uniqueId('restart');
    const senders = [await user(0, 'Sal Sender'), await user(1, 'Sue Sender'), await user(2, 'Sid Sender')];
    const listeners = [await user(0, 'Lea Listener'), await user(1, 'Lou Listener'), await user(2, 'Lin Listener')];
    const dropper = await user(1, 'Dan Dropped');  // loses its connection during the outage
    await senders[0].create(room);
    for (const c of [...senders, ...listeners, dropper]) await c.join(room);

    // Each sender sends its messages one after the other; a refused one is retried with the same
    // nonce (so a message stored whose answer was lost is not stored twice).
    const acked = new Map();  // nonce → seq
    let refused = 0;
    let progress = 0;
    const sendAll = async (client, tag) => {
      for (let i = 0; i < PER_SENDER; i++) {
        const nonce = `${tag}-${i}`;
        for (let attempt = 0; ; attempt++) {
          const reply = await client.request({ type: 'send', room, text: `${tag} message ${i}`, nonce }, scaled(10000));
          if (reply.type === 'sent') {
            assert.ok(!acked.has(nonce) || acked.get(nonce) === reply.seq, `${nonce}: acknowledged twice with different seqs`);
            acked.set(nonce, reply.seq);
            progress++;
            break;
          }
          assert.equal(reply.code, 'unavailable', `${client.label}: ${nonce} refused with ${JSON.stringify(reply)}`);
          refused++;
          assert.ok(attempt < 400, `${nonce}: still refused after ${attempt} attempts`);
          await sleep(50);
        }
      }
    };
    const started = Date.now();
    const traffic = Promise.all(senders.map((s, i) => sendAll(s, `s${i + 1}`)));

    // Mid-traffic: Redis dies; the dropper's connection dies too. Redis comes back 2 s later.
    await waitUntil(() => progress >= PER_SENDER, { timeoutMs: scaled(30000), what: 'traffic to be under way' });
    const beforeKill = progress;
    await cluster.redis.kill9();
    const killedAt = Date.now();
    await dropper.sync().catch(() => {});
    const dropperSaw = dropper.frames.filter(isMessage(room));
    const dropperLast = dropperSaw.length ? dropperSaw[dropperSaw.length - 1].seq : 0;
    await dropper.terminate();
    await sleep(scaled(2000));
    const restartedAt = await restartRedis();
    const progressAtRestart = progress;
    const firstAckAfter = waitUntil(() => progress > progressAtRestart, { timeoutMs: scaled(20000), everyMs: 10, what: 'a send accepted after the restart' });
    const recoveredIn = await firstAckAfter;
    await traffic;
    const total = 3 * PER_SENDER;
    const trafficMs = Date.now() - started;

    // Every acknowledged message is stored exactly once, at the seq it was acknowledged with.
    assert.equal(acked.size, total);
    const reader = await user(2, 'Rita Reader');
    const joined = await reader.join(room, { since: 0 });
    assert.equal(joined.recovered, true);
    assert.equal(joined.head, total, 'one stored message per nonce, nothing more');
    const stored = joined.messages;
    assert.equal(sequenceProblem(stored, 1, total), null);
    for (const m of stored) assert.equal(acked.get(m.nonce), m.seq, `seq ${m.seq}: stored ${m.nonce}, acknowledged otherwise`);

    // Live clients on every node end with the same complete sequence, in order, each once.
    const liveDoneIn = await waitUntil(
      () => [...senders, ...listeners].every((c) => c.frames.filter(isMessage(room)).length >= total),
      { timeoutMs: scaled(20000), what: 'every live client to have every message' });
    for (const c of [...senders, ...listeners]) {
      await c.sync();
      assert.ok(c.isOpen, `${c.label}: the Redis outage did not close the connection`);
      const got = c.frames.filter(isMessage(room));
      const problem = sequenceProblem(got, 1, total);
      assert.equal(problem, null, `${c.label}: ${problem}`);
      got.forEach((m, i) => assert.equal(m.nonce, stored[i].nonce, `${c.label}: seq ${m.seq}`));
    }

    // The client that lost its connection comes back on another node and catches up with since.
    const back = await user(0, 'Dan Dropped');
    const caughtUp = await back.join(room, { since: dropperLast });
    assert.equal(caughtUp.recovered, true, 'everything after its last seq is still there');
    assert.equal(caughtUp.head, total);
    assert.equal(sequenceProblem(caughtUp.messages, dropperLast + 1, total), null);
    await back.say(room, 'back again');
    assert.equal((await back.next(isMessage(room))).seq, total + 1, 'live events follow the recovered ones');

    figure(`redis restart mid-traffic: ${total} messages from 3 nodes (${beforeKill} acknowledged before the SIGKILL), `
      + `${refused} sends answered unavailable and retried with their nonce; Redis down ${restartedAt - killedAt} ms; `
      + `first send accepted ${recoveredIn} ms after the restart; all traffic done in ${trafficMs} ms; `
      + `every live client complete ${liveDoneIn} ms after that; a dropped client caught up ${total - dropperLast} messages with since`);
  });

test('subscriber connections dropped (CLIENT KILL TYPE pubsub): what was published meanwhile still reaches every node',
  { timeout: scaled(60000) }, async () => {
    const room = uniqueId('pubsub');
    const writer = await user(0, 'Wes Writer');
    const readers = [await user(0, 'Rae One'), await user(1, 'Rex Two'), await user(2, 'Roz Three')];
    await writer.create(room);
    for (const c of [writer, ...readers]) await c.join(room);
    await writer.say(room, 'before');
    // Follows the room list (it listed the rooms): notices published meanwhile are lost to its node,
    // so it is told to list again.
    const follower = await user(1, 'Flo Follows');
    await follower.expectReply({ type: 'rooms' }, 'rooms');

    // Every node's subscription drops; the command connections stay up, so sends go on being
    // stored and published — to nobody. Only the hub's resync after resubscribing brings them.
    const killed = await cluster.redis.command('CLIENT KILL TYPE pubsub');
    assert.match(killed, /^:[1-9]/, `subscriber connections killed: ${killed}`);
    const killedAt = Date.now();
    const BURST = 20;
    for (let i = 0; i < BURST; i++) writer.send({ type: 'send', room, text: `published while unsubscribed ${i}` });
    const acks = await writer.collect((f) => f.type === 'sent' || f.type === 'error', BURST, scaled(10000));
    const stored = acks.filter((f) => f.type === 'sent').length;
    assert.equal(acks.filter((f) => f.type === 'error' && f.code !== 'unavailable').length, 0, JSON.stringify(acks));
    const total = 1 + stored;

    // No further traffic: the readers must get every stored message by themselves.
    const deliveredIn = await waitUntil(
      () => [writer, ...readers].every((c) => c.frames.filter(isMessage(room)).length >= total),
      { timeoutMs: scaled(15000), what: `every client to get ${total} messages without further traffic (have `
        + `${[writer, ...readers].map((c) => c.frames.filter(isMessage(room)).length).join('/')})` });
    for (const c of [writer, ...readers]) {
      await c.sync();
      const problem = sequenceProblem(c.frames.filter(isMessage(room)), 1, total);
      assert.equal(problem, null, `${c.label}: ${problem}`);
    }
    await follower.next((f) => f.type === 'room_list' && f.event === 'refresh', scaled(15000), 'room_list refresh');
    await Promise.all(readers.map((c) => c.sync()));
    for (const c of readers) {
      assert.ok(!c.frames.some((f) => f.type === 'room_list'), `${c.label} never listed the rooms: no room_list event`);
    }
    figure(`pub/sub drop: ${stored} of ${BURST} messages stored while every subscriber was disconnected; `
      + `all delivered to 4 clients on 3 nodes ${Date.now() - killedAt} ms after the kill (${deliveredIn} ms after the burst)`);
  });

test('Redis down longer than the presence TTL: connected users stay present, nobody is announced gone',
  { timeout: scaled(60000) }, async () => {
    const room = uniqueId('longdown');
    const people = [await user(0, 'Pat Patient'), await user(1, 'Quin Patient'), await user(2, 'Ros Patient')];
    await people[0].create(room);
    for (const p of people) await p.join(room);
    for (const p of people) {
      await p.sync();
      for (const f of p.pending(isPresence(room))) p.consumed.add(p.frames.indexOf(f));
    }
    await cluster.redis.kill9();
    const DOWN_MS = FAST_PRESENCE.ttlMs + scaled(1000);  // every entry's deadline passes meanwhile
    await sleep(DOWN_MS);
    const restartedAt = await restartRedis();
    await untilNodesHearEachOther(cluster.nodes);
    // Until every node sweeps again (after the reconnection grace), then several sweep rounds.
    await sleep(RECONNECT_SPREAD_MS + FAST_PRESENCE.refreshMs + 4 * FAST_PRESENCE.sweepMs);
    for (const p of people) {
      await p.sync();
      assert.ok(p.isOpen, `${p.label}: still connected`);
      assert.deepEqual(p.pending(isPresence(room)), [], `${p.label}: no presence change announced`);
    }
    const newcomer = await user(0, 'Nia Newcomer');
    const joined = await newcomer.join(room);
    assert.deepEqual(joined.presence.map((e) => e.user.id).sort(), [...people, newcomer].map((p) => p.user.id).sort(),
      'everyone still connected is still present');
    const rooms = await people[1].expectReply({ type: 'rooms' }, 'rooms');
    assert.equal(rooms.rooms.find((r) => r.id === room)?.online, 4);
    figure(`presence across a ${DOWN_MS} ms Redis outage: ${people.length} users on 3 nodes still present `
      + `${Date.now() - restartedAt} ms after the restart`);
  });
