// README "Logs": each line starts with its UTC time to the millisecond (ISO 8601), unless stderr is
// the journal — systemd's JOURNAL_STREAM="DEVICE:INODE" names stderr's file — which stamps lines itself.
// A node starting against a Redis that is up logs no outage.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { untilNodesHearEachOther, waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { binPath, killAll, scaled, startServer, tmpDir, track } from '../lib/server.mjs';

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[info\] /;

// Starts the server with stderr on a file and returns its first line; `journalStream(stderrFile)`
// gives JOURNAL_STREAM (undefined: not set).
async function firstLogLine(journalStream) {
  const dir = tmpDir();
  const logPath = path.join(dir, 'stderr.log');
  const fd = fs.openSync(logPath, 'w');
  const env = { ...process.env, JOURNAL_STREAM: journalStream(fs.fstatSync(fd, { bigint: true })) };
  if (env.JOURNAL_STREAM === undefined) delete env.JOURNAL_STREAM;
  const child = track(spawn(binPath('outloud-server'),
    ['--listen', '127.0.0.1:0', '--data', path.join(dir, 'outloud.db'), '--auth', 'open'],
    { env, stdio: ['ignore', 'ignore', fd] }));
  fs.closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitUntil(() => fs.readFileSync(logPath, 'utf8').includes('listening on'),
      { timeoutMs: scaled(10000), what: 'the server to log "listening on"' });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return fs.readFileSync(logPath, 'utf8').split('\n')[0];
}

test('without JOURNAL_STREAM a log line starts with its UTC time, to the millisecond', async () => {
  const before = Date.now();
  const line = await firstLogLine(() => undefined);
  const stamp = STAMPED.exec(line);
  assert.ok(stamp, `not stamped: ${line}`);
  const at = Date.parse(stamp[1]);
  assert.ok(at >= Math.floor(before / 1000) * 1000 && at <= Date.now(), `${stamp[1]} is not now`);
});

test('with JOURNAL_STREAM naming stderr a log line is not stamped (the journal stamps it)', async () => {
  const line = await firstLogLine((stderr) => `${stderr.dev}:${stderr.ino}`);
  assert.match(line, /^\[info\] /);
});

test('with JOURNAL_STREAM naming another file (stdout in the journal, stderr not) lines are stamped', async () => {
  const line = await firstLogLine((stderr) => `${stderr.dev}:${stderr.ino + 1n}`);
  assert.match(line, STAMPED);
});

test('a node starting against a Redis that is up logs "connecting", not that Redis is unreachable', async () => {
  const redis = await startRedis({ persistence: 'none' });
  try {
    const server = await startServer({ args: ['--redis', redis.url] });
    await untilNodesHearEachOther([server]);
    await server.stop();
    assert.doesNotMatch(server.stderr, /unreachable|subscribing again/);
    assert.match(server.stderr, /redis \S+: connected to 127\.0\.0\.1/);
  } finally {
    await redis.stop();
    await killAll();
  }
});
