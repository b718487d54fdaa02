// A connection's reading pauses while its send queue is over --max-queue-bytes (or
// --max-queue-frames) and resumes when a write brings it back under: a client that asks and never
// reads costs its queue, not every reply it could ask for, and one that reads again later gets
// every reply. The slow-consumer rule still applies: a paused reader whose writes stay stuck for
// --slow-client-grace is dropped. Prints the server's RSS (from /proc/<pid>/status) before, at
// the peak and after the load.
//
// What pausing bounds is the requests read after the queue is full; those read before their
// replies came back are bounded by the rate limit (and the hub's cap on requests in flight). So the
// clients here pace their requests until the server says (debug log) it paused them, then send a
// burst that only a server that kept reading would answer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { waitUntil } from '../lib/cluster.mjs';
import { fetchMetrics, metricValue, sendMany } from '../lib/protocol.mjs';
import { SANITIZE, UNTHROTTLED, asanEnv, scaled, sleep, startServer } from '../lib/server.mjs';

const MiB = 1024 * 1024;
const QUEUE_CAP = 2 * MiB;  // --max-queue-bytes here; 8 times it drops a client at once
// The flooding test caps requests in flight per connection (the product's default is 32): what a
// client has read before its queue fills then costs at most this many replies, however slowly the
// server answers (uncapped, that count grew with the machine's load).
const IN_FLIGHT = 4;
const servers = [];
const clients = [];
after(async () => {
  for (const c of clients) c.ws.terminate();
  await Promise.all(servers.map((s) => s.stop()));
});

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}
const mb = (bytes) => (bytes / MiB).toFixed(1);

// Waits until the server's RSS has moved by less than 1 MiB for `quietMs` (or `maxMs` passed):
// the replies it had read requests for are built and queued, or the memory it gives back is back.
async function untilRssSteady(pid, { quietMs, maxMs }) {
  const start = Date.now();
  let last = memory(pid).rss;
  let steadySince = Date.now();
  while (Date.now() - start < maxMs && Date.now() - steadySince < quietMs) {
    await sleep(100);
    const now = memory(pid).rss;
    if (Math.abs(now - last) >= MiB) {
      last = now;
      steadySince = Date.now();
    }
  }
}
const pausedCount = (srv) => new Set([...srv.stderr.matchAll(/ws (\d+): reading paused/g)].map((m) => m[1])).size;

// On an ASan build RSS means something only if freed memory is not held in quarantine and goes
// back to the system at once, with short allocation stacks.
const RSS_ASAN_OPTIONS = 'quarantine_size_mb=0:thread_local_quarantine_size_kb=0:' +
  'allocator_release_to_os_interval_ms=0:malloc_context_size=2';

// A server and a room of 200 messages of 4,000 characters: a `history` of limit 200 is ~0.84 MB.
async function serverWithBigRoom(args, { inFlight = null } = {}) {
  const limits = inFlight === null ? UNTHROTTLED : ['--rate-limit', '0', '--max-requests-in-flight', String(inFlight)];
  const srv = await startServer({
    // Under ASan the store's reader threads each keep an allocator cache that ASan makes large:
    // the bound is about the queues, so reads stay on the writer's thread there (Release uses the pool).
    args: [...limits, '--max-queue-bytes', String(QUEUE_CAP), '--log-level', 'debug',
      ...(SANITIZE ? ['--store-readers', '0'] : []), ...args],
    env: asanEnv(RSS_ASAN_OPTIONS),
  });
  servers.push(srv);
  const writer = await connectAs(srv.wsUrl, 'Writer', 'essex-cc');
  clients.push(writer);
  const room = uniqueId('big');
  await writer.create(room);
  await writer.join(room);
  // Sends at once stay well within the server's cap: a frame counts as in flight until everything that
  // could still answer it is done, which can be a moment after its reply.
  const batch = inFlight === null ? 200 : Math.max(1, inFlight / 2);
  for (let from = 0; from < 200; from += batch) {
    await sendMany(writer, room, Math.min(batch, 200 - from), (i) => `${from + i}:`.padEnd(4000, 'x'), () => ({}), scaled(60000));
  }
  const reply = await writer.request({ type: 'history', room, limit: 200 }, scaled(20000));
  assert.equal(reply.messages?.length, 200);
  return { srv, room, replyBytes: JSON.stringify(reply).length };
}

async function flooders(srv, count) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const c = await connectAs(srv.wsUrl, `Flooder ${i}`, 'essex-cc');
    clients.push(c);
    c.pause();  // never reads: the kernel buffers fill, then the server's queue
    c.sent = 0;
    list.push(c);
  }
  return list;
}

function ask(c, room) {
  c.sent += 1;
  c.sendText(JSON.stringify({ type: 'history', id: c.sent, room, limit: 200 }));
}

// Every 250 ms each client asks once more, until the server has paused `pausedTarget` readers
// (or `max` requests each were sent); then each sends a burst of `burst` more at once.
async function floodUntilPaused(srv, list, room, { pausedTarget, max = 80, burst = 40 }) {
  for (let round = 0; round < max && pausedCount(srv) < pausedTarget && !list.every((c) => c.closeInfo); round++) {
    for (const c of list) if (!c.closeInfo) ask(c, room);
    await sleep(250);
  }
  for (const c of list) for (let i = 0; i < burst && !c.closeInfo; i++) ask(c, room);
}

describe('read pausing', { timeout: scaled(180000) }, () => {
  test('clients that flood history requests and never read cost about their queue', async () => {
    const { srv, room, replyBytes } = await serverWithBigRoom(['--slow-client-grace', '600'], { inFlight: IN_FLIGHT });
    const list = await flooders(srv, 4);
    const before = memory(srv.pid);
    await floodUntilPaused(srv, list, room, { pausedTarget: list.length });
    await untilRssSteady(srv.pid, { quietMs: 1000, maxMs: scaled(3000) });  // what was read is answered and queued
    const { rss: loaded, peak } = memory(srv.pid);
    const open = list.filter((c) => !c.closeInfo).length;
    const sent = list.reduce((n, c) => n + c.sent, 0);
    for (const c of list) c.ws.terminate();
    await untilRssSteady(srv.pid, { quietMs: 1000, maxMs: scaled(5000) });
    const settled = memory(srv.pid).rss;

    const growth = peak - before.rss;
    // Each: the queue cap, plus the replies to the requests it had in flight when its queue filled
    // (and the one that took it over the cap, and one being serialized); ASan adds its shadow, an
    // eighth of the memory it covers. (With reading never paused, the flooders are dropped at 8
    // times the cap: +75 MB on the ASan build.)
    const bound = (list.length * (QUEUE_CAP + (IN_FLIGHT + 2) * replyBytes) + 32 * MiB) * (SANITIZE ? 9 / 8 : 1);
    console.log(`[figure] ${list.length} non-reading clients, ${sent} history requests of ${mb(replyBytes)} MB ` +
      `(queue cap ${mb(QUEUE_CAP)} MB): RSS before ${mb(before.rss)} MB, peak ${mb(peak)} MB (+${mb(growth)}), ` +
      `loaded ${mb(loaded)} MB, settled after they left ${mb(settled)} MB; bound +${mb(bound)} MB; ` +
      `${pausedCount(srv)} paused, ${open} still open`);
    assert.equal(open, list.length, 'a flooder was dropped (its queue reached 8 times the cap) though the grace is 600 s');
    assert.ok(growth < bound, `RSS grew by ${mb(growth)} MB, over the bound of ${mb(bound)} MB`);
    assert.equal(pausedCount(srv), list.length, 'not every flooder was paused');
  });

  test('a paused reader that reads again gets every reply once, and is not dropped', async () => {
    const { srv, room, replyBytes } = await serverWithBigRoom(['--slow-client-grace', '600']);
    const [c] = await flooders(srv, 1);
    // A burst it will read back at full speed: small enough that its replies, all read at once when
    // reading resumes, stay under 8 times the cap (requests in flight are not this layer's to cap).
    await floodUntilPaused(srv, [c], room, { pausedTarget: 1, burst: 10 });
    await sleep(scaled(1000));
    assert.equal(c.closeInfo, null, `closed while paused: ${JSON.stringify(c.closeInfo)}`);
    assert.equal(pausedCount(srv), 1, 'the reader was never paused');
    c.resume();
    for (let id = 1; id <= c.sent; id++) {
      const reply = await c.next((f) => f.re === id, scaled(30000), `history ${id}`);
      assert.equal(reply.type, 'history');
      assert.equal(reply.messages.length, 200);
    }
    // Each reply exactly once. History pages are read and serialized on worker threads, so replies to
    // different requests may overtake each other; each carries its `re`.
    const answered = c.frames.filter((f) => f.type === 'history').map((f) => f.re).sort((a, b) => a - b);
    assert.deepEqual(answered, Array.from({ length: c.sent }, (_, i) => i + 1));
    assert.equal((await c.sync()).type, 'pong');
    // The log is written by a thread of its own: the line may follow the replies by a moment.
    await waitUntil(() => /reading resumed/.test(srv.stderr), { what: '"reading resumed" in the log' });
    console.log(`[figure] one paused reader: ${c.sent} history requests of ${mb(replyBytes)} MB, every reply ` +
      `arrived in order once it read again`);
  });

  test('a paused reader whose writes stay stuck is still dropped after --slow-client-grace', async () => {
    const { srv, room } = await serverWithBigRoom(['--slow-client-grace', String(scaled(1000) / 1000)]);  // 1 s (slower builds: more)
    const [c] = await flooders(srv, 1);
    await floodUntilPaused(srv, [c], room, { pausedTarget: 1, burst: 5 });
    assert.equal(pausedCount(srv), 1, 'the reader was never paused');
    // The client reads nothing, so the server's count says it was dropped.
    const deadline = Date.now() + scaled(10000);
    let dropped = 0;
    while (dropped < 1 && Date.now() < deadline) {
      dropped = metricValue(await fetchMetrics(srv), /^outloud_slow_clients_dropped_total$/);
      if (dropped < 1) await sleep(100);
    }
    assert.equal(dropped, 1, 'the paused reader was never dropped');
    await waitUntil(() => /slow consumer .*: dropped/.test(srv.stderr), { what: '"slow consumer … dropped" in the log' });
  });
});
