// protocol.md "The server process": the programs built, --listen/--data/--node-id/--auth open, the
// embedded database file, and invalid arguments refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { connectAs } from '../lib/client.mjs';
import { binPath, freePort, scaled, startServer, tmpDir } from '../lib/server.mjs';

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

describe('the server process', { timeout: scaled(30000) }, () => {
  test('the build has bin/outloud-server, bin/outloud and bin/outloud-bench', () => {
    for (const program of ['outloud-server', 'outloud', 'outloud-bench']) {
      const file = binPath(program);
      fs.accessSync(file, fs.constants.X_OK);
    }
  });

  test('--listen HOST:PORT with a given port; --node-id names the node; --auth open is accepted', async () => {
    const port = await freePort();
    const srv = await startServer({ port, nodeId: 'named-node.1', args: ['--auth', 'open'] });
    servers.push(srv);
    assert.equal(srv.port, port);
    assert.equal((await srv.get('/healthz')).json().node, 'named-node.1');
    const c = await connectAs(srv.wsUrl, 'Port Check', 'essex-cc');
    assert.equal(c.welcome.node, 'named-node.1');
    await c.close();
  });

  test('alone, it keeps its data in the embedded database file given by --data', async () => {
    const dir = tmpDir();
    const dataPath = path.join(dir, 'nested-name.db');
    const srv = await startServer({ dataPath });
    servers.push(srv);
    const c = await connectAs(srv.wsUrl, 'File Check', 'essex-cc');
    await c.create('filed');
    await c.join('filed');
    await c.say('filed', 'in the file');
    await c.close();
    assert.ok(fs.statSync(dataPath).size > 0, `${dataPath} missing or empty`);
    await srv.stop();
    // Another server on the same file sees the room; one on a fresh file does not.
    const again = await srv.restart({ port: 0 });
    servers.push(again);
    const d = await connectAs(again.wsUrl, 'File Check', 'essex-cc');
    assert.equal((await d.join('filed')).head, 1);
    await d.close();
    const fresh = await startServer();
    servers.push(fresh);
    const e = await connectAs(fresh.wsUrl, 'File Check', 'essex-cc');
    assert.equal((await e.request({ type: 'join', room: 'filed' })).code, 'not_found');
    await e.close();
  });

  test('invalid arguments are refused with a message and a non-zero exit', async () => {
    const bin = binPath('outloud-server');
    const run = (args) => promisify(execFile)(bin, args, { timeout: scaled(10000) }).then(
      () => ({ code: 0, stderr: '' }), (e) => ({ code: e.code, stderr: `${e.stderr}${e.stdout}` }));
    for (const args of [['--listen', 'nonsense'], ['--auth', 'magic'], ['--no-such-flag'], ['--listen', '127.0.0.1:0', '--auth', 'jwt']]) {
      const r = await run(args);
      assert.notEqual(r.code, 0, `outloud-server ${args.join(' ')} exited 0`);
      assert.ok(r.stderr.length > 0, `outloud-server ${args.join(' ')}: no message`);
    }
  });
});
