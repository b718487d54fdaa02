// The neutral load generator of scripts/bench: one workload against one running server, the same
// code for every system (clients.mjs holds the only system-specific part, the wire protocol).
// Prints one JSON line with the figures. Run pinned to the other core than the server.
//   node run.mjs --system outloud|socketio|nats --url URL --pid SERVER_PID --workload NAME [--params JSON]
// Workloads: fanout, manyrooms, idle, joinstorm (see each function for its parameters).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { makeClient, payload } from './clients.mjs';
import { Recorder, cpuSeconds, rssKiB, sleep, waitFor, waitQuiet } from './measure.mjs';

const { values: args } = parseArgs({
  options: {
    system: { type: 'string' },
    url: { type: 'string' },
    pid: { type: 'string' },
    workload: { type: 'string' },
    params: { type: 'string', default: '{}' },
  },
});
const pid = Number(args.pid);
const params = JSON.parse(args.params);
const recorder = new Recorder();
const clients = [];

// Opens `count` clients (and joins each to roomOf(i), when given), `concurrency` at a time.
async function openClients(count, roomOf, concurrency = 200) {
  const opened = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const client = makeClient(args.system, args.url, recorder, clients.length + i);
      opened[i] = client;
      await client.open();
      if (roomOf) await client.join(roomOf(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  clients.push(...opened);
  return opened;
}

const errorsOf = (list) => list.reduce((sum, c) => sum + c.errors, 0) + recorder.refused;

// Sends from `senders` (round robin) at `rate` messages/s for `seconds`; returns what was sent.
async function paced(senders, room, rate, seconds, step) {
  const started = Date.now();
  let sent = 0;
  for (;;) {
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.floor(rate * elapsed);
    for (; sent < due; sent++) {
      const sender = senders[sent % senders.length];
      sender.publish(room(sender, sent), payload(step, sent));
    }
    await sleep(2);
  }
  return { sent, seconds: (Date.now() - started) / 1000 };
}

// One step: send, wait for every delivery (or a stall), and take the figures.
async function runStep(step, { senders, room, rate, seconds, perMessage, drainMs }) {
  recorder.begin(step);
  recorder.refused = 0;
  const cpu0 = cpuSeconds(pid);
  const gen0 = process.cpuUsage();
  // How late the generator's own event loop ran: large, and its latencies are partly its own.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const { sent, seconds: sendSeconds } = await paced(senders, room, rate, seconds, step);
  const expected = sent * perMessage;
  // A backlog still moving is waited for (up to 30 s); one that stalls for drainMs counts as lost.
  await waitFor(() => recorder.received >= expected, () => recorder.received, { stallMs: drainMs, maxMs: 30000 });
  const cpu = cpuSeconds(pid) - cpu0;
  const gen = process.cpuUsage(gen0);
  loopDelay.disable();
  const received = recorder.received;
  const p99 = recorder.percentileMs(99);
  return {
    rate,
    sent,
    expected,
    received,
    lost: Math.max(0, expected - received),
    extra: Math.max(0, received - expected),
    refused: recorder.refused,
    deliveriesPerSecond: Math.round(received / sendSeconds),
    p50Ms: recorder.percentileMs(50),
    p99Ms: p99,
    serverCpuSeconds: cpu,
    cpuSecondsPer1M: received > 0 ? (cpu / received) * 1e6 : null,
    generatorCpuShare: (gen.user + gen.system) / 1e6 / sendSeconds,
    generatorLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    passed: received === expected && recorder.refused === 0 && p99 !== null && p99 < params.p99LimitMs,
  };
}

// 1 room, `subscribers` connections joined (one of them publishes); the publisher's rate steps up
// by `factor` until a step misses p99 < p99LimitMs or loses anything, then one step halfway back.
// A step that lost nothing and missed only the p99 is run once more, after a quiet spell: on a
// shared VM one stall of the disk or the host (~100 ms) is enough to miss it, and one such event
// must not decide a system's rate. Both runs are kept in `steps` (the second with `retry: true`);
// the rate fails if the second misses too. The same rule holds for every system.
async function fanout() {
  const { subscribers = 1000, stepSeconds = 2, startRate = 20, factor = 1.5, maxRate = 5000 } = params;
  // The first step is longer: its CPU per delivery, at the same rate for every system, is the
  // figure least disturbed by other work on the machine.
  const { firstStepSeconds = stepSeconds } = params;
  const room = 'fanout';
  const [creator] = await openClients(1);
  await creator.create(room);
  await creator.join(room);
  await openClients(subscribers - 1, () => room);
  await waitQuiet(pid, { maxMs: 10000 });
  const steps = [];
  let best = null;
  let failedRate = null;
  const attempt = async (rate, seconds) => {
    let result = await runStep(steps.length + 1, { senders: [creator], room: () => room, rate, seconds,
      perMessage: subscribers, drainMs: 1000 });
    steps.push(result);
    if (!result.passed && result.lost === 0 && result.refused === 0) {
      await waitQuiet(pid, { maxMs: 5000 });
      result = { ...(await runStep(steps.length + 1, { senders: [creator], room: () => room, rate,
        seconds: stepSeconds, perMessage: subscribers, drainMs: 1000 })), retry: true };
      steps.push(result);
    }
    return result;
  };
  for (let rate = startRate, step = 1; rate <= maxRate; rate = Math.round(rate * factor), step++) {
    const result = await attempt(rate, step === 1 ? firstStepSeconds : stepSeconds);
    if (!result.passed) { failedRate = rate; break; }
    best = result;
  }
  if (best && failedRate) {
    await waitQuiet(pid, { maxMs: 5000 });
    const rate = Math.round(Math.sqrt(best.rate * failedRate));
    if (rate > best.rate && rate < failedRate) {
      const result = await attempt(rate, stepSeconds);
      if (result.passed) best = result;
    }
  }
  return { best, steps, generatorBound: best ? best.generatorCpuShare > 0.9 : null };
}

// `connections` connections over `rooms` rooms, each connection sending `ratePerConnection`/s.
async function manyrooms() {
  const { connections = 1000, rooms = 100, seconds = 10, ratePerConnection = 1 } = params;
  const roomName = (i) => `many-${i % rooms}`;
  const [creator] = await openClients(1);
  for (let i = 0; i < rooms; i++) await creator.create(roomName(i));
  const members = await openClients(connections, roomName);
  await waitQuiet(pid, { maxMs: 10000 });
  const roomOf = new Map(members.map((c, i) => [c, roomName(i)]));
  const result = await runStep(1, { senders: members, room: (sender) => roomOf.get(sender), rate: connections * ratePerConnection,
    seconds, perMessage: connections / rooms, drainMs: 1500 });
  return { result };
}

// `connections` connections joined over `rooms` rooms and then idle: the server's RSS growth, from
// before the first connection (kibPerConnection) and from a warm point (kibPerConnectionMarginal:
// after the first `warmShare` of the connections, so the first-use costs — thread caches, the
// rooms' first members, the heap's first growth — are left out). `holdMs` keeps them open after
// measuring (to look at the server meanwhile).
async function idle() {
  const { connections = 10000, rooms = 100, settleMs = 2000, warmShare = 0.1, holdMs = 0 } = params;
  const roomName = (i) => `idle-${i % rooms}`;
  const [creator] = await openClients(1);
  for (let i = 0; i < rooms; i++) await creator.create(roomName(i));
  await waitQuiet(pid, { maxMs: 5000 });
  const before = rssKiB(pid);
  const started = Date.now();
  const warmCount = Math.max(rooms, Math.floor(connections * warmShare));
  await openClients(warmCount, roomName);
  await waitQuiet(pid, { maxMs: 30000 });
  await sleep(settleMs);
  const warm = rssKiB(pid);
  await openClients(connections - warmCount, (i) => roomName(warmCount + i));
  const connectSeconds = (Date.now() - started) / 1000;
  await waitQuiet(pid, { maxMs: 30000 });
  await sleep(settleMs);
  const after = rssKiB(pid);
  const open = clients.filter((c) => !c.closed).length - 1;
  if (holdMs > 0) {
    process.stderr.write(`idle: ${open} open, holding ${holdMs} ms\n`);
    await sleep(holdMs);
  }
  return { connections, open, rssBeforeKiB: before, rssWarmKiB: warm, rssAfterKiB: after,
    kibPerConnection: (after - before) / connections,
    kibPerConnectionMarginal: (after - warm) / (connections - warmCount), marginalConnections: connections - warmCount,
    connectSeconds, errors: errorsOf(clients) };
}

// `connections` connections open (not joined), then all join one room at once.
async function joinstorm() {
  const { connections = 1000 } = params;
  const room = 'storm';
  const [creator] = await openClients(1);
  await creator.create(room);
  const joiners = await openClients(connections);
  await waitQuiet(pid, { maxMs: 10000 });
  const cpu0 = cpuSeconds(pid);
  const started = Date.now();
  const joins = await Promise.allSettled(joiners.map((c) => c.join(room)));
  const wallSeconds = (Date.now() - started) / 1000;
  const unanswered = joins.filter((j) => j.status === 'rejected');
  if (unanswered.length) throw new Error(`${unanswered.length} of ${connections} joins failed: ${unanswered[0].reason.message}`);
  // Presence and other consequences of the joins count too: until the server is quiet again.
  const quiet = await waitQuiet(pid, { windowMs: 300, maxMs: 30000 });
  return { connections, wallSeconds, cpuSeconds: cpuSeconds(pid) - cpu0, quiet, errors: errorsOf(clients) };
}

const workloads = { fanout, manyrooms, idle, joinstorm };
const started = Date.now();
let output;
try {
  if (!workloads[args.workload]) throw new Error(`unknown workload ${args.workload}`);
  params.p99LimitMs ??= 50;
  output = { ok: true, ...(await workloads[args.workload]()) };
} catch (error) {
  output = { ok: false, error: String(error?.stack ?? error) };
}
output.seconds = (Date.now() - started) / 1000;
for (const client of clients) client?.close();
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(output.ok ? 0 : 1);
