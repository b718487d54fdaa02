// First run on many nodes sharing one Redis (access.md "First run"): every node started before setup
// prints its own setup link, and each of them works — the first node's as well as the last's — until
// one is used; then all answer 404. Two setups posted at once on two nodes: exactly one succeeds.
// GET /api/me never says "setup":false before the node knows: 503 while Redis is unreachable, and a
// node whose neighbour ran the setup stops saying "setup":true.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { post, request, setupLinks, startAccountsServer, waitForSetupLink } from '../lib/accounts_http.mjs';
import { waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, freePort, killAll, scaled } from '../lib/server.mjs';

const stops = [];
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await killAll();
});

async function redis(options) {
  const server = await startRedis(options);
  stops.push(() => server.stop());
  return server;
}

async function node(redisUrl, nodeId) {
  const server = await startAccountsServer({ nodeId, args: ['--redis', redisUrl, ...UNTHROTTLED] });
  stops.push(() => server.stop());
  return server;
}

const admin = (code, org) => ({ code, name: 'Ada Admin', org, org_name: `Organisation ${org}` });

test('the setup link of every node works until one is used, then none does', { timeout: scaled(60000) }, async () => {
  const store = await redis();
  const nodes = [];
  for (const name of ['setup-a', 'setup-b', 'setup-c']) nodes.push(await node(store.url, name));
  const links = [];
  for (const n of nodes) links.push(await waitForSetupLink(n));
  assert.equal(new Set(links.map((l) => l.code)).size, 3, 'each node printed its own code');

  // The first node's link, used on the last node: it was not overwritten by the later starts.
  const first = await post(nodes[2], '/api/setup', admin(links[0].code, 'first'));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json().user.admin, true);

  for (const [i, link] of links.entries()) {
    for (const [j, n] of nodes.entries()) {
      const again = await post(n, '/api/setup', admin(link.code, `again-${i}-${j}`));
      assert.equal(again.status, 404, `link of node ${i + 1} on node ${j + 1}: ${again.text}`);
    }
  }
  // Every node, not only the one that ran it, now says setup is done.
  for (const n of nodes) {
    const me = await request(n, '/api/me');
    assert.equal(me.status, 401);
    assert.equal(me.json().setup, false, `${n.nodeId}: ${me.text}`);
  }
});

test('two setups at once on two nodes: exactly one succeeds', { timeout: scaled(60000) }, async () => {
  const store = await redis();
  const a = await node(store.url, 'race-a');
  const b = await node(store.url, 'race-b');
  const [linkA, linkB] = [await waitForSetupLink(a), await waitForSetupLink(b)];
  const answers = await Promise.all([
    post(a, '/api/setup', admin(linkA.code, 'race-a')),
    post(b, '/api/setup', admin(linkB.code, 'race-b')),
    post(a, '/api/setup', admin(linkB.code, 'race-c')),
    post(b, '/api/setup', admin(linkA.code, 'race-d')),
  ]);
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 404, 404, 404], answers.map((r) => r.text).join('\n'));

  // A node started after the setup prints no link.
  const late = await node(store.url, 'race-late');
  // Until it has read the setup state from Redis, a node answers 503 (the last test).
  await waitUntil(async () => (await request(late, '/api/me')).status !== 503, { what: 'the late node to know' });
  const me = await request(late, '/api/me');
  assert.equal(me.json().setup, false, me.text);
  assert.equal(setupLinks(late).length, 0, late.stderr);
});

test('GET /api/me answers 503 rather than "setup":false while the node cannot know', { timeout: scaled(60000) }, async () => {
  const port = await freePort();
  const early = await node(`redis://127.0.0.1:${port}`, 'setup-early');
  const unknown = await request(early, '/api/me');
  assert.equal(unknown.status, 503, unknown.text);
  assert.equal(unknown.json().error, 'unavailable');

  await redis({ port });
  await waitUntil(async () => (await request(early, '/api/me')).status === 401, { what: '/api/me once Redis answers' });
  const me = await request(early, '/api/me');
  assert.deepEqual({ auth: me.json().auth, setup: me.json().setup }, { auth: 'accounts', setup: true });
  const { code } = await waitForSetupLink(early);
  assert.equal((await post(early, '/api/setup', admin(code, 'early'))).status, 200);
});
