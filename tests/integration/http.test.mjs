// protocol.md "The server process": GET / (web client), /healthz, /metrics (Prometheus text whose
// counters move), unknown paths 404, WebSocket only at /ws.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, connectAs, uniqueId } from '../lib/client.mjs';
import { expectError, fetchMetrics, metricValue, parseMetrics } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'http-node-7', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

describe('HTTP', { timeout: scaled(30000) }, () => {
  test('GET / serves the web client as HTML', async () => {
    const res = await server.get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.text, /<html|<!doctype html/i);
  });

  test('GET /healthz answers {"status":"ok","node","redis":"off"} when running alone', async () => {
    const res = await server.get('/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.equal(body.node, 'http-node-7');
    assert.equal(body.redis, 'off');
  });

  test('GET /metrics is Prometheus text with the expected metrics', async () => {
    const res = await server.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const samples = parseMetrics(res.text);  // throws on a line that is not a sample or a comment
    for (const name of [/connections_open/, /connections_total/, /messages_stored/, /deliveries/,
      /frames_received/, /slow_clients_dropped/, /refused/]) {
      assert.notEqual(metricValue(samples, name), undefined, `no metric matching ${name} in:\n${res.text}`);
    }
    assert.match(res.text, /^# TYPE \S+ (counter|gauge)/m);
  });

  test('metric values move: connections, messages stored, deliveries, frames refused by code', async () => {
    const m0 = await fetchMetrics(server);
    const a = await connectAs(server.wsUrl, 'Metric Mo', 'essex-cc');
    const b = await connectAs(server.wsUrl, 'Metric Meg', 'police');
    const room = uniqueId('metrics');
    await a.create(room);
    await a.join(room);
    await b.join(room);
    for (let i = 0; i < 3; i++) await a.say(room, `count me ${i}`);
    await b.collect((f) => f.type === 'message', 3);
    a.sendText('not json');
    await a.next((f) => f.type === 'error');
    await expectError(a, { type: 'teleport' }, 'bad_request');
    await expectError(a, { type: 'join', room: uniqueId('missing') }, 'not_found');
    const m1 = await fetchMetrics(server);
    const delta = (re, labels) => (metricValue(m1, re, labels) ?? NaN) - (metricValue(m0, re, labels) ?? 0);
    assert.equal(delta(/messages_stored/), 3, 'messages_stored');
    assert.ok(delta(/deliveries/) >= 6, `deliveries moved by ${delta(/deliveries/)}`);
    assert.ok(delta(/connections_total/) >= 2, 'connections_total');
    assert.ok(metricValue(m1, /connections_open/) >= 2, 'connections_open');
    assert.ok(delta(/frames_received/) >= 10, 'frames_received');
    assert.equal(delta(/refused/, { code: 'bad_request' }), 2, 'frames refused with bad_request');
    assert.equal(delta(/refused/, { code: 'not_found' }), 1, 'frames refused with not_found');
    await Promise.all([a.close(), b.close()]);
    // connections_open comes back down.
    let open;
    for (let i = 0; i < 40; i++) {
      open = metricValue(await fetchMetrics(server), /connections_open/);
      if (open === metricValue(m0, /connections_open/)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(open, metricValue(m0, /connections_open/), 'connections_open after closing');
  });

  test('latency histograms: each delivery timed from its send, and each stage on the way counted', async () => {
    const m0 = await fetchMetrics(server);
    const a = await connectAs(server.wsUrl, 'Latency Lou', 'nhs');
    const b = await connectAs(server.wsUrl, 'Latency Lee', 'fire');
    const room = uniqueId('latency');
    await a.create(room);
    await a.join(room);
    await b.join(room);
    for (let i = 0; i < 4; i++) await a.say(room, `timed ${i}`);
    await b.collect((f) => f.type === 'message', 4);
    await a.collect((f) => f.type === 'message', 4);
    const count = (samples, name) => metricValue(samples, new RegExp(`^${name}_count$`));
    // Each delivery is counted once its write completes, on its member's strand: wait for the last.
    let m1;
    for (const until = Date.now() + scaled(5000); ;) {
      m1 = await fetchMetrics(server);
      const settled = ['outloud_message_round_wait_seconds', 'outloud_delivery_seconds']
        .every((name) => count(m1, name) - count(m0, name) >= 8);
      if (settled || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const delta = (name) => count(m1, name) - count(m0, name);
    assert.equal(delta('outloud_send_store_seconds'), 4, 'one store latency per send');
    assert.equal(delta('outloud_message_round_wait_seconds'), 8, 'one round wait per delivery');
    assert.equal(delta('outloud_delivery_seconds'), 8, 'each message timed for each of its two members');
    // Replies, joins and 4 messages to each of two connections: at least 8 frames written.
    assert.ok(delta('outloud_socket_queue_seconds') >= 8, `socket queue frames: ${delta('outloud_socket_queue_seconds')}`);
    const names = ['outloud_delivery_seconds', 'outloud_send_store_seconds', 'outloud_message_round_wait_seconds',
      'outloud_socket_queue_seconds'];
    for (const name of names) {
      const buckets = m1.filter((s) => s.name === `${name}_bucket`);
      assert.equal(buckets.at(-1).labels.le, '+Inf', `${name}: the last bucket is +Inf`);
      assert.equal(buckets.at(-1).value, count(m1, name), `${name}: +Inf bucket equals _count`);
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${name}: buckets are cumulative`);
        if (i < buckets.length - 1) assert.ok(Number(buckets[i].labels.le) > Number(buckets[i - 1].labels.le), `${name}: bounds rise`);
      }
      assert.ok(metricValue(m1, new RegExp(`^${name}_sum$`)) >= 0, `${name}_sum`);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('unknown paths are 404; the WebSocket lives at /ws only', async () => {
    for (const p of ['/nope', '/ws/extra', '/healthz/more', '/../etc/passwd', '/api/nothing']) {
      const res = await server.get(p);
      assert.equal(res.status, 404, `GET ${p} → ${res.status}`);
    }
    await assert.rejects(connect(server.wsUrl.replace(/\/ws$/, '/chat')), (e) => e.statusCode >= 400 && e.statusCode < 500);
    // A plain GET of /ws (no upgrade) is not a server error.
    const res = await server.get('/ws');
    assert.ok(res.status >= 400 && res.status < 500, `GET /ws without upgrade → ${res.status}`);
  });

  test('the server still answers after all of the above', async () => {
    const c = await connect(server.wsUrl);
    assert.equal((await c.sync()).type, 'pong');
    await c.close();
  });
});
