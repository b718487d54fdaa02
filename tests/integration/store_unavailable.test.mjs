// A store that cannot take writes for now — a full disk under the embedded database, a Redis at
// `maxmemory` with `noeviction` — answers `unavailable` (retry later), never `internal` and never
// a false `sent`, and sends succeed again by themselves once there is room.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { untilNodesHearEachOther, waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { killAll, scaled, startServer, tmpDir, UNTHROTTLED } from '../lib/server.mjs';

const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await killAll();
});

async function personIn(server, room) {
  const c = await connectAs(server.wsUrl, 'Una Vail', 'essex-cc');
  cleanups.push(() => c.close());
  await c.create(room);
  await c.join(room);
  return c;
}

test('Redis at maxmemory (noeviction): a send answers unavailable, and succeeds once memory is freed',
  { timeout: scaled(60000) }, async () => {
    const redis = await startRedis({ persistence: 'none' });
    cleanups.push(() => redis.stop());
    const server = await startServer({ args: ['--redis', redis.url, ...UNTHROTTLED] });
    cleanups.push(() => server.stop());
    await untilNodesHearEachOther([server]);
    const room = uniqueId('oom');
    const una = await personIn(server, room);
    assert.equal((await una.say(room, 'before')).seq, 1);

    assert.equal(await redis.command('CONFIG SET maxmemory-policy noeviction'), '+OK');
    assert.equal(await redis.command('CONFIG SET maxmemory 1'), '+OK');
    const refused = await una.request({ type: 'send', room, text: 'while Redis is full' });
    assert.equal(refused.type, 'error', JSON.stringify(refused));
    assert.equal(refused.code, 'unavailable');

    assert.equal(await redis.command('CONFIG SET maxmemory 0'), '+OK');
    const sent = await una.say(room, 'after');
    assert.equal(sent.seq, 2, 'the refused message was not stored');
    const metrics = (await server.get('/metrics')).text;
    assert.match(metrics, /outloud_frames_refused_total\{code="unavailable"\} [1-9]/);
    assert.doesNotMatch(metrics, /outloud_frames_refused_total\{code="internal"\} [1-9]/);
  });

// A 4 MiB tmpfs, or null where this process may not mount (not root).
function mountSmallDisk() {
  const dir = tmpDir('outloud-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    return null;
  }
  cleanups.push(async () => execFileSync('umount', ['-l', dir], { stdio: 'pipe' }));
  return dir;
}

test('a full disk under the embedded database: sends answer unavailable, and succeed once there is space',
  { timeout: scaled(60000) }, async (t) => {
    const disk = mountSmallDisk();
    // Where it may not mount, the database's own size limit stands in for the disk: the same
    // SQLITE_FULL under the same sends, but no space comes back to show the recovery.
    const server = await startServer(disk ? { dataPath: path.join(disk, 'outloud.db'), args: UNTHROTTLED }
      : { args: ['--test-store-max-pages', '128', ...UNTHROTTLED] });
    if (!disk) t.diagnostic('no tmpfs could be mounted: the database size limit stands in for a full disk');
    cleanups.push(() => server.stop());
    const room = uniqueId('full');
    const una = await personIn(server, room);
    assert.equal((await una.say(room, 'before')).seq, 1);

    // Fill what is left of the disk.
    const filler = disk && path.join(disk, 'filler');
    if (disk) {
      const chunk = Buffer.alloc(64 * 1024, 1);
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (e) {
        assert.equal(e.code, 'ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
    }

    // The write-ahead log may still have room for a few messages; sends then fail, each unavailable.
    const big = 'x'.repeat(8000);
    let lastSent = 1;
    let refused = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const reply = await una.request({ type: 'send', room, text: big });
      if (reply.type === 'sent') {
        assert.equal(reply.seq, ++lastSent);
      } else {
        refused = reply;
      }
    }
    assert.ok(refused, 'a send was refused on the full disk');
    assert.equal(refused.code, 'unavailable', JSON.stringify(refused));
    if (!disk) {
      const history = await una.request({ type: 'history', room, limit: 5 });
      assert.equal(history.messages.at(-1).seq, lastSent, 'reads go on; nothing refused was stored');
      return;
    }

    fs.rmSync(filler);
    await waitUntil(async () => (await una.request({ type: 'send', room, text: 'after' })).type === 'sent',
      { timeoutMs: scaled(10000), what: 'a send to succeed once there is space' });
    const history = await una.request({ type: 'history', room, limit: 5 });
    const seqs = history.messages.map((m) => m.seq);
    assert.equal(seqs.at(-1), lastSent + 1, `only acknowledged messages were stored: ${seqs}`);
  });
