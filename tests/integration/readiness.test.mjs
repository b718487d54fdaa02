// README "Health and metrics": /readyz answers 200 {"ready":true} while the node can serve and 503
// with the reason while it cannot (with --redis: Redis down), when /healthz, a liveness check, still
// answers 200; /metrics carries outloud_build_info, process_open_fds, process_max_fds and, with
// --redis, outloud_redis_up.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectAs } from '../lib/client.mjs';
import { untilNodesHearEachOther, waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { killAll, scaled, startServer } from '../lib/server.mjs';

const cleanups = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await killAll();
});

async function readyz(server) {
  const res = await server.get('/readyz');
  assert.equal(res.headers.get('content-type'), 'application/json');
  return { status: res.status, body: res.json() };
}

// The value of a sample without labels (or with `labels` exactly), null if absent.
async function metric(server, name, labels = '') {
  const text = (await server.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

test('embedded store: ready, and /metrics has the build and the descriptors held against their limit',
  { timeout: scaled(30000) }, async () => {
    const server = await startServer();
    cleanups.push(() => server.stop());
    assert.deepEqual(await readyz(server), { status: 200, body: { ready: true } });
    assert.equal(await metric(server, 'outloud_build_info', '{version="0.1.0"}'), 1);
    assert.equal(await metric(server, 'outloud_redis_up'), null, 'no Redis, no outloud_redis_up');

    const before = await metric(server, 'process_open_fds');
    const max = await metric(server, 'process_max_fds');
    assert.ok(before > 0 && max >= before, `open ${before}, max ${max}`);
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await connectAs(server.wsUrl, `Fay ${i}`, 'essex-cc'));
    cleanups.push(async () => { for (const c of clients) await c.close(); });
    await waitUntil(async () => (await metric(server, 'process_open_fds')) >= before + 5,
      { what: 'five WebSockets to show in process_open_fds' });
  });

test('--redis: /readyz is 503 and outloud_redis_up 0 while Redis is down, 200 and 1 once it is back',
  { timeout: scaled(60000) }, async () => {
    let redis = await startRedis({ persistence: 'none' });
    cleanups.push(() => redis.stop());
    const server = await startServer({ args: ['--redis', redis.url] });
    cleanups.push(() => server.stop());
    await untilNodesHearEachOther([server]);
    assert.deepEqual(await readyz(server), { status: 200, body: { ready: true } });
    assert.equal(await metric(server, 'outloud_redis_up'), 1);

    await redis.stop();
    await waitUntil(async () => (await readyz(server)).status === 503, { what: '/readyz to answer 503' });
    const down = await readyz(server);
    assert.equal(down.body.ready, false);
    assert.match(down.body.reason, /redis/);
    assert.equal(await metric(server, 'outloud_redis_up'), 0);
    assert.equal((await server.get('/healthz')).status, 200, '/healthz is liveness: still 200');

    redis = await redis.restart();
    await waitUntil(async () => (await readyz(server)).status === 200,
      { timeoutMs: scaled(15000), what: '/readyz to answer 200 again' });
    assert.equal(await metric(server, 'outloud_redis_up'), 1);
  });
