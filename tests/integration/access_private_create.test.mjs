// access.md: a room can be created private (`create` takes `visibility` and `label`, as the `room`
// frame sets them), and its creation leaks nothing: nobody but its owner and members hears of it on
// the live room list — on this node, nor on another node over Redis. In open mode `create` refuses
// `private` as the `room` frame does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountsServerForFile } from '../lib/accounts.mjs';
import { post, waitForSetupLink } from '../lib/accounts_http.mjs';
import { connect, connectAs, uniqueId } from '../lib/client.mjs';
import { untilNodesHearEachOther } from '../lib/cluster.mjs';
import { expectError } from '../lib/protocol.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const suite = accountsServerForFile({ prepare });
let owner;      // council org administrator
let colleague;  // council: sees every open room, follows the live room list
let outsider;   // police: likewise

async function prepare() {
  const { admin } = suite;
  await suite.org('police', 'Essex Police');
  owner = await suite.person(admin, 'Fiona Reid', { org: 'council' });
  assert.equal((await admin.request({ type: 'org_admin', user: owner.user.id, admin: true })).type, 'ok');
  colleague = await suite.person(owner, 'Colin Colleague', { org: 'council' });
  outsider = await suite.person(admin, 'Priya Police', { org: 'police' });
  // Everyone follows the live room list.
  for (const c of [owner, colleague, outsider, admin]) await c.expectReply({ type: 'rooms' }, 'rooms');
}

const aboutRoom = (room) => (f) => f.type === 'room_list' && f.room?.id === room;
const listed = async (client) => (await client.expectReply({ type: 'rooms' }, 'rooms')).rooms.map((r) => r.id);

describe('accounts: create private', { timeout: scaled(60000) }, () => {
  test('a room created private is announced to its owner only, listed for them only, and hidden from the rest', async () => {
    const room = uniqueId('born-private');
    const created = await owner.create(room, { title: 'Safeguarding case 41', visibility: 'private', label: 'OFFICIAL-SENSITIVE' });
    assert.equal(created.room.visibility, 'private');
    assert.equal(created.room.label, 'OFFICIAL-SENSITIVE');
    const upsert = await owner.next(aboutRoom(room));
    assert.equal(upsert.event, 'upsert');
    assert.equal(upsert.room.visibility, 'private');
    for (const other of [colleague, outsider, suite.admin]) {
      await other.sync();
      await other.expectNone(aboutRoom(room), scaled(300));
      assert.ok(!(await listed(other)).includes(room));
      await expectError(other, { type: 'join', room }, 'not_found');
    }
    assert.ok((await listed(owner)).includes(room));
    assert.equal((await owner.join(room)).room.visibility, 'private');
    // Nobody learnt its title either.
    for (const other of [colleague, outsider]) {
      assert.ok(!other.frames.some((f) => JSON.stringify(f).includes('Safeguarding case 41')));
    }
    // On the audit log as the settings it was born with.
    const events = (await suite.admin.expectReply({ type: 'audit', limit: 100 }, 'audit')).events;
    const made = events.find((e) => e.action === 'room_changed' && e.target === room);
    assert.equal(made?.detail, 'created; visibility private; label OFFICIAL-SENSITIVE');
    // The existing room still answers conflict (protocol.md), whoever asks.
    await expectError(colleague, { type: 'create', room }, 'conflict');
  });

  test('a member added later hears of it; the rest still hear nothing', async () => {
    const room = uniqueId('born-private');
    await owner.create(room, { visibility: 'private' });
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id })).type, 'ok');
    assert.ok((await listed(colleague)).includes(room));
    // A change of the room now reaches its members, and still nobody else.
    assert.equal((await owner.request({ type: 'room', room, title: 'Renamed' })).type, 'ok');
    const upsert = await colleague.next(aboutRoom(room));
    assert.equal(upsert.room.title, 'Renamed');
    await outsider.sync();
    await outsider.expectNone(aboutRoom(room), scaled(300));
  });

  test('an open room is announced to every non-guest; visibility and label are checked', async () => {
    const room = uniqueId('born-open');
    const created = await owner.create(room, { visibility: 'open' });
    assert.equal(created.room.visibility, 'open');
    assert.equal(created.room.label, 'OFFICIAL');
    assert.equal((await outsider.next(aboutRoom(room))).event, 'upsert');
    await expectError(owner, { type: 'create', room: uniqueId('x'), visibility: 'secret' }, 'bad_request');
    await expectError(owner, { type: 'create', room: uniqueId('x'), visibility: true }, 'bad_request');
    await expectError(owner, { type: 'create', room: uniqueId('x'), label: 'TOP-SECRET' }, 'bad_request');
    await expectError(owner, { type: 'create', room: uniqueId('x'), label: '' }, 'bad_request');
  });
});

describe('open mode: create', { timeout: scaled(30000) }, () => {
  let server;
  before(async () => { server = await startServer({ nodeId: 'open-create', args: [...UNTHROTTLED, '--auth', 'open'] }); });
  after(async () => { await server?.stop(); });

  test('refuses private, as the room frame does; takes open and a label from --labels', async () => {
    const c = await connectAs(server.wsUrl, 'Paul Ashworth', 'essex-cc');
    const room = uniqueId('o');
    const refused = await expectError(c, { type: 'create', room, visibility: 'private' }, 'bad_request');
    assert.match(refused.message, /private rooms need --auth accounts/);
    await expectError(c, { type: 'join', room }, 'not_found');
    const created = await c.create(room, { visibility: 'open', label: 'OFFICIAL-SENSITIVE' });
    assert.equal(created.room.visibility, 'open');
    assert.equal(created.room.label, 'OFFICIAL-SENSITIVE');
    await expectError(c, { type: 'create', room: uniqueId('o'), label: 'NOPE' }, 'bad_request');
    await c.close();
  });
});

describe('two nodes over Redis: a room created private on node A', { timeout: scaled(60000) }, () => {
  let redis;
  const nodes = [];
  const clients = [];
  let adminToken;

  before(async () => {
    redis = await startRedis();
    const args = ['--redis', redis.url, ...UNTHROTTLED, '--auth', 'accounts'];
    nodes.push(await startServer({ nodeId: 'private-a', args }));
    const { code } = await waitForSetupLink(nodes[0]);
    const setup = await post(nodes[0], '/api/setup', { code, name: 'Ada Admin', org: 'council', org_name: 'Council' });
    assert.equal(setup.status, 200, `setup: ${setup.status} ${setup.text}`);
    adminToken = setup.json().token;
    nodes.push(await startServer({ nodeId: 'private-b', args }));
    await untilNodesHearEachOther(nodes);
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  async function signIn(index, token, label) {
    const c = await connect(nodes[index].wsUrl, { label });
    clients.push(c);
    const welcome = await c.request({ type: 'hello', token });
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    c.user = welcome.user;
    return c;
  }
  async function invitedOnB(admin, name) {
    const made = await admin.expectReply({ type: 'invite', org: 'council' }, 'invitation');
    const res = await post(nodes[1], '/api/redeem', { code: made.invitation.code, name });
    assert.equal(res.status, 200, `redeem: ${res.status} ${res.text}`);
    return signIn(1, res.json().token, name);
  }

  test('is announced to nobody on node B but its members', async () => {
    const admin = await signIn(0, adminToken, 'admin@A');
    const colin = await invitedOnB(admin, 'Colin Colleague');
    const dana = await invitedOnB(admin, 'Dana Member');
    const ownerOnB = await signIn(1, adminToken, 'admin@B');
    for (const c of [colin, dana, ownerOnB]) await c.expectReply({ type: 'rooms' }, 'rooms');

    const room = uniqueId('private-ab');
    const created = await admin.create(room, { title: 'Joint case', visibility: 'private' });
    assert.equal(created.room.visibility, 'private');
    // The owner's other connection, on node B, hears of it: the notice crossed nodes.
    assert.equal((await ownerOnB.next(aboutRoom(room), scaled(5000))).event, 'upsert');
    await colin.expectNone(aboutRoom(room), scaled(500));
    await dana.expectNone(aboutRoom(room), scaled(10));
    assert.ok(!colin.frames.some((f) => JSON.stringify(f).includes(room)), 'node B told a non-member nothing, not even the id');

    // Added on node A, seen on node B.
    assert.equal((await admin.request({ type: 'add', room, user: dana.user.id })).type, 'ok');
    assert.ok((await dana.expectReply({ type: 'rooms' }, 'rooms')).rooms.some((r) => r.id === room));
    assert.ok(!(await colin.expectReply({ type: 'rooms' }, 'rooms')).rooms.some((r) => r.id === room));
  });
});
