// Smoke test of deploy/local-cluster.sh on free loopback ports: `start` brings up Redis (append-only
// file), three nodes and nginx on one port; two people chat over WebSocket through nginx while
// being served by different nodes; `status` lists every process; `stop` leaves nothing running,
// no port open and no pid file behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { figure, isMessage, isPresence } from '../lib/cluster.mjs';
import { binPath, freePort, httpRequest, scaled, tmpDir, within } from '../lib/server.mjs';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/local-cluster.sh');

let env;
let runDir;
let ports;
const clients = [];

// Runs the script; resolves {code, stdout, stderr} once it has exited (the daemons it starts keep
// running, so this waits for the script's own exit, not for its output pipes to close).
function script(command, timeoutMs = scaled(60000)) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} did not finish: ${stdout}${stderr}`)); }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

function pidFiles() {
  if (!fs.existsSync(runDir)) return [];
  return fs.readdirSync(runDir).filter((f) => f.endsWith('.pid'));
}

// A process counts as running unless it is gone or a zombie waiting for a parent to reap it.
function running(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

// Last resort if a test failed half-way: kill whatever the pid files name.
function killLeftovers() {
  for (const file of pidFiles()) {
    const pid = Number(fs.readFileSync(path.join(runDir, file), 'utf8'));
    if (pid > 1) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

before(async () => {
  binPath('outloud-server');  // fails clearly if OUTLOUD_BIN is not set
  runDir = path.join(tmpDir('outloud-local-cluster-'), 'run');
  ports = { lb: await freePort(), redis: await freePort(), nodes: [await freePort(), await freePort(), await freePort()] };
  env = {
    ...process.env,
    OUTLOUD_PORT: String(ports.lb),
    OUTLOUD_REDIS_PORT: String(ports.redis),
    OUTLOUD_NODE_PORTS: ports.nodes.join(' '),
    OUTLOUD_CLUSTER_DIR: runDir,
    OUTLOUD_AUTH: 'open',
    OUTLOUD_BIN: path.resolve(process.env.OUTLOUD_BIN),
  };
  process.on('exit', killLeftovers);
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  if (pidFiles().length) await script('stop').catch(() => {});
  killLeftovers();
});

test('local-cluster.sh: start, chat through nginx across nodes, status, stop leaves nothing behind', { timeout: scaled(120000) }, async () => {
  const startedAt = Date.now();
  const start = await script('start');
  assert.equal(start.code, 0, `start failed:\n${start.stdout}\n${start.stderr}`);
  const startMs = Date.now() - startedAt;
  assert.match(start.stdout, new RegExp(`http://127\\.0\\.0\\.1:${ports.lb}`));

  const status = await script('status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  for (const name of ['redis', 'node1', 'node2', 'node3', 'nginx']) {
    assert.match(status.stdout, new RegExp(`^${name}: running \\(\\d+\\)$`, 'm'), `status lists ${name}:\n${status.stdout}`);
  }
  const pids = pidFiles().map((f) => Number(fs.readFileSync(path.join(runDir, f), 'utf8')));
  assert.equal(pids.length, 5, `pid files: ${pidFiles()}`);
  const nginxMaster = Number(fs.readFileSync(path.join(runDir, 'nginx.pid'), 'utf8'));
  const allPids = [...pids, ...childrenOf(nginxMaster)];

  // Through nginx: /healthz, the web client, and the Redis persistence the script promises.
  const lb = `http://127.0.0.1:${ports.lb}`;
  const healthz = await httpRequest(`${lb}/healthz`);
  assert.equal(healthz.status, 200);
  assert.equal(healthz.json().redis, 'up');
  const page = await httpRequest(`${lb}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const aof = await new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: ports.redis }, () => sock.write('CONFIG GET appendonly\r\n'));
    let data = '';
    sock.on('data', (d) => { data += d; if (/appendonly\r\n\$\d+\r\n\w+\r\n/.test(data)) { sock.end(); resolve(data); } });
    sock.on('error', reject);
  });
  assert.match(aof, /appendonly\r\n\$3\r\nyes/, 'Redis runs with its append-only file');

  // WebSocket through nginx: least_conn spreads open sockets, so three people land on >1 node.
  const ws = `ws://127.0.0.1:${ports.lb}/ws`;
  const people = [];
  for (const [name, org] of [['Paul Ashworth', 'essex-cc'], ['Nadia Shah', 'nhs-mse'], ['Sam Ortiz', 'essex-police']]) {
    const c = await connectAs(ws, name, org, { protocols: 'outloud.v1' });
    assert.equal(c.protocol, 'outloud.v1');
    clients.push(c);
    people.push(c);
  }
  const nodes = people.map((c) => c.welcome.node);
  assert.ok(new Set(nodes).size >= 2, `served by different nodes: ${nodes}`);
  const room = uniqueId('deploy');
  await people[0].create(room, { title: 'Through the load balancer' });
  for (const c of people) await c.join(room);
  for (const c of people) await c.say(room, `hello from ${c.user.name} on ${c.welcome.node}`);
  for (const c of people) {
    const got = await c.collect(isMessage(room), 3);
    assert.deepEqual(got.map((m) => m.seq), [1, 2, 3], `${c.label} on ${c.welcome.node}`);
  }
  await people[2].close();
  for (const c of people.slice(0, 2)) await c.next((f) => isPresence(room, people[2].user.id)(f) && f.event === 'leave');

  // stop: nodes close their sockets with 1001 (going away), then nothing is left.
  const stoppedAt = Date.now();
  const stop = await script('stop');
  const stopMs = Date.now() - stoppedAt;
  assert.equal(stop.code, 0, `stop failed:\n${stop.stdout}\n${stop.stderr}`);
  for (const c of people.slice(0, 2)) {
    const info = await within(c.closed, scaled(5000));
    assert.ok(info, `${c.label}: closed by the stop`);
    assert.equal(info.code, 1001, `${c.label}: closed as going away, through nginx`);
  }
  assert.deepEqual(allPids.filter(running), [], 'no process of the cluster still runs');
  const open = [];
  for (const port of [ports.lb, ports.redis, ...ports.nodes]) if (await portOpen(port)) open.push(port);
  assert.deepEqual(open, [], 'no port still open');
  assert.deepEqual(pidFiles(), [], 'no pid file left');
  const after = await script('status');
  assert.doesNotMatch(after.stdout, /running/);

  figure(`local-cluster.sh: start ${startMs} ms (redis + 3 nodes on ${nodes.length > 0 ? [...new Set(nodes)].join(',') : '?'} + nginx), `
    + `3 people through nginx on ${new Set(nodes).size} different nodes, stop ${stopMs} ms, ${allPids.length} processes all gone`);
});
