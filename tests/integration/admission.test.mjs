// Connections are admitted, not hoarded: a WebSocket that does not say hello in time is closed
// (--hello-timeout); connections are capped in total and per address (--max-connections,
// --max-connections-per-address); at the caps and at the file-descriptor limit a newcomer gets
// an HTTP 503 at once and is closed, never left hanging.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { connect, connectAs } from '../lib/client.mjs';
import { fetchMetrics, metricValue } from '../lib/protocol.mjs';
import { RawWebSocket, rawHttp, upgradeRequest } from '../lib/raw_ws.mjs';
import { scaled, sleep, startServer, within } from '../lib/server.mjs';

const servers = [];
const sockets = [];
async function server(args) {
  const s = await startServer({ args });
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of sockets) (s.destroy ?? s.terminate).call(s);
  await Promise.all(servers.map((s) => s.stop()));
});

// An upgrade over a raw socket: {status, ms, closed, data}, bounded by `timeoutMs`.
async function tryUpgrade(srv, { localAddress, timeoutMs = scaled(3000) } = {}) {
  const started = Date.now();
  const res = await rawHttp(srv.port, upgradeRequest(), { localAddress, timeoutMs });
  return { status: res.responses[0] ?? null, ms: Date.now() - started, closed: res.closed, data: res.data };
}

async function openWs(srv, localAddress) {
  const ws = await RawWebSocket.open(srv.port, { localAddress });
  sockets.push(ws);
  return ws;
}

// Polls `check` until it returns a truthy value or `ms` pass.
async function waitFor(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('hello deadline', { timeout: scaled(30000) }, () => {
  test('a socket that answers pings but never says hello is closed with 1008 and a reason', async () => {
    const srv = await server(['--hello-timeout', '0.5', '--ping-interval', '0.1', '--idle-timeout', '10']);
    const silent = await connect(srv.wsUrl);  // the ws library answers every ping
    sockets.push(silent.ws);
    const greeted = await connectAs(srv.wsUrl, 'Early Bird', 'essex-cc');
    sockets.push(greeted.ws);
    const started = Date.now();
    const closed = await within(silent.closed, scaled(5000));
    assert.ok(closed, 'the silent connection was not closed');
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /no hello within 0\.5 s/);
    assert.ok(silent.pings.length >= 2, `the server pinged ${silent.pings.length} times: the deadline is not the idle timeout`);
    console.log(`[figure] hello deadline 0.5 s: closed after ${Date.now() - started} ms`);
    // The connection that said hello in time is kept.
    assert.equal((await greeted.sync()).type, 'pong');
    assert.equal(greeted.closeInfo, null);
  });

  test('a failed hello does not stop the clock', async () => {
    const srv = await server(['--hello-timeout', '0.5']);
    const c = await connect(srv.wsUrl);
    sockets.push(c.ws);
    const reply = await c.request({ type: 'hello', name: '', org: 'essex-cc' });
    assert.equal(reply.type, 'error');
    const closed = await within(c.closed, scaled(5000));
    assert.equal(closed?.code, 1008);
  });
});

describe('connection caps', { timeout: scaled(30000) }, () => {
  test('per address and in total, a newcomer gets 503 at once; a freed place is reused', async () => {
    const srv = await server(['--max-connections', '4', '--max-connections-per-address', '2']);
    const mine = sockets.length;  // this test's sockets start here
    // Addresses of their own: the health check of startServer may still hold a keep-alive
    // connection from 127.0.0.1 (it counts towards the total, which is allowed for below).
    const a1 = await openWs(srv, '127.0.0.11');
    await openWs(srv, '127.0.0.11');
    const third = await tryUpgrade(srv, { localAddress: '127.0.0.11' });
    assert.equal(third.status, 503, `third from one address: ${third.data}`);
    assert.match(third.data, /too many connections from this address/);
    assert.ok(third.closed, 'the refused connection was left open');
    assert.ok(third.ms < scaled(1000), `refused after ${third.ms} ms`);
    console.log(`[figure] refused at the per-address cap in ${third.ms} ms`);

    // Other addresses still get in, up to the total.
    let admitted = 2;
    let refusedStatus = null;
    for (let host = 12; host < 20 && refusedStatus === null; host++) {
      try {
        await openWs(srv, `127.0.0.${host}`);
        admitted += 1;
      } catch (e) {
        refusedStatus = e.status ?? e.message;
      }
    }
    assert.equal(refusedStatus, 503, 'the total cap was never reached');
    assert.ok(admitted === 4 || admitted === 3, `${admitted} WebSockets admitted under a total cap of 4`);
    const refused = await tryUpgrade(srv, { localAddress: '127.0.0.20' });
    assert.equal(refused.status, 503, `at the total cap: ${refused.data}`);
    assert.match(refused.data, /too many connections to this server/);
    assert.ok(refused.closed);

    // Plain HTTP counts too, and is refused the same way.
    const http = await rawHttp(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { localAddress: '127.0.0.30' });
    assert.deepEqual(http.responses, [503]);

    a1.destroy();
    for (const s of sockets.splice(mine)) s.destroy();  // room for the metrics request
    const samples = await waitFor(async () => {
      try { return await fetchMetrics(srv); } catch { return null; }
    }, scaled(5000), '/metrics');
    const refusedFor = (reason) => metricValue(samples, /^outloud_connections_refused_total$/, { reason });
    assert.ok(refusedFor('max_connections_per_address') >= 1, 'per-address refusals not counted');
    assert.ok(refusedFor('max_connections') >= 2, 'total-cap refusals not counted');
    assert.equal(refusedFor('descriptor_limit'), 0);
    assert.equal(typeof metricValue(samples, /^outloud_tcp_connections_open$/), 'number');
    const again = await waitFor(async () => {
      const r = await tryUpgrade(srv, { localAddress: '127.0.0.11' });
      return r.status === 101 ? r : null;
    }, scaled(5000), 'the freed place to be reused');
    assert.equal(again.status, 101);
  });

  test('the caps are flags with checked values', async () => {
    await assert.rejects(startServer({ args: ['--max-connections', '0'] }), /--max-connections: expected a whole number/);
    await assert.rejects(startServer({ args: ['--max-connections-per-address', 'x'] }),
      /--max-connections-per-address: expected a whole number/);
    await assert.rejects(startServer({ args: ['--hello-timeout', '-1'] }), /--hello-timeout: expected a number/);
  });
});

describe('file-descriptor limit', { timeout: scaled(60000) }, () => {
  // UBSan's vptr check (in the ASan+UBSan build) probes an object's vtable through a pipe the first
  // time it meets a (type, vtable) pair, and remembers the pairs it validated. At the descriptor
  // limit that pipe cannot be opened and it reports a sound object as having an "invalid vptr" (and
  // the server stops). So the server first serves a full round — hello, a message, a WebSocket the
  // peer drops — before its limit is lowered, as any server has done before it reaches its limit.
  test('at EMFILE a newcomer gets 503 at once (reserve descriptor), and service resumes when descriptors free up', async () => {
    const srv = await server([]);
    const openFds = () => fs.readdirSync(`/proc/${srv.pid}/fd`).length;
    const idle = openFds();
    const first = await connectAs(srv.wsUrl, 'Before Limit', 'essex-cc');
    await first.create('before-limit');
    await first.join('before-limit');
    await first.say('before-limit', 'hello');
    await first.terminate();
    (await openWs(srv)).destroy();
    await waitFor(() => openFds() <= idle, scaled(5000), 'the first connections to close');
    const spare = 8;
    const limit = openFds() + spare;
    execFileSync('prlimit', ['--pid', String(srv.pid), `--nofile=${limit}:${limit}`]);
    console.log(`[figure] descriptor limit set to ${limit} (${spare} above those open)`);

    const held = [];
    let refused = null;
    for (let i = 0; i < spare + 4 && !refused; i++) {
      const started = Date.now();
      try {
        held.push(await openWs(srv));
      } catch (e) {
        refused = { status: e.status ?? e.message, ms: Date.now() - started };
      }
    }
    assert.ok(srv.running, `the server stopped at the limit: ${srv.describe()}`);
    assert.ok(refused, `no refusal after ${held.length} connections`);
    assert.equal(refused.status, 503, `at the limit: ${JSON.stringify(refused)}`);
    assert.ok(refused.ms < scaled(1000), `refused after ${refused.ms} ms`);
    console.log(`[figure] at the descriptor limit (${held.length} WebSockets held): 503 in ${refused.ms} ms`);
    // Several in a row are refused, none hangs.
    for (let i = 0; i < 5; i++) {
      const r = await tryUpgrade(srv);
      assert.equal(r.status, 503, `refusal ${i + 2}: ${JSON.stringify(r)}`);
      assert.ok(r.closed, 'the refused connection was left open');
    }
    // Descriptors come back: the server serves again (and has its reserve back).
    for (const ws of held.splice(0, 3)) ws.destroy();
    const ok = await waitFor(async () => {
      const r = await tryUpgrade(srv);
      return r.status === 101 ? r : null;
    }, scaled(5000), 'service after descriptors were freed');
    assert.ok(srv.running, `the server stopped at the limit: ${srv.describe()}`);
    assert.equal(ok.status, 101);
    const c = await connectAs(srv.wsUrl, 'After Limit', 'essex-cc');
    sockets.push(c.ws);
    assert.equal((await c.sync()).type, 'pong');
    const counted = metricValue(await fetchMetrics(srv), /^outloud_connections_refused_total$/, { reason: 'descriptor_limit' });
    assert.ok(counted >= 6, `${counted} refusals at the descriptor limit counted`);
  });
});
