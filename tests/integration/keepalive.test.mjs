// protocol.md "Transport": the server pings every 20 s and closes a connection that has not answered
// for 60 s. The defaults are checked in --help; the behaviour is run with short intervals.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { binPath, scaled, sleep, startServer, within } from '../lib/server.mjs';

const servers = [];
const clients = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

describe('keepalive', { timeout: scaled(30000) }, () => {
  test('the defaults are a ping every 20 s and a close after 60 s of silence', async () => {
    const { stdout, stderr } = await promisify(execFile)(binPath('outloud-server'), ['--help']);
    const help = stdout + stderr;
    assert.match(help, /--ping-interval[^\n]*\(=20\)/, help);
    assert.match(help, /--idle-timeout[^\n]*\(=60\)/, help);
  });

  test('a connection that answers pings stays; one that stops reading is closed and leaves presence', async () => {
    const srv = await startServer({ args: ['--ping-interval', '0.2', '--idle-timeout', '1'] });
    servers.push(srv);
    const alive = await connectAs(srv.wsUrl, 'Awake Amy', 'essex-cc');
    const silent = await connectAs(srv.wsUrl, 'Silent Sid', 'police');
    clients.push(alive, silent);
    const room = uniqueId('keep');
    await alive.create(room);
    await alive.join(room);
    await silent.join(room);
    silent.pause();  // stops reading: the pings go unanswered
    const t0 = Date.now();
    const leave = await alive.next((f) => f.type === 'presence' && f.event === 'leave' && f.user?.id === silent.user.id,
      scaled(6000));
    const elapsed = Date.now() - t0;
    assert.ok(leave, 'no leave for the silent connection');
    assert.ok(elapsed >= 700, `closed after ${elapsed} ms, before the idle timeout`);
    silent.resume();
    const closed = await within(silent.closed, scaled(3000));
    assert.ok(closed, 'the silent connection was not closed');

    // Meanwhile the answering connection got pings and is still open well past the idle timeout.
    await sleep(scaled(1500));
    assert.ok(alive.pings.length >= 3, `only ${alive.pings.length} pings in ${Date.now() - t0} ms`);
    assert.ok(alive.isOpen, 'a connection answering pings was closed');
    assert.equal((await alive.sync()).type, 'pong');
  });
});
