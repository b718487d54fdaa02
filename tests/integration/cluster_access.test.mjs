// Accounts across two real nodes on one real Redis (access.md): a session ended on node A is refused
// on node B within a second and the sockets signed in with it close there (4001).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../lib/client.mjs';
import { figure } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, httpRequest, killAll, scaled, sleep, startServer } from '../lib/server.mjs';

let redis;
const nodes = [];
let adminToken;
const clients = [];

before(async () => {
  redis = await startRedis();
  const args = ['--redis', redis.url, ...UNTHROTTLED, '--auth', 'accounts'];
  // Node A makes the first administrator (TEST-ONLY flag); node B starts once it exists, so it
  // finds an administrator in Redis and makes no setup code of its own.
  nodes.push(await startServer({ nodeId: 'access-a', args: [...args, '--test-first-admin', 'council'] }));
  const deadline = Date.now() + scaled(10000);
  for (;;) {
    const m = /test administrator token: (\S+)/.exec(nodes[0].stderr);
    if (m) { adminToken = m[1]; break; }
    if (Date.now() > deadline) throw new Error(`no administrator token: ${nodes[0].stderr.slice(-2000)}`);
    await sleep(20);
  }
  nodes.push(await startServer({ nodeId: 'access-b', args }));
  // A node that started before Redis answered subscribes to sign-outs as soon as it does.
  for (const node of nodes) {
    while (/sign-outs from other nodes: .*again/.test(node.stderr) && !/sign-outs from other nodes: subscribed/.test(node.stderr)) {
      if (Date.now() > deadline + scaled(10000)) throw new Error(`${node.nodeId} never subscribed: ${node.stderr.slice(-2000)}`);
      await sleep(20);
    }
  }
});
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(nodes.filter((n) => n.running).map((n) => n.stop()));
  await redis?.stop();
  await killAll();
});

// A socket on node `index` signed in with `token` (hello {"token"}).
async function signIn(index, token, label) {
  const c = await connect(nodes[index].wsUrl, { label: `${label}@node${index + 1}` });
  clients.push(c);
  const welcome = await c.request({ type: 'hello', token });
  assert.equal(welcome.type, 'welcome', `${c.label}: ${JSON.stringify(welcome)}`);
  c.user = welcome.user;
  c.token = token;
  return c;
}

async function helloAnswer(index, token) {
  const c = await connect(nodes[index].wsUrl, { label: `stale@node${index + 1}` });
  clients.push(c);
  return c.request({ type: 'hello', token });
}

// A new session of the administrator (the `token` frame), made on node A: {token, id}.
async function adminSession() {
  const admin = await signIn(0, adminToken, 'admin');
  const made = await admin.request({ type: 'token' });
  assert.equal(made.type, 'token', JSON.stringify(made));
  const listed = await admin.request({ type: 'sessions' });
  await admin.close();
  const mine = listed.sessions.filter((s) => !s.current).sort((a, b) => b.created_at - a.created_at);
  return { token: made.token, id: mine[0].id, listed: listed.sessions };
}

// Ends a session through `end` and checks, on node B, that its token is refused and the sockets
// signed in with it (on both nodes) close with 4001 within a second. Returns the ms measured.
async function expectEndedEverywhere(token, sockets, end) {
  const endedAt = Date.now();
  await end();
  const closes = sockets.map((s) => Promise.race([s.closed,
    sleep(scaled(1000)).then(() => {
      throw new Error(`${s.label}: still open a second after the session ended; node B said:\n${nodes[1].stderr.slice(-1500)}`);
    })]));
  for (const info of await Promise.all(closes)) assert.equal(info.code, 4001);
  const closedMs = Date.now() - endedAt;
  const reply = await helloAnswer(1, token);
  const refusedMs = Date.now() - endedAt;
  assert.equal(reply.type, 'error', JSON.stringify(reply));
  assert.equal(reply.code, 'unauthenticated');
  assert.ok(refusedMs <= scaled(1500), `refused after ${refusedMs} ms`);
  return { closedMs, refusedMs };
}

test('a session ended on node A (end_session) is refused on node B at once and its sockets close',
  { timeout: scaled(30000) }, async () => {
    const session = await adminSession();
    const onB = await signIn(1, session.token, 'second-session');
    const alsoOnB = await signIn(1, session.token, 'second-session-2');
    const onA = await signIn(0, session.token, 'second-session-a');
    const keep = await signIn(1, adminToken, 'first-session');

    const admin = await signIn(0, adminToken, 'admin');
    const { closedMs, refusedMs } = await expectEndedEverywhere(session.token, [onB, alsoOnB, onA], async () => {
      const ended = await admin.request({ type: 'end_session', session: session.id });
      assert.equal(ended.type, 'ok', JSON.stringify(ended));
    });
    figure(`end_session on node A: sockets on both nodes closed after ${closedMs} ms, token refused on node B after ${refusedMs} ms`);

    // The administrator's other session is untouched, on both nodes.
    assert.ok(keep.isOpen);
    await keep.sync();
    assert.equal((await helloAnswer(1, adminToken)).type, 'welcome');
  });
