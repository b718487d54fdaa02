// Redis Sentinel failover under two real nodes (issue 10, point 5): a master with append-only file
// (fsync always) and two replicas, three sentinels, two OutLoud nodes on
// `--redis redis-sentinel://…/MASTER --redis-wait-replicas 1`. The master is killed (SIGKILL)
// mid-traffic from four senders: the sentinels promote a replica, the nodes find it by themselves,
// sends resume, every acknowledged message is stored once at its seq and every live client ends
// gap-free. Prints the figures: time without a master, sends refused meanwhile, time until the
// first accepted send, acknowledged messages lost.
//
// Why two replicas: with --redis-wait-replicas 1 a message is acknowledged only once a replica has
// it, so after the failover the new master needs a replica of its own to accept sends again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { figure, health, isMessage, sequenceProblem, untilNodesHearEachOther, waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { redisQuery, startSentinelSetup } from '../lib/sentinel.mjs';
import { UNTHROTTLED, killAll, scaled, sleep, startServer } from '../lib/server.mjs';

let setup;
const nodes = [];
const clients = [];

before(async () => {
  setup = await startSentinelSetup({
    replicas: 2,
    sentinels: 3,
    downAfterMs: 1000,
    failoverTimeoutMs: 5000,
    // The master refuses writes when no replica is in reach (and so would a promoted replica).
    serverArgs: ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10'],
  });
  for (let i = 1; i <= 2; i++) {
    nodes.push(await startServer({
      nodeId: `sentinel-node${i}`,
      args: ['--redis', setup.url(), '--redis-wait-replicas', '1', '--redis-wait-timeout-ms', '1000', ...UNTHROTTLED],
    }));
  }
});
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await setup?.stop();
  await killAll();
});

async function user(nodeIndex, name, org = `org-${nodeIndex + 1}`) {
  const c = await connectAs(nodes[nodeIndex].wsUrl, name, org);
  c.label = `${name}@node${nodeIndex + 1}`;
  clients.push(c);
  return c;
}

test('--redis redis-sentinel://: the nodes find the master through the sentinels', { timeout: scaled(30000) }, async () => {
  await untilNodesHearEachOther(nodes);  // on the master named by the sentinels
  const room = uniqueId('named');
  const a = await user(0, 'Ann Named');
  const b = await user(1, 'Ben Named');
  await a.create(room);
  await a.join(room);
  await b.join(room);
  await a.say(room, 'through the master the sentinels named');
  assert.equal((await b.next(isMessage(room))).seq, 1);
  // It is in the master's stream, and the replicas have it.
  const keys = await redisQuery(setup.master.port, ['KEYS', `*${room}*`]);
  assert.ok(Array.isArray(keys) && keys.length > 0, `the master holds the room's keys: ${JSON.stringify(keys)}`);
});

test('master killed mid-traffic: a replica takes over, sends resume, nothing acknowledged is lost',
  { timeout: scaled(120000) }, async () => {
    const PER_SENDER = 100;
    const room = uniqueId('failover');
    const senders = [await user(0, 'Sam Sender'), await user(1, 'Sara Sender'), await user(0, 'Seb Sender'),
      await user(1, 'Sol Sender')];
    const listeners = [await user(0, 'Liv Listener'), await user(1, 'Lux Listener')];
    await senders[0].create(room);
    for (const c of [...senders, ...listeners]) await c.join(room);

    const run = startTraffic(room, senders, PER_SENDER);
    const { acked } = run;
    const started = Date.now();
    await waitUntil(() => run.progress >= PER_SENDER, { timeoutMs: scaled(30000), what: 'traffic to be under way' });
    const oldMaster = `127.0.0.1:${setup.master.port}`;
    assert.equal(await setup.namedMaster(), oldMaster);
    const beforeKill = run.progress;
    const killedAt = run.markFault();
    await setup.master.kill9();

    // No master until a sentinel names another one and that one says it is a master.
    const withoutMasterMs = await waitUntil(async () => {
      const named = await setup.namedMaster();
      if (!named || named === oldMaster) return false;
      const role = await redisQuery(Number(named.split(':')[1]), ['ROLE']).catch(() => null);
      return Array.isArray(role) && role[0] === 'master';
    }, { timeoutMs: scaled(30000), everyMs: 20, what: 'the sentinels to promote a replica' });
    await waitUntil(() => run.firstAcceptedAfterFault > 0, { timeoutMs: scaled(30000), everyMs: 10, what: 'a send accepted after the kill' });
    const refusedMeanwhile = run.refusedAfterFault;
    const firstAcceptedAfterKill = run.firstAcceptedAfterFault;
    await run.done;
    const total = senders.length * PER_SENDER;
    const trafficMs = Date.now() - started;
    const newMaster = await setup.namedMaster();
    assert.notEqual(newMaster, oldMaster);

    assert.equal(acked.size, total);
    const { lost } = await checkStoredAndLive(room, acked, total, [...senders, ...listeners]);
    for (const h of await Promise.all(nodes.map(health))) assert.equal(h?.redis, 'up');
    // The nodes write to the new master now.
    await senders[0].say(room, 'after the failover');
    const keys = await redisQuery(Number(newMaster.split(':')[1]), ['XLEN', (await findStreamKey(newMaster, room))]);
    assert.equal(keys, total + 1);

    figure(`sentinel failover mid-traffic: ${total} messages from 4 senders on 2 nodes (${beforeKill} acknowledged `
      + `before the SIGKILL of the master); time without a master ${withoutMasterMs} ms; ${refusedMeanwhile} sends `
      + `refused (unavailable) meanwhile, retried with their nonce; first send accepted ${firstAcceptedAfterKill - killedAt} ms `
      + `after the kill; acknowledged messages lost: ${lost.length}; all traffic done in ${trafficMs} ms `
      + `(--redis-wait-replicas 1, appendfsync always, min-replicas-to-write 1, down-after-milliseconds 1000)`);
  });

// Creates `room`, retrying while the master refuses writes (`unavailable`). A refused create may
// still have been written (WAIT unconfirmed): then the retry finds it (`conflict`), which is fine.
async function createWhenWritable(client, room) {
  let refused = 0;
  await waitUntil(async () => {
    const reply = await client.request({ type: 'create', room, title: `Room ${room}`, kind: 'room' });
    if (reply.type === 'created' || (refused > 0 && reply.code === 'conflict')) return true;
    assert.equal(reply.code, 'unavailable', `${client.label}: ${JSON.stringify(reply)}`);
    refused++;
    return false;
  }, { timeoutMs: scaled(30000), everyMs: 200, what: `${room} to be created while the master refuses writes` });
  return refused;
}

// Each sender sends `perSender` messages (or until stop()) one after the other; a refused one (only `unavailable` is
// allowed) is retried with the same nonce. markFault() starts counting refusals and the first send,
// started after it, that is accepted.
function startTraffic(room, senders, perSender) {
  const run = { acked: new Map(), progress: 0, faultAt: 0, refusedAfterFault: 0, firstAcceptedAfterFault: 0 };
  run.markFault = () => { run.faultAt = Date.now(); return run.faultAt; };
  run.stop = () => { run.stopping = true; return run.done; };  // each sender ends after its current message
  const sendAll = async (client, tag) => {
    for (let i = 0; i < perSender && !run.stopping; i++) {
      const nonce = `${tag}-${i}`;
      const firstTriedAt = Date.now();
      for (let attempt = 0; ; attempt++) {
        const startedAt = Date.now();
        const reply = await client.request({ type: 'send', room, text: `${tag} message ${i}`, nonce }, scaled(10000));
        if (reply.type === 'sent') {
          assert.ok(!run.acked.has(nonce) || run.acked.get(nonce) === reply.seq, `${nonce}: acknowledged twice with different seqs`);
          run.acked.set(nonce, reply.seq);
          run.progress++;
          if (run.faultAt && startedAt >= run.faultAt && !run.firstAcceptedAfterFault) run.firstAcceptedAfterFault = Date.now();
          break;
        }
        assert.equal(reply.code, 'unavailable', `${client.label}: ${nonce} refused with ${JSON.stringify(reply)}`);
        if (run.faultAt && !run.firstAcceptedAfterFault) run.refusedAfterFault++;
        // As long as the other waits of a failover: after a planned one, the new master refuses
        // writes until the old one has resynced as its replica (min-replicas-to-write 1), which a
        // loaded sanitizer run has taken more than 15 s to do.
        assert.ok(Date.now() - firstTriedAt < scaled(30000), `${nonce}: still refused after ${attempt} attempts (${Date.now() - firstTriedAt} ms): ${reply.message}`);
        await sleep(25);
      }
    }
  };
  run.done = Promise.all(senders.map((s, i) => sendAll(s, `${room}-s${i + 1}`)));
  return run;
}

// Every acknowledged message is stored exactly once at its seq (read back on node 2 with since 0),
// and every live client has the complete sequence in order, each once. Returns {joined, lost}.
async function checkStoredAndLive(room, acked, total, live) {
  const reader = await user(1, `Rae Reader ${room}`);
  const joined = await reader.join(room, { since: 0 });
  assert.equal(joined.recovered, true);
  assert.equal(joined.head, total, 'one stored message per nonce, nothing more');
  assert.equal(sequenceProblem(joined.messages, 1, total), null);
  const storedAt = new Map(joined.messages.map((m) => [m.nonce, m.seq]));
  const lost = [...acked].filter(([nonce, seq]) => storedAt.get(nonce) !== seq);
  assert.deepEqual(lost, [], 'acknowledged messages missing or moved after the failover');
  await waitUntil(() => live.every((c) => c.frames.filter(isMessage(room)).length >= total),
    { timeoutMs: scaled(20000), what: 'every live client to have every message' });
  for (const c of live) {
    await c.sync();
    assert.ok(c.isOpen, `${c.label}: the failover did not close the connection`);
    const got = c.frames.filter(isMessage(room));
    assert.equal(sequenceProblem(got, 1, total), null, `${c.label}: ${sequenceProblem(got, 1, total)}`);
    got.forEach((m, i) => assert.equal(m.nonce, joined.messages[i].nonce, `${c.label}: seq ${m.seq}`));
  }
  return { joined, lost };
}

// A planned failover rolls back on the old master whatever its replicas had not received. With
// --redis-wait-replicas a message is published only after WAIT confirms it (redis_store.cpp), so no
// live client can hold a message that the failover takes back and whose seq goes to another.
test('SENTINEL FAILOVER mid-traffic (the old master lives on as a replica): the nodes move, nothing is lost',
  { timeout: scaled(90000) },
  async () => {
    const room = uniqueId('switch');
    const senders = [await user(0, 'Gus Graceful'), await user(1, 'Gia Graceful')];
    const listeners = [await user(0, 'Hal Hearing'), await user(1, 'Hui Hearing')];
    // After the last test's failover the master may still be without a replica in reach for a
    // moment (the other replica being moved over to it): it refuses writes until then.
    const refusedAtStart = await createWhenWritable(senders[0], room);
    for (const c of [...senders, ...listeners]) await c.join(room);
    const oldMaster = await setup.namedMaster();
    const run = startTraffic(room, senders, Infinity);
    await waitUntil(() => run.progress >= 50, { timeoutMs: scaled(30000), what: 'traffic to be under way' });
    const asked = run.markFault();
    // Refused (NOGOODSLAVE, INPROG) until the sentinels see the last failover through.
    await waitUntil(async () => (await setup.sentinels[0].query(['SENTINEL', 'FAILOVER', setup.masterName])) === 'OK',
      { timeoutMs: scaled(30000), everyMs: 200, what: 'SENTINEL FAILOVER to be accepted' });
    const switchedIn = await waitUntil(async () => {
      const named = await setup.namedMaster();
      return named && named !== oldMaster;
    }, { timeoutMs: scaled(30000), everyMs: 20, what: 'the sentinels to switch the master' });
    // From the switch on, the first accepted send is on the new master (the old one has lost its
    // replica, so WAIT cannot confirm anything there). Refusals count from the request on.
    run.firstAcceptedAfterFault = 0;
    const switchedAt = run.markFault();
    // Traffic goes on until sends are accepted on the new master for a while.
    await waitUntil(() => run.firstAcceptedAfterFault > 0, { timeoutMs: scaled(30000), everyMs: 10, what: 'a send accepted after the switch' });
    const atSwitch = run.progress;
    await waitUntil(() => run.progress >= atSwitch + 50, { timeoutMs: scaled(30000), what: 'traffic on the new master' });
    await run.stop();
    const total = run.acked.size;
    const { lost } = await checkStoredAndLive(room, run.acked, total, [...senders, ...listeners]);
    const role = await redisQuery(Number(oldMaster.split(':')[1]), ['ROLE']);
    assert.equal(role[0], 'slave', 'the old master lives on as a replica');
    figure(`SENTINEL FAILOVER mid-traffic: ${total} messages; master switched ${switchedIn} ms after the command was accepted; `
      + `${run.refusedAfterFault} sends refused (unavailable) meanwhile; first send accepted `
      + `${run.firstAcceptedAfterFault - asked} ms after the request (${run.firstAcceptedAfterFault - switchedAt} ms after the switch); `
      + `acknowledged messages lost: ${lost.length}; the room's create was refused ${refusedAtStart} time(s) before it`);
  });

test('--redis-wait-replicas: no replica confirms, no `sent`; once one does, the retry gets the same seq',
  { timeout: scaled(60000) }, async () => {
    const lone = await startRedis();
    const node = await startServer({ nodeId: 'wait-node',
      // The timeout leaves room for a loaded machine: a replica in sync that answers late would
      // refuse a send that the test expects confirmed.
      args: ['--redis', lone.url, '--redis-wait-replicas', '1', '--redis-wait-timeout-ms', String(scaled(1000)), ...UNTHROTTLED] });
    nodes.push(node);
    try {
      // Connected first: a node not yet on Redis refuses the create below as well, for another reason.
      await untilNodesHearEachOther([node]);
      const c = await connectAs(node.wsUrl, 'Wyn Waiter', 'org-w');
      clients.push(c);
      const room = uniqueId('wait');
      // Every acknowledged write waits for the replicas, not only messages: the room stands on the
      // master, but its creation is not acknowledged.
      const notCreated = await c.request({ type: 'create', room });
      assert.equal(notCreated.type, 'error', JSON.stringify(notCreated));
      assert.equal(notCreated.code, 'unavailable');
      assert.match(notCreated.message, /replica/i, 'refused for want of a replica, not because Redis is unreachable');
      await c.join(room);
      const refused = await c.request({ type: 'send', room, text: 'no replica yet', nonce: 'w-1' });
      assert.equal(refused.type, 'error', JSON.stringify(refused));
      assert.equal(refused.code, 'unavailable');
      // Stored on the master (and delivered), but not acknowledged: the retry must not store it twice.
      const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(lone.port)] });
      try {
        const sent = await waitUntil(async () => (await c.request({ type: 'send', room, text: 'no replica yet', nonce: 'w-1' })).type === 'sent',
          { timeoutMs: scaled(15000), everyMs: 100, what: 'the send confirmed once a replica is in sync' });
        const again = await c.request({ type: 'send', room, text: 'no replica yet', nonce: 'w-1' });
        assert.equal(again.type, 'sent', JSON.stringify(again));
        assert.equal(again.seq, 1, 'the first attempt\'s seq, stored once');
        const next = await c.request({ type: 'send', room, text: 'with a replica', nonce: 'w-2' });
        assert.equal(next.type, 'sent', JSON.stringify(next));
        assert.equal(next.seq, 2);
        const edited = await c.request({ type: 'edit', room, seq: 2, text: 'with a replica, edited' });
        assert.equal(edited.type, 'changed', JSON.stringify(edited));
        figure(`--redis-wait-replicas 1 without a replica: send answered unavailable; confirmed ${sent} ms after a replica started`);
      } finally {
        await replica.stop();
      }
      // The replica gone, an edit is no longer acknowledged either.
      const unconfirmed = await c.request({ type: 'edit', room, seq: 2, text: 'no replica to confirm it' });
      assert.equal(unconfirmed.type, 'error', JSON.stringify(unconfirmed));
      assert.equal(unconfirmed.code, 'unavailable');
    } finally {
      await node.stop();
      await lone.stop();
    }
  });

async function findStreamKey(hostPort, room) {
  const keys = await redisQuery(Number(hostPort.split(':')[1]), ['KEYS', `*${room}*`]);
  for (const key of keys) {
    if (await redisQuery(Number(hostPort.split(':')[1]), ['TYPE', key]) === 'stream') return key;
  }
  throw new Error(`no stream key for ${room} among ${JSON.stringify(keys)}`);
}
