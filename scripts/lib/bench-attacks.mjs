// The hostile loads of issue 8, against a real Release server: for each, the server's RSS before,
// at its peak and some seconds after, and the round trips of an ordinary user meanwhile (send →
// sent, leave → join). Prints one `[figure]` line per number. Run by scripts/bench-attacks.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAs } from '../../tests/lib/client.mjs';
import { startServer, tmpDir } from '../../tests/lib/server.mjs';

const WebSocket = createRequire(new URL('../../tests/package.json', import.meta.url))('ws');
const SETTLE_S = Number(process.env.SETTLE_S ?? 30);
const ROOMS = 12_000;
const RECORD_MESSAGES = 50_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function figure(name, value, unit = '') {
  console.log(`[figure] ${name}: ${value}${unit ? ` ${unit}` : ''}`);
}

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

// Samples RSS every 50 ms until stopped; returns the peak.
function watchRss(pid) {
  let peak = rssMb(pid);
  const timer = setInterval(() => { try { peak = Math.max(peak, rssMb(pid)); } catch { /* exited */ } }, 50);
  return { stop() { clearInterval(timer); return peak; } };
}

// The server's CPU time so far (user + system), and the whole machine's busy time (all cores), in
// seconds: on a shared machine the second tells how much else was running meanwhile.
function cpuSeconds(pid) {
  const ticks = 100;  // USER_HZ on Linux
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const server = (Number(fields[11]) + Number(fields[12])) / ticks;
  const all = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const machine = (all[0] + all[1] + all[2] + all[5] + all[6] + all[7]) / ticks;  // user nice system irq softirq steal
  return { server, machine };
}

function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// An ordinary user: sends and re-joins in a loop, timing each round trip, until its stdin ends.
// It runs in its own process, so that the attackers' work in this one (reading 27 MB records)
// cannot delay its timings.
async function runProbe(wsUrl) {
  const probe = await connectAs(wsUrl, 'Probe User', 'essex-cc', { label: 'probe' });
  const room = 'probe-room';  // made with the others: creating it would count against the limits
  await probe.join(room);
  const times = [];
  const slow = [];
  let running = true;
  process.stdin.on('end', () => { running = false; });
  process.stdin.resume();
  for (let i = 0; running; i++) {
    const t0 = performance.now();
    if (i % 5 === 4) {
      await probe.request({ type: 'leave', room }, 30_000);
      await probe.request({ type: 'join', room, limit: 1 }, 30_000);
    } else {
      await probe.request({ type: 'send', room, text: `probe ${i}` }, 30_000);
    }
    const ms = performance.now() - t0;
    times.push(ms);
    if (ms > 50) slow.push(`${i % 5 === 4 ? 'join' : 'send'} ${ms.toFixed(0)}`);
    await sleep(20);  // 30-40 requests a second: inside the rate limit
  }
  await probe.close();
  process.stdout.write(JSON.stringify({ times, slow }));
}

async function startProbe(wsUrl) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--probe', wsUrl],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await sleep(1000);  // connected and joined
  return {
    async stop() {
      child.stdin.end();
      await exited;
      const { times, slow } = JSON.parse(out);
      if (process.env.VERBOSE && slow.length) console.log(`  slow round trips: ${slow.join(', ')}`);
      return times;
    },
  };
}

// Raw WebSocket clients for the attackers: they only count bytes, parse nothing.
function rawClient(wsUrl, name) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'outloud.v1', { maxPayload: 512 * 1024 * 1024 });
    ws.on('error', reject);
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', id: 0, name, org: 'resident' }));
      ws.once('message', () => resolve(ws));
    });
  });
}

const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY) : null;  // run only the phases matching

async function phase(server, name, attack) {
  if (ONLY && !ONLY.test(name)) return;
  const before = rssMb(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const clientBefore = process.cpuUsage();  // this process runs the attackers' clients
  const watch = watchRss(server.pid);
  const probe = await startProbe(server.wsUrl);
  const t0 = performance.now();
  const note = await attack();
  const seconds = (performance.now() - t0) / 1000;
  await sleep(Math.max(0, 5000 - (performance.now() - t0)));  // the probe runs 5 s at least
  const times = await probe.stop();
  const peak = watch.stop();
  const cpuAfter = cpuSeconds(server.pid);
  const clientCpu = process.cpuUsage(clientBefore);
  const wall = (performance.now() - t0) / 1000;
  await sleep(SETTLE_S * 1000);
  const after = rssMb(server.pid);
  figure(`${name}: attack duration`, seconds.toFixed(1), 's');
  if (note) figure(`${name}: outcome`, note);
  figure(`${name}: CPU seconds server / attackers' clients / whole machine (${os.cpus().length} cores: ${(os.cpus().length * wall).toFixed(1)} available)`,
    `${(cpuAfter.server - cpuBefore.server).toFixed(1)} / ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} / ` +
    `${(cpuAfter.machine - cpuBefore.machine).toFixed(1)}`, 's');
  figure(`${name}: RSS before / peak / ${SETTLE_S} s after`, `${before.toFixed(0)} / ${peak.toFixed(0)} / ${after.toFixed(0)}`, 'MB');
  figure(`${name}: other user's round trips p50 / p99 / max (n=${times.length})`,
    `${percentile(times, 50).toFixed(1)} / ${percentile(times, 99).toFixed(1)} / ${Math.max(...times).toFixed(1)}`, 'ms');
}

// Fills the database directly (the server made its schema): 12,000 rooms, a room of 200 messages
// of 16,000 characters, and a session of 50,000 messages of about 450 bytes.
function populate(dataPath) {
  const sql = `
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROOMS})
INSERT INTO rooms(id, title, kind, created_by, created_at, parent)
  SELECT printf('attack-room-%05d', i), printf('Room %d', i), 'room', 'u-seed', 1700000000000 + i, NULL FROM n;
INSERT INTO rooms(id, title, kind, created_by, created_at, parent) VALUES('probe-room', 'Probe', 'room', 'u-seed', 1700000000000, NULL);
INSERT INTO rooms(id, title, kind, created_by, created_at, parent) VALUES('big-history', 'Large messages', 'room', 'u-seed', 1700000000000, NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO messages(room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce)
  SELECT 'big-history', i, 1700000000000 + i, 'u-seed', 'Seed', 'essex-cc', 'general', printf('%.16000c', 'x'), NULL, NULL, NULL FROM n;
INSERT INTO rooms(id, title, kind, created_by, created_at, parent) VALUES('the-record', 'A long session', 'session', 'u-seed', 1700000000000, NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${RECORD_MESSAGES})
INSERT INTO messages(room, seq, ts, user_id, user_name, user_org, topic, text, tag, reply_to, nonce)
  SELECT 'the-record', i, 1700000000000 + i, 'u-seed', 'Seed', 'essex-cc', 'general',
         printf('message %d: %.420c', i, 'y'), CASE WHEN i % 10 = 0 THEN 'learn' END, NULL, NULL FROM n;
COMMIT;`;
  execFileSync('sqlite3', [dataPath], { input: sql });
}

async function main() {
  const dataPath = path.join(tmpDir('outloud-attacks-'), 'outloud.db');
  // Room for the creation attack above the 12,000 seeded rooms (the default --max-rooms is 10,000).
  const args = (process.env.SERVER_ARGS ?? '--max-rooms 20000').split(' ').filter(Boolean);
  const first = await startServer({ dataPath, nodeId: 'attacks' });
  await first.stop();
  populate(dataPath);
  const server = await startServer({ dataPath, nodeId: 'attacks', args });
  figure('server', `${process.env.OUTLOUD_BIN}/outloud-server ${args.join(' ')}`.trim());
  await sleep(2000);

  // The same user's round trips with no attack: what the machine gives anyway (it is shared).
  await phase(server, 'baseline: no attack', async () => { await sleep(5000); return ''; });

  await phase(server, 'rooms x60 on one connection, 12,000 rooms', async () => {
    const c = await connectAs(server.wsUrl, 'Lister', 'resident', { label: 'lister' });
    const ids = [];
    for (let i = 0; i < 60; i++) ids.push(c.send({ type: 'rooms' }));
    const replies = await Promise.all(ids.map((id) => c.next((f) => f.re === id, 60_000)));
    const sizes = replies.filter((r) => r.type === 'rooms').map((r) => JSON.stringify(r).length);
    const limited = replies.filter((r) => r.code === 'rate_limited').length;
    await c.close();
    return `${sizes.length} pages of ${sizes.length ? Math.max(...sizes) : 0} bytes at most, ${limited} rate_limited`;
  });

  await phase(server, 'rooms x60 on 5 connections that never read', async () => {
    const conns = await Promise.all([0, 1, 2, 3, 4].map((i) => connectAs(server.wsUrl, `Hoarder ${i}`, 'resident', { label: `h${i}` })));
    for (const c of conns) {
      c.pause();
      for (let i = 0; i < 60; i++) c.send({ type: 'rooms' });
    }
    await sleep(5000);
    for (const c of conns) c.ws.terminate();
    return '';
  });

  await phase(server, 'history x60 (200 x 16,000-char messages) on 5 connections that never read', async () => {
    const conns = await Promise.all([0, 1, 2, 3, 4].map((i) => connectAs(server.wsUrl, `Reader ${i}`, 'resident', { label: `r${i}` })));
    for (const c of conns) {
      c.pause();
      for (let i = 0; i < 60; i++) c.send({ type: 'history', room: 'big-history', limit: 200 });
    }
    await sleep(5000);
    for (const c of conns) c.ws.terminate();
    return '';
  });

  await phase(server, '40 connections creating rooms for 10 s', async () => {
    const conns = await Promise.all(Array.from({ length: 40 }, (_, i) => connectAs(server.wsUrl, `Creator ${i}`, 'resident', { label: `c${i}` })));
    let created = 0;
    let refused = 0;
    const until = Date.now() + 10_000;
    await Promise.all(conns.map(async (c, i) => {
      for (let k = 0; Date.now() < until; k++) {
        const reply = await c.request({ type: 'create', room: `made-${i}-${k}` }, 30_000);
        if (reply.type === 'created') created += 1; else refused += 1;
        await sleep(40);  // 25 frames a second: inside the per-connection rate limit
      }
    }));
    await Promise.all(conns.map((c) => c.close()));
    return `${created} rooms created, ${refused} refused`;
  });

  await phase(server, `10 exports of a ${RECORD_MESSAGES}-message session`, async () => {
    const conns = await Promise.all(Array.from({ length: 10 }, (_, i) => rawClient(server.wsUrl, `Exporter ${i}`)));
    const t0 = performance.now();
    const sizes = await Promise.all(conns.map((ws) => new Promise((resolve) => {
      ws.on('message', (data) => resolve(data.length));
      ws.send(JSON.stringify({ type: 'export', id: 1, room: 'the-record' }));
    })));
    for (const ws of conns) ws.close();
    return `${sizes.length} replies of ${sizes[0]} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  });

  await server.stop();
}

const run = process.argv[2] === '--probe' ? runProbe(process.argv[3]) : main();
run.then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
