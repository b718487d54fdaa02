// Accounts across two real nodes on one real Redis (access.md): a session ended on node A — by
// `end_session` or by POST /api/sign-out — is refused on node B within a second and the sockets
// signed in with it close there (4001); an invitation made on node A is redeemed on node B; a
// private room made on node A is invisible to a non-member on node B (rooms, join, history answer as
// for no room) until its owner adds them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, uniqueId } from '../lib/client.mjs';
import { figure, untilNodesHearEachOther } from '../lib/cluster.mjs';
import { setupLinks, waitForSetupLink } from '../lib/accounts_http.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, httpRequest, killAll, scaled, sleep, startServer } from '../lib/server.mjs';

let redis;
const nodes = [];
let adminToken;
const clients = [];

before(async () => {
  redis = await startRedis();
  const args = ['--redis', redis.url, ...UNTHROTTLED, '--auth', 'accounts'];
  // Node A prints the setup link and it is used; node B starts once the administrator exists (in
  // Redis), so it makes no setup code of its own.
  nodes.push(await startServer({ nodeId: 'access-a', args }));
  const { code } = await waitForSetupLink(nodes[0]);
  const setup = await post(0, '/api/setup', { code, name: 'Fiona Reid', org: 'council', org_name: 'Essex County Council' });
  assert.equal(setup.status, 200, `setup: ${setup.status} ${setup.text}`);
  adminToken = setup.json().token;
  nodes.push(await startServer({ nodeId: 'access-b', args }));
  assert.equal(setupLinks(nodes[1]).length, 0, 'node B found the administrator in Redis');
  // A node that started before Redis answered subscribes to sign-outs as soon as it does.
  await untilNodesHearEachOther(nodes);
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

// POST with a JSON body and no Origin (not a browser: judged by its credentials alone).
async function post(index, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return httpRequest(nodes[index].url + path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
}

// Invited on node A by the administrator, redeemed on node B: {user, token}.
async function invitedOnB(name, invite) {
  const admin = await signIn(0, adminToken, 'admin');
  const reply = await admin.request({ type: 'invite', ...invite });
  assert.equal(reply.type, 'invitation', JSON.stringify(reply));
  await admin.close();
  const res = await post(1, '/api/redeem', { code: reply.invitation.code, name });
  assert.equal(res.status, 200, `redeem on node B: ${res.status} ${res.text}`);
  // The code was used up on node B: node A refuses it as well.
  assert.equal((await post(0, '/api/redeem', { code: reply.invitation.code, name })).status, 404);
  return res.json();
}

async function ensureOrg(id, name) {
  const admin = await signIn(0, adminToken, 'admin');
  const reply = await admin.request({ type: 'org', org: { id, name, domains: [] } });
  assert.equal(reply.type, 'org', JSON.stringify(reply));
  await admin.close();
}

test('signing out on node A refuses the token on node B within a second and closes its sockets there',
  { timeout: scaled(30000) }, async () => {
    await ensureOrg('nhs-ee', 'NHS East of England');
    const bob = await invitedOnB('Bob Brown', { org: 'nhs-ee' });
    assert.equal(bob.user.org, 'nhs-ee', 'the organisation comes from the invitation');
    const me = (index, token) => httpRequest(`${nodes[index].url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me(1, bob.token)).status, 200);

    const sockets = [await signIn(1, bob.token, 'Bob'), await signIn(1, bob.token, 'Bob-2'), await signIn(0, bob.token, 'Bob-A')];
    const { closedMs, refusedMs } = await expectEndedEverywhere(bob.token, sockets, async () => {
      const res = await post(0, '/api/sign-out', {}, bob.token);
      assert.ok(res.status >= 200 && res.status < 300, `sign-out: ${res.status} ${res.text}`);
    });
    assert.equal((await me(1, bob.token)).status, 401, 'GET /api/me on node B');
    figure(`POST /api/sign-out on node A: sockets closed after ${closedMs} ms, token refused on node B after ${refusedMs} ms`);
  });

test('a private room made on node A is invisible to a non-member on node B until the owner adds them',
  { timeout: scaled(30000) }, async () => {
    await ensureOrg('nhs-ee', 'NHS East of England');
    const room = uniqueId('private');
    const owner = await signIn(0, adminToken, 'owner');
    const created = await owner.request({ type: 'create', room, title: 'Safeguarding', kind: 'room' });
    assert.equal(created.type, 'created', JSON.stringify(created));
    await owner.join(room);
    const made = await owner.request({ type: 'room', room, visibility: 'private' });
    assert.equal(made.type, 'ok', `owner's room settings: ${JSON.stringify(made)}`);
    await owner.say(room, 'only for members');

    const carol = await invitedOnB('Carol Nurse', { org: 'nhs-ee' });
    const onB = await signIn(1, carol.token, 'Carol');
    const listed = await onB.request({ type: 'rooms' });
    assert.equal(listed.type, 'rooms', JSON.stringify(listed));
    assert.ok(!listed.rooms.some((r) => r.id === room), 'rooms leaves the private room out');
    for (const frame of [{ type: 'join', room }, { type: 'history', room }]) {
      const reply = await onB.request(frame);
      assert.equal(reply.type, 'error', `${frame.type}: ${JSON.stringify(reply)}`);
      assert.equal(reply.code, 'not_found', `${frame.type} answers as for a room that does not exist`);
    }

    // Added on node A by the owner, with a reason (another organisation): seen and joined on node B.
    const added = await owner.request({ type: 'add', room, user: carol.user.id, reason: 'NHS safeguarding lead' });
    assert.notEqual(added.type, 'error', JSON.stringify(added));
    const relisted = await onB.request({ type: 'rooms' });
    assert.ok(relisted.rooms.some((r) => r.id === room), 'listed for the new member on node B');
    const joined = await onB.request({ type: 'join', room });
    assert.equal(joined.type, 'joined', JSON.stringify(joined));
    const history = await onB.request({ type: 'history', room });
    assert.ok(history.messages?.some((m) => m.text === 'only for members'), JSON.stringify(history));
  });

test('someone removed on node A from a session leaves its breakout group on node B, where the session is not open',
  { timeout: scaled(30000) }, async () => {
    await ensureOrg('nhs-ee', 'NHS East of England');
    const room = uniqueId('brk');
    const group = `${room}~1`;
    const owner = await signIn(0, adminToken, 'owner');
    assert.equal((await owner.request({ type: 'create', room, title: 'Case review', kind: 'session',
      visibility: 'private' })).type, 'created');
    await owner.join(room);
    const dan = await invitedOnB('Dan Nurse', { org: 'nhs-ee' });
    const added = await owner.request({ type: 'add', room, user: dan.user.id, reason: 'NHS case lead' });
    assert.equal(added.type, 'ok', JSON.stringify(added));
    assert.equal((await owner.request({ type: 'breakout', room, action: 'open', groups: 1 })).type, 'ok');
    await owner.join(group);
    // On node B Dan sits in the group only: node B holds no copy of the session room.
    const onB = await signIn(1, dan.token, 'Dan');
    await onB.join(group);
    await owner.next((f) => f.type === 'presence' && f.room === group && f.event === 'join' && f.user.id === dan.user.id);

    assert.equal((await owner.request({ type: 'remove', room, user: dan.user.id })).type, 'ok');
    await owner.next((f) => f.type === 'presence' && f.room === group && f.event === 'leave' && f.user.id === dan.user.id,
      scaled(2000));
    await owner.say(group, 'after Dan was removed');
    const sent = await onB.request({ type: 'send', room: group, text: 'still here?' });
    assert.equal(sent.type, 'error', JSON.stringify(sent));
    assert.equal(sent.code, 'forbidden');
    await onB.expectNone((f) => f.room === group && f.type === 'message');
  });
