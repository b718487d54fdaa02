// The process under stress (protocol.md "The server process"): SIGTERM exits within 5 s even when
// the disk is stuck; in cluster mode a SIGTERM tells the other nodes at once that this node's users
// left (no ghosts until their presence entries expire); an exception escaping an I/O handler stops
// the process loudly instead of serving on with half-updated state.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { figure, isPresence, startCluster } from '../lib/cluster.mjs';
import { killAll, scaled, startServer, track } from '../lib/server.mjs';

const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await killAll();
});

test('an exception escaping an I/O handler: logged, and the process exits 1', { timeout: scaled(30000) }, async () => {
  const server = await startServer({ args: ['--test-fault-after-ms', String(scaled(1500))] });
  cleanups.push(() => server.stop('SIGKILL'));
  const info = await Promise.race([server.exited(), new Promise((r) => setTimeout(() => r(null), scaled(8000)))]);
  assert.ok(info, `the server still serves after the exception:\n${server.stderr.slice(-2000)}`);
  assert.equal(info.code, 1, server.stderr.slice(-2000));
  assert.match(server.stderr, /unexpected exception in an I\/O thread: fault injected/);
});

// Holds SQLite's write lock on `file` from another process (python3's sqlite3 module) until killed.
async function holdWriteLock(file) {
  const script = 'import sqlite3, sys, time\n'
    + 'c = sqlite3.connect(sys.argv[1], isolation_level=None)\n'
    + 'c.execute("BEGIN EXCLUSIVE")\n'
    + 'print("locked", flush=True)\n'
    + 'time.sleep(120)\n';
  const child = track(spawn('python3', ['-c', script, file], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { if (d.toString().includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`python3 exited ${code} before locking ${file}`)));
  });
  return child;
}

test('SIGTERM with the database stuck behind a lock: the process is gone within 5 s', { timeout: scaled(30000) }, async () => {
  const server = await startServer();
  cleanups.push(() => server.stop('SIGKILL'));
  const room = uniqueId('stuck');
  const c = await connectAs(server.wsUrl, 'Stella Stuck', 'essex-cc');
  await c.create(room);
  await c.join(room);
  const locker = await holdWriteLock(server.dataPath);
  cleanups.push(async () => { locker.kill('SIGKILL'); });
  // Two writes: the first waits out SQLite's busy timeout (5 s), the second would wait after it.
  c.send({ type: 'send', room, topic: 'general', text: 'stuck 1' });
  c.send({ type: 'send', room, topic: 'general', text: 'stuck 2' });
  await c.sync();  // answered after both sends were handed to the store
  const { ms, code } = await server.stop('SIGTERM', { timeoutMs: scaled(15000) });
  figure(`shutdown with a stuck database: exited ${ms} ms after SIGTERM (code ${code}; contract: 5000 ms)`);
  assert.ok(ms <= 5000, `exited ${ms} ms after SIGTERM; the contract says within 5 s`);
  assert.match(server.stderr, /shutdown did not finish within 4500 ms/);
});

test('cluster: a node stopped with SIGTERM announces its users\' leave at once', { timeout: scaled(60000) }, async () => {
  // Default presence timings (25 s TTL): a leave not announced at shutdown would leave a ghost that long.
  const cluster = await startCluster({ nodes: 2, name: 'sigterm' });
  cleanups.push(() => cluster.stop());
  const room = uniqueId('goodbye');
  const stay = await connectAs(cluster.nodes[0].wsUrl, 'Stan Stays', 'essex-cc');
  cleanups.push(() => stay.close());
  await stay.create(room);
  await stay.join(room);
  const GOING = 60;  // enough leaves that some are still on their way when the last socket closes
  const going = [];
  for (let i = 0; i < GOING; i++) {
    const c = await connectAs(cluster.nodes[1].wsUrl, `Gina Goes ${i}`, 'nhs-mse');
    await c.join(room);
    going.push(c);
  }
  await stay.collect(isPresence(room), GOING, scaled(10000));  // their joins

  const stopping = cluster.nodes[1].stop('SIGTERM');
  const sentAt = Date.now();
  // The node is gone within 5 s: its leaves must have been announced by then, not 25 s later.
  const leaves = await stay.collect(isPresence(room), GOING, scaled(5000)).catch((e) => {
    throw new Error(`not every leave arrived within 5 s of SIGTERM (ghosts until the 25 s TTL): ${e.message}`);
  });
  const leaveMs = Date.now() - sentAt;
  assert.deepEqual(leaves.map((f) => f.event), Array(GOING).fill('leave'));
  assert.deepEqual(leaves.map((f) => f.user.id).sort(), going.map((c) => c.user.id).sort());
  const { ms, code } = await stopping;
  assert.equal(code, 0);
  assert.ok(ms <= 5000, `exited ${ms} ms after SIGTERM`);
  const newcomer = await connectAs(cluster.nodes[0].wsUrl, 'Nell Newcomer', 'police');
  cleanups.push(() => newcomer.close());
  const joined = await newcomer.join(room);
  assert.deepEqual(joined.presence.map((p) => p.user.id).sort(), [stay.user.id, newcomer.user.id].sort(),
    'the stopped node\'s users are not listed');
  figure(`SIGTERM of a cluster node: all ${GOING} of its users' leaves seen on another node within ${leaveMs} ms `
    + `(presence TTL 25000 ms); the node exited ${ms} ms after the signal`);
});
