// protocol.md "Messages": `sent` only once the message is durably stored. A commit before the ack
// is not enough: the commit must have reached the disk. The server runs with an LD_PRELOAD shim
// (tests/helpers/fsync_log.c) that logs each fsync/fdatasync with its CLOCK_MONOTONIC time — the
// clock of Node's process.hrtime — and every `sent` must come after an fsync of the database's
// write-ahead log that happened after its `send` left the client. --unsafe-no-fsync
// (synchronous=OFF) shows that the check catches a server that commits without syncing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { figure } from '../lib/cluster.mjs';
import { UNTHROTTLED, asanEnv, killAll, scaled, startServer, tmpDir } from '../lib/server.mjs';

after(killAll);

const SHIM = path.join(process.env.OUTLOUD_BIN ?? '', 'liboutloud-fsync-log.so');
const SEQUENTIAL = 30;
const BURST = 100;

// Starts a server under the shim, sends SEQUENTIAL messages one at a time and then BURST at once,
// and returns for each `sent` whether an fsync of the WAL lies between its send and its ack.
async function sendAndTrace(extraArgs) {
  assert.ok(fs.existsSync(SHIM), `${SHIM} is missing: build the outloud-fsync-log target`);
  const log = path.join(tmpDir('outloud-fsync-'), 'fsync.log');
  const env = { LD_PRELOAD: SHIM, OUTLOUD_FSYNC_LOG: log, ...asanEnv('verify_asan_link_order=0') };
  const server = await startServer({ args: [...UNTHROTTLED, ...extraArgs], env });
  const c = await connectAs(server.wsUrl, 'Fiona Fsync', 'essex-cc');
  const room = uniqueId('fsync');
  await c.create(room);
  await c.join(room);
  const windows = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = process.hrtime.bigint();
    const reply = await c.request({ type: 'send', room, text: `one at a time ${i}` });
    assert.equal(reply.type, 'sent', JSON.stringify(reply));
    windows.push({ start, acked: process.hrtime.bigint() });
  }
  const burstStart = process.hrtime.bigint();
  await Promise.all(Array.from({ length: BURST }, (_, i) => c.request({ type: 'send', room, text: `burst ${i}` })
    .then((reply) => {
      assert.equal(reply.type, 'sent', JSON.stringify(reply));
      windows.push({ start: burstStart, acked: process.hrtime.bigint() });
    })));
  await c.close();
  await server.stop();

  const wal = `${fs.realpathSync(server.dataPath)}-wal`;
  const syncs = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [ns, call, ...file] = line.split(' ');
    return { at: BigInt(ns), call, file: file.join(' ') };
  }) : [];
  const walSyncs = syncs.filter((s) => s.file === wal).map((s) => s.at);
  const covered = windows.map((w) => walSyncs.some((at) => at > w.start && at < w.acked));
  return { covered, walSyncs: walSyncs.length, allSyncs: syncs.length };
}

test('every `sent` follows an fsync of the write-ahead log made after its `send`', { timeout: scaled(60000) }, async () => {
  const { covered, walSyncs, allSyncs } = await sendAndTrace([]);
  const missing = covered.map((ok, i) => (ok ? null : i)).filter((i) => i !== null);
  assert.deepEqual(missing, [], `acks with no WAL fsync before them (of ${covered.length}): ${missing.join(', ')}`);
  figure(`fsync trace: ${covered.length} acks (${SEQUENTIAL} one at a time, ${BURST} in one burst), each after a WAL `
    + `fsync; ${walSyncs} WAL syncs, ${allSyncs} syncs in all (group commit)`);
});

test('sanity: with --unsafe-no-fsync (synchronous=OFF) the same check fails', { timeout: scaled(60000) }, async () => {
  const { covered, walSyncs } = await sendAndTrace(['--unsafe-no-fsync']);
  const missing = covered.filter((ok) => !ok).length;
  assert.ok(missing > 0, 'the check found no ack without an fsync although the server never syncs');
  figure(`fsync trace with synchronous=OFF: ${missing} of ${covered.length} acks had no WAL fsync before them `
    + `(${walSyncs} WAL syncs)`);
});
