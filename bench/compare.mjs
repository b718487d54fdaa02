// scripts/bench: OutLoud, Socket.IO 4 and NATS (WebSocket) under the same generator, the same
// workloads, the same pinning (server on one core, generator on the other), repetitions
// interleaved (every system once per repetition, the order rotating), a fresh server per run.
// Writes bench/results/latest.json, bench/results/chart.svg and the table in README.md.
//   node compare.mjs --outloud-bin PATH [--quick|--full] [--reps N] [--systems a,b] [--workloads a,b]
//                    [--no-readme] [--out DIR] [--server-cores 0] [--generator-cores 1] [--outloud-args "…"]
//                    [--params '{"workload":{"name":value}}']
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chart, table } from './report.mjs';
import { killAll, pinned, startNats, startOutLoud, startSocketIo, stop } from './servers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const { values: opts } = parseArgs({
  options: {
    'outloud-bin': { type: 'string' },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    reps: { type: 'string' },
    systems: { type: 'string', default: 'outloud,outloud-batched,outloud-paged,socketio,nats' },
    workloads: { type: 'string', default: 'fanout,manyrooms,idle,joinstorm' },
    'no-readme': { type: 'boolean', default: false },
    'server-cores': { type: 'string', default: '0' },
    'generator-cores': { type: 'string', default: '1' },
    'outloud-args': { type: 'string', default: '' },
    out: { type: 'string' },  // where latest.json and chart.svg go (default bench/results)
    params: { type: 'string', default: '{}' },  // e.g. '{"idle":{"connections":2000}}': per workload, merged
  },
});

// Per mode: repetitions, workload parameters, a budget for the whole run and for one generator run.
const MODES = {
  quick: {
    // To check that everything works: one repetition, short steps, 2,000 idle connections.
    reps: 1, budgetSeconds: 300, runTimeoutSeconds: 150,
    fanout: { subscribers: 1000, firstStepSeconds: 3, stepSeconds: 1, startRate: 20, factor: 1.6, maxRate: 3000, p99LimitMs: 50 },
    manyrooms: { connections: 1000, rooms: 100, seconds: 3 },
    idle: { connections: 2000, rooms: 100, settleMs: 1000 },
    joinstorm: { connections: 1000 },
  },
  standard: {
    reps: 3, budgetSeconds: 1500, runTimeoutSeconds: 300,
    fanout: { subscribers: 1000, firstStepSeconds: 5, stepSeconds: 2, startRate: 20, factor: 1.4, maxRate: 3000, p99LimitMs: 50 },
    manyrooms: { connections: 1000, rooms: 100, seconds: 8 },
    idle: { connections: 10000, rooms: 100, settleMs: 2000 },
    joinstorm: { connections: 1000 },
  },
};
MODES.full = { ...MODES.standard, reps: 5, budgetSeconds: 2400 };
const modeName = opts.quick ? 'quick' : opts.full ? 'full' : 'standard';
const mode = structuredClone(MODES[modeName]);
for (const [workload, values] of Object.entries(JSON.parse(opts.params))) Object.assign(mode[workload], values);
const reps = Number(opts.reps ?? mode.reps);
const systems = opts.systems.split(',');
const workloads = opts.workloads.split(',');
const deadline = Date.now() + mode.budgetSeconds * 1000;

const SYSTEMS = {
  outloud: { label: 'OutLoud', start: () => startOutLoud({ bin: opts['outloud-bin'], cores: opts['server-cores'],
    extraArgs: opts['outloud-args'].split(' ').filter(Boolean) }) },
  // The same server, joined as a client for large rooms joins (protocol/README.md "Large rooms"):
  // a first page of presence and coalesced changes instead of every join to everyone.
  'outloud-paged': { label: 'OutLoud, joins with `presence_limit` 100', workloads: ['joinstorm'],
    start: () => SYSTEMS.outloud.start() },
  // The same server, joined with `message_batches` (protocol/README.md "Busy large rooms"): a round
  // of messages comes as one WebSocket message, as NATS packs its messages into few frames.
  'outloud-batched': { label: 'OutLoud, joins with `message_batches`', workloads: ['fanout'],
    start: () => SYSTEMS.outloud.start() },
  socketio: { label: 'Socket.IO 4', start: () => startSocketIo({ cores: opts['server-cores'] }) },
  nats: { label: 'NATS (WebSocket)', start: () => startNats({ cores: opts['server-cores'] }) },
};
for (const s of systems) if (!SYSTEMS[s]) throw new Error(`unknown system ${s}`);
if (systems.some((s) => s.startsWith('outloud')) && !opts['outloud-bin']) throw new Error('--outloud-bin is needed for outloud');

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killAll(); process.exit(130); });

function runGenerator(system, server, workload) {
  return new Promise((resolve) => {
    const child = spawn(...pinned(opts['generator-cores'], process.execPath, [join(HERE, 'generator', 'run.mjs'),
      '--system', system, '--url', server.url, '--pid', String(server.pid), '--workload', workload,
      '--params', JSON.stringify(mode[workload])]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), mode.runTimeoutSeconds * 1000);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        resolve({ ok: false, error: `generator gave no result (timeout ${mode.runTimeoutSeconds} s?): ${err.slice(-500)}` });
      }
    });
  });
}

const versions = {
  outloud: spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim(),
  socketio: JSON.parse(readFileSync(join(HERE, 'node_modules', 'socket.io', 'package.json'), 'utf8')).version,
  nats: spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^nats-server: v/, ''),
  node: process.version,
};
const started = new Date();
const loadAtStart = loadavg()[0];
// Share of the last minute in which some runnable task waited for a CPU (Linux PSI), if known.
const cpuPressureAtStart = (() => {
  try {
    return Number(/some [^\n]*?avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return null;
  }
})();
const runs = [];  // {rep, system, workload, result}
let outOfTime = false;

for (let rep = 1; rep <= reps && !outOfTime; rep++) {
  for (const workload of workloads) {
    // Interleaved: the order of systems rotates with each repetition.
    const order = systems.map((_, i) => systems[(i + rep - 1) % systems.length]);
    for (const system of order) {
      if (SYSTEMS[system].workloads && !SYSTEMS[system].workloads.includes(workload)) continue;
      if (Date.now() > deadline) { outOfTime = true; break; }
      let server;
      let result;
      try {
        server = await SYSTEMS[system].start();
        result = await runGenerator(system, server, workload);
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          result = { ok: false, error: `the server died: ${server.log().slice(-800)}` };
        }
      } catch (error) {
        result = { ok: false, error: String(error?.message ?? error) };
      } finally {
        await stop(server);
      }
      runs.push({ rep, system, workload, result });
      console.error(`rep ${rep} ${workload.padEnd(9)} ${system.padEnd(8)} ${summaryLine(workload, result)}`);
    }
    if (outOfTime) break;
  }
}

function summaryLine(workload, r) {
  if (!r.ok) return `FAILED: ${r.error.split('\n')[0]}`;
  const f = (x, d = 1) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));
  if (workload === 'fanout') {
    const b = r.best;
    return b ? `${b.deliveriesPerSecond} deliveries/s at p99 ${f(b.p99Ms)} ms, ${f(b.cpuSecondsPer1M, 2)} CPU-s/1M`
      + ` (${r.steps.length} steps${r.generatorBound ? ', generator-bound' : ''})`
      : `no step passed (first: p99 ${f(r.steps[0]?.p99Ms)} ms, lost ${r.steps[0]?.lost}, `
        + `generator event loop p99 delay ${f(r.steps[0]?.generatorLoopDelayP99Ms)} ms)`;
  }
  if (workload === 'manyrooms') {
    const m = r.result;
    return `p50 ${f(m.p50Ms, 2)} ms p99 ${f(m.p99Ms, 2)} ms, lost ${m.lost}, ${f(m.cpuSecondsPer1M, 2)} CPU-s/1M`;
  }
  if (workload === 'idle') {
    return `${f(r.kibPerConnection)} KiB/connection, ${f(r.kibPerConnectionMarginal)} past the first ${r.connections - r.marginalConnections} (${r.open} of ${r.connections} open)`;
  }
  return `${f(r.cpuSeconds, 2)} CPU-s, ${f(r.wallSeconds, 2)} s wall`;
}

// Median and range of one figure over the repetitions that produced it.
function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1], n: v.length };
}

const pick = (system, workload, get) => stats(runs.filter((r) => r.system === system && r.workload === workload && r.result.ok)
  .map((r) => get(r.result)));
const summary = systems.map((system) => ({
  system,
  label: SYSTEMS[system].label,
  fanoutDeliveries: pick(system, 'fanout', (r) => r.best?.deliveriesPerSecond ?? 0),
  fanoutP50: pick(system, 'fanout', (r) => r.best?.p50Ms),
  fanoutP99: pick(system, 'fanout', (r) => r.best?.p99Ms),
  fanoutCpuPer1M: pick(system, 'fanout', (r) => r.best?.cpuSecondsPer1M),
  fanoutCpuPer1MFirst: pick(system, 'fanout', (r) => (r.steps[0]?.lost === 0 ? r.steps[0].cpuSecondsPer1M : undefined)),
  fanoutGeneratorBound: runs.some((r) => r.system === system && r.workload === 'fanout' && r.result.generatorBound),
  manyP50: pick(system, 'manyrooms', (r) => r.result.p50Ms),
  manyP99: pick(system, 'manyrooms', (r) => r.result.p99Ms),
  manyLost: pick(system, 'manyrooms', (r) => r.result.lost),
  manyCpuPer1M: pick(system, 'manyrooms', (r) => r.result.cpuSecondsPer1M),
  idleKiB: pick(system, 'idle', (r) => (r.open === r.connections ? r.kibPerConnection : undefined)),
  joinCpu: pick(system, 'joinstorm', (r) => (r.errors === 0 ? r.cpuSeconds : undefined)),
  joinWall: pick(system, 'joinstorm', (r) => (r.errors === 0 ? r.wallSeconds : undefined)),
  failures: runs.filter((r) => r.system === system && !r.result.ok).map((r) => `${r.workload}: ${r.result.error.split('\n')[0]}`),
}));

const meta = { mode: modeName, reps, completedReps: Math.max(0, ...runs.map((r) => r.rep)), outOfTime, started: started.toISOString(),
  seconds: Math.round((Date.now() - started) / 1000), loadAtStart, cpuPressureAtStart, versions, params: mode,
  serverCores: opts['server-cores'], generatorCores: opts['generator-cores'], outloudArgs: opts['outloud-args'] };
const resultsDir = opts.out ? resolve(opts.out) : join(HERE, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify({ meta, summary, runs }, null, 1)}\n`);
const svgPath = join(resultsDir, 'chart.svg');
writeFileSync(svgPath, chart(summary, meta));
const markdown = table(summary, meta, relative(ROOT, svgPath));
console.log(markdown);

if (!opts['no-readme']) {
  const readme = join(ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- bench:begin (written by scripts/bench) -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error(`scripts/bench: no ${begin} … ${end} markers in README.md; the table is in bench/results/latest.json`);
  } else {
    writeFileSync(readme, `${text.slice(0, a + begin.length)}\n${markdown}\n${text.slice(b)}`);
    console.error('scripts/bench: README.md table and bench/results/chart.svg updated');
  }
}
const failed = runs.filter((r) => !r.result.ok).length;
process.exit(failed || outOfTime ? 1 : 0);
