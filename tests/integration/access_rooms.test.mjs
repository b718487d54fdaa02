// access.md over real sockets, accounts mode: signing in, who sees which room (private rooms,
// guests), the owner's settings, members added across organisations with a sponsor and a reason,
// removal, the record, invitations, sessions and sign-out, the audit log — and the attacks: a guest,
// a member and a signed-out token each get the contract's answer and change nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountsServerForFile } from '../lib/accounts.mjs';
import { connect, uniqueId } from '../lib/client.mjs';
import { assertError, expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';

// access_rooms_redis.test.mjs imports this file as `?backend=redis`: the same rules, held in Redis.
const backend = new URL(import.meta.url).searchParams.get('backend') ?? 'embedded';
const suite = accountsServerForFile({ prepare, backend });
let owner;      // council org administrator, owner of the rooms below
let colleague;  // council, a plain member
let outsider;   // police, another organisation
let guest;      // a resident invited into `privateRoom` only
let privateRoom;
let openRoom;

async function prepare() {
  const { admin } = suite;
  await suite.org('police', 'Essex Police', ['essex.police.uk']);
  await suite.org('resident', 'Residents');
  owner = await suite.person(admin, 'Fiona Reid', { org: 'council' });
  assert.equal((await admin.request({ type: 'org_admin', user: owner.user.id, admin: true })).type, 'ok');
  colleague = await suite.person(owner, 'Colin Colleague', { org: 'council' });
  outsider = await suite.person(admin, 'Priya Police', { org: 'police' });
  privateRoom = uniqueId('priv');
  openRoom = uniqueId('open');
  await owner.create(privateRoom, { title: 'Safeguarding case' });
  await owner.create(openRoom, { title: 'Open forum' });
  assert.equal((await owner.request({ type: 'room', room: privateRoom, visibility: 'private' })).type, 'ok');
  guest = await suite.person(owner, 'Rita Resident', { org: 'resident', room: privateRoom, guest: true });
}

const listed = async (client) => (await client.expectReply({ type: 'rooms' }, 'rooms')).rooms.map((r) => r.id);
const memberIds = async (client, room) =>
  (await client.expectReply({ type: 'members', room }, 'members')).members.map((m) => m.user.id).sort();

describe('accounts: signing in', { timeout: scaled(60000) }, () => {
  test('name and org alone are unauthenticated; a bad token too; hello {} needs the cookie', async () => {
    for (const frame of [{ name: 'Fiona Reid', org: 'council' }, { token: 'not-a-token' }, {}]) {
      const c = await connect(suite.server.wsUrl);
      assertError(await c.request({ type: 'hello', ...frame }), 'unauthenticated');
      assertError(await c.request({ type: 'rooms' }), 'unauthenticated');
      c.close();
    }
    const withCookie = await connect(suite.server.wsUrl, { headers: { cookie: `a=b; outloud_session=${colleague.token}` } });
    const welcome = await withCookie.request({ type: 'hello' });
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    assert.equal(welcome.user.id, colleague.user.id);
    withCookie.close();
  });

  test('welcome tells administrators what they are, and nobody else', () => {
    assert.equal(suite.admin.welcome.user.admin, true);
    assert.equal(suite.admin.welcome.user.org_admin, true);
    assert.equal(colleague.welcome.user.admin, undefined);
    assert.equal(guest.welcome.user.guest, true);
    assert.equal(guest.welcome.user.org, 'resident');
    assert.equal(colleague.welcome.user.org, 'council');  // from the invitation, never typed
  });
});

describe('accounts: private rooms and guests', { timeout: scaled(60000) }, () => {
  test('a private room is hidden from non-members exactly like a missing one', async () => {
    const missing = uniqueId('none');
    assert.ok(!(await listed(colleague)).includes(privateRoom));
    assert.ok((await listed(colleague)).includes(openRoom));
    for (const room of [privateRoom, missing]) {
      const join = await expectError(colleague, { type: 'join', room }, 'not_found');
      assert.equal(join.message, `no room '${room}'`);
      await expectError(colleague, { type: 'history', room }, 'not_found');
      await expectError(colleague, { type: 'export', room }, 'not_found');
      await expectError(colleague, { type: 'members', room }, 'not_found');
    }
    assert.ok((await listed(owner)).includes(privateRoom));
  });

  test('paging the room list with a small limit never names a room the person may not see', async () => {
    // Each page's `next` goes back as `after`: every id the walk hands over, page or cursor, must be
    // one the person may see, and the walk must still reach every room they see.
    const walk = async (client) => {
      const handed = [];
      const rooms = [];
      let after;
      for (let pages = 0; pages < 500; pages++) {
        const page = await client.expectReply({ type: 'rooms', limit: 1, ...(after ? { after } : {}) }, 'rooms');
        rooms.push(...page.rooms.map((r) => r.id));
        if (!page.next) return { rooms, handed };
        handed.push(page.next);
        after = page.next;
      }
      assert.fail('the walk did not end');
    };
    // An open room right after the private one in id order: a page ending there must not point past it by name.
    await owner.create(`${privateRoom}-after`, { title: 'After the private one' });
    for (const [client, sees] of [[colleague, openRoom], [guest, privateRoom]]) {
      const everything = await listed(client);
      const { rooms, handed } = await walk(client);
      assert.deepEqual(rooms, everything);
      assert.ok(rooms.includes(sees));
      for (const id of handed) assert.ok(everything.includes(id), `${id} handed over as next`);
      if (client === colleague) assert.ok(!rooms.includes(privateRoom) && !handed.includes(privateRoom));
    }
  });

  test('a guest sees and joins only the room it was invited to', async () => {
    // A room whose id starts as a breakout group of the guest's room would, but is none of its groups.
    await owner.create(`${privateRoom}~annex`, { title: 'Not a group' });
    assert.deepEqual(await listed(guest), [privateRoom]);
    const joined = await guest.join(privateRoom);
    assert.equal(joined.room.visibility, 'private');
    assert.equal(joined.room.label, 'OFFICIAL');
    for (const room of [openRoom, uniqueId('none')]) {
      await expectError(guest, { type: 'join', room }, 'not_found');
      await expectError(guest, { type: 'history', room }, 'not_found');
      await expectError(guest, { type: 'export', room }, 'not_found');
    }
    await expectError(guest, { type: 'create', room: uniqueId('g') }, 'forbidden');
    assert.deepEqual((await guest.expectReply({ type: 'people' }, 'people')).people, []);
    await expectError(guest, { type: 'orgs' }, 'forbidden');
    // Its own room's record is for the owner and facilitators.
    await expectError(guest, { type: 'export', room: privateRoom }, 'forbidden');
    // Nothing changed: still only its room, and no room was made.
    assert.deepEqual(await listed(guest), [privateRoom]);
  });

  test('a guest is never made facilitator', async () => {
    await expectError(owner, { type: 'add', room: privateRoom, user: guest.user.id, role: 'facilitator' }, 'forbidden');
    await owner.join(privateRoom);
    await expectError(owner, { type: 'role', room: privateRoom, user: guest.user.id, role: 'facilitator' }, 'forbidden');
    const me = (await owner.expectReply({ type: 'members', room: privateRoom }, 'members')).members
      .find((m) => m.user.id === guest.user.id);
    assert.equal(me.role, 'member');
  });

  test('joining an open room makes one a member', async () => {
    await colleague.join(openRoom);
    assert.ok((await memberIds(owner, openRoom)).includes(colleague.user.id));
  });
});

describe('accounts: owners, members and permissions across organisations', { timeout: scaled(60000) }, () => {
  test('room settings: owner only, told to everyone in the room, label from --labels', async () => {
    const room = uniqueId('set');
    await owner.create(room);
    await owner.join(room);
    await colleague.join(room);
    await expectError(colleague, { type: 'room', room, label: 'OFFICIAL-SENSITIVE' }, 'forbidden');
    await expectError(owner, { type: 'room', room, label: 'TOP-SECRET' }, 'bad_request');
    assert.equal((await owner.request({ type: 'room', room, label: 'OFFICIAL-SENSITIVE', retention_days: 30 })).type, 'ok');
    const roomEvent = (f) => f.type === 'room' && !('re' in f) && f.room.id === room;
    const event = await colleague.next(roomEvent);
    assert.equal(event.room.label, 'OFFICIAL-SENSITIVE');
    assert.equal(event.room.retention_days, 30);
    assert.equal(event.room.org, 'council');
    assert.equal((await owner.request({ type: 'room', room, retention_days: null })).type, 'ok');
    assert.equal((await colleague.next(roomEvent)).room.retention_days, null);
  });

  test('adding someone from another organisation needs a reason and records the sponsor', async () => {
    const room = uniqueId('x');
    await owner.create(room, { title: 'Joint case review' });
    await owner.request({ type: 'room', room, visibility: 'private' });
    await owner.join(room);
    await expectError(owner, { type: 'add', room, user: outsider.user.id }, 'bad_request');
    assert.ok(!(await listed(outsider)).includes(room), 'the refused add changed nothing');
    assert.equal((await owner.request({ type: 'add', room, user: outsider.user.id, reason: 'Lead officer for the case' })).type, 'ok');
    const event = await owner.next((f) => f.type === 'member' && f.room === room);
    assert.equal(event.event, 'add');
    assert.equal(event.member.user.id, outsider.user.id);
    assert.equal(event.member.sponsor.id, owner.user.id);
    assert.equal(event.member.reason, 'Lead officer for the case');
    assert.ok((await listed(outsider)).includes(room));
    const members = (await outsider.expectReply({ type: 'members', room }, 'members')).members;
    const added = members.find((m) => m.user.id === outsider.user.id);
    assert.equal(added.sponsor.id, owner.user.id);
    assert.equal(added.reason, 'Lead officer for the case');
    assert.ok(Number.isInteger(added.since));
    assert.equal(members.find((m) => m.user.id === owner.user.id).role, 'owner');
    // A colleague from the room's own organisation needs no reason.
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id })).type, 'ok');

    const record = await owner.expectReply({ type: 'export', room }, 'export');
    const md = record.markdown ?? JSON.stringify(record);
    assert.ok(md.startsWith('**OFFICIAL**'), md.slice(0, 200));
    assert.match(md, /Permissions given across organisations/);
    assert.match(md, /Priya Police.*let in by Fiona Reid.*Lead officer for the case/);
    await expectError(colleague, { type: 'export', room }, 'forbidden');
    assert.equal((await suite.admin.expectReply({ type: 'export', room }, 'export')).type, 'export');
  });

  test('removing someone closes their presence in the room at once', async () => {
    const room = uniqueId('rm');
    await owner.create(room);
    await owner.request({ type: 'room', room, visibility: 'private' });
    await owner.join(room);
    await owner.request({ type: 'add', room, user: colleague.user.id });
    await colleague.join(room);
    await expectError(colleague, { type: 'remove', room, user: owner.user.id }, 'forbidden');
    assert.equal((await owner.request({ type: 'remove', room, user: colleague.user.id })).type, 'ok');
    const event = await colleague.next({ type: 'member', room, event: 'remove' });
    assert.equal(event.member.user.id, colleague.user.id);
    await owner.next((f) => f.type === 'presence' && f.room === room && f.event === 'leave' && f.user.id === colleague.user.id);
    await expectError(colleague, { type: 'send', room, text: 'still here?' }, 'forbidden');
    await expectError(colleague, { type: 'join', room }, 'not_found');
  });

  test('a member trying owner and administrator frames is refused and changes nothing', async () => {
    const before = await memberIds(owner, privateRoom);
    await expectError(colleague, { type: 'add', room: openRoom, user: outsider.user.id, reason: 'x' }, 'forbidden');
    await expectError(colleague, { type: 'remove', room: openRoom, user: owner.user.id }, 'forbidden');
    await expectError(colleague, { type: 'room', room: openRoom, visibility: 'private' }, 'forbidden');
    await expectError(colleague, { type: 'org', org: { id: 'council', name: 'Mine now' } }, 'forbidden');
    await expectError(colleague, { type: 'org_admin', user: colleague.user.id, admin: true }, 'forbidden');
    await expectError(colleague, { type: 'audit' }, 'forbidden');
    await expectError(colleague, { type: 'invite', org: 'council' }, 'forbidden');
    await expectError(colleague, { type: 'invite', org: 'resident', room: openRoom, guest: true }, 'forbidden');
    await expectError(colleague, { type: 'sessions', user: owner.user.id }, 'forbidden');
    await expectError(colleague, { type: 'export', room: openRoom }, 'forbidden');
    assert.deepEqual(await memberIds(owner, privateRoom), before);
    assert.ok((await listed(outsider)).includes(openRoom), 'open rooms are open to every non-guest');
    assert.equal((await suite.admin.expectReply({ type: 'orgs' }, 'orgs')).orgs.find((o) => o.id === 'council').name, 'council');
    assert.equal(colleague.welcome.user.org_admin, undefined);
    const again = await suite.signIn(colleague.token, 'colleague again');
    assert.equal(again.welcome.user.org_admin, undefined);
  });
});

describe('accounts: invitations, sessions, sign-out and the audit log', { timeout: scaled(60000) }, () => {
  test('invitations: the code once, listed without it, revoked at once', async () => {
    const made = await owner.expectReply({ type: 'invite', org: 'council', uses: 2, hours: 1 }, 'invitation');
    const { invitation } = made;
    assert.equal(invitation.code.length, 43);
    assert.equal(invitation.url, `${suite.server.url}/#invite=${invitation.code}`);
    assert.equal(invitation.uses_left, 2);
    assert.equal(invitation.role, 'member');
    assert.equal(invitation.guest, false);
    assert.ok(invitation.expires_at > Date.now() + 59 * 60 * 1000);
    const list = (await owner.expectReply({ type: 'invitations' }, 'invitations')).invitations;
    const mine = list.find((i) => i.id === invitation.id);
    assert.ok(mine && mine.code === undefined && mine.url === undefined, JSON.stringify(mine));
    assert.ok(!(await colleague.expectReply({ type: 'invitations' }, 'invitations')).invitations.some((i) => i.id === invitation.id));
    await expectError(colleague, { type: 'revoke', invitation: invitation.id }, 'not_found');
    assert.equal((await owner.request({ type: 'revoke', invitation: invitation.id })).type, 'ok');
    const res = await fetch(`${suite.server.url}/api/redeem`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: invitation.code, name: 'Late' }),
    });
    assert.equal(res.status, 404);
  });

  test("an organisation's administrator is not shown invitations into a private room they are not in", async () => {
    const policeAdmin = await suite.person(suite.admin, 'Pat Police Admin', { org: 'police' });
    assert.equal((await suite.admin.request({ type: 'org_admin', user: policeAdmin.user.id, admin: true })).type, 'ok');
    const intoPrivate = (await owner.expectReply({ type: 'invite', org: 'police', room: privateRoom, guest: true }, 'invitation')).invitation;
    const intoOpen = (await owner.expectReply({ type: 'invite', org: 'police', room: openRoom, guest: true }, 'invitation')).invitation;
    const seenBy = async (client) => (await client.expectReply({ type: 'invitations' }, 'invitations')).invitations;
    const theirs = await seenBy(policeAdmin);
    assert.ok(theirs.some((i) => i.id === intoOpen.id && i.room === openRoom), JSON.stringify(theirs));
    assert.ok(!JSON.stringify(theirs).includes(privateRoom), JSON.stringify(theirs));
    assert.ok((await seenBy(owner)).some((i) => i.id === intoPrivate.id && i.room === privateRoom));
    for (const i of [intoPrivate, intoOpen]) assert.equal((await owner.request({ type: 'revoke', invitation: i.id })).type, 'ok');
  });

  test('a token for the command line; sessions listed; ending one closes its sockets and refuses its token', async () => {
    const made = await colleague.expectReply({ type: 'token' }, 'token');
    const cli = await suite.signIn(made.token, 'cli');
    assert.equal(cli.user.id, colleague.user.id);
    const sessions = (await colleague.expectReply({ type: 'sessions' }, 'sessions')).sessions;
    assert.ok(sessions.length >= 2);
    assert.equal(sessions.filter((s) => s.current).length, 1);
    const cliSession = sessions.find((s) => !s.current && s.created_at >= sessions.find((x) => x.current).created_at);
    await expectError(outsider, { type: 'end_session', session: cliSession.id }, 'not_found');
    assert.ok(cli.isOpen, 'a refused end_session changed nothing');
    assert.equal((await colleague.request({ type: 'end_session', session: cliSession.id })).type, 'ok');
    const closed = await cli.closed;
    assert.equal(closed.code, 4001);
    const late = await connect(suite.server.wsUrl);
    assertError(await late.request({ type: 'hello', token: made.token }), 'unauthenticated');
    late.close();
    assert.ok(colleague.isOpen, 'the other session goes on');
  });

  test('administrators read the audit log, newest first, paged with before', async () => {
    const page = (await suite.admin.expectReply({ type: 'audit', limit: 500 }, 'audit')).events;
    const actions = new Set(page.map((e) => e.action));
    for (const action of ['setup', 'sign_in', 'invitation_created', 'invitation_redeemed', 'invitation_revoked',
      'org_changed', 'org_admin_changed', 'room_changed', 'member_added', 'member_removed', 'export', 'session_revoked']) {
      assert.ok(actions.has(action), `audit has no ${action}: ${[...actions]}`);
    }
    for (let i = 1; i < page.length; i++) assert.ok(page[i - 1].ts > page[i].ts, 'newest first, unique ts');
    const added = page.find((e) => e.action === 'member_added' && /Lead officer/.test(e.detail));
    assert.ok(added, 'the permission given across organisations is on the record');
    assert.equal(added.actor.id, owner.user.id);
    const older = (await suite.admin.expectReply({ type: 'audit', before: page[1].ts, limit: 1 }, 'audit')).events;
    assert.deepEqual(older, [page[2]]);
  });
});

// Breakout groups `<room>~<n>` are behind their session's walls (access.md, protocol README): they
// take its visibility, label, retention and owner, also after these change; nobody owns a group for
// having opened it; and whoever is removed from the session is out of its groups at once.
describe('accounts: breakout groups follow their session', { timeout: scaled(60000) }, () => {
  const listEvent = (event, id) => (f) => f.type === 'room_list' && f.event === event && f.room.id === id;

  test("a session made private and relabelled takes its groups with it, reused groups too", async () => {
    const room = uniqueId('drift');
    await owner.create(room, { kind: 'session' });
    await owner.join(room);
    await owner.expectReply({ type: 'breakout', room, action: 'open', groups: 2 }, 'ok');
    // The outsider follows the room list and sees the open session's groups.
    assert.ok((await listed(outsider)).includes(`${room}~1`));

    assert.equal((await owner.request({ type: 'room', room, visibility: 'private', label: 'OFFICIAL-SENSITIVE',
      retention_days: 30 })).type, 'ok');
    // Told to drop the groups as well as the session, and nothing more: not let in.
    await outsider.next(listEvent('remove', `${room}~1`));
    await outsider.next(listEvent('remove', `${room}~2`));
    await owner.join(`${room}~1`);
    await owner.say(`${room}~1`, 'sensitive group talk');
    assert.ok(!(await listed(outsider)).includes(`${room}~1`), 'rooms leaves the group out');
    for (const type of ['join', 'history', 'members']) {
      await expectError(outsider, { type, room: `${room}~1` }, 'not_found');
    }
    const joined = await owner.join(`${room}~2`);
    assert.equal(joined.room.visibility, 'private');
    assert.equal(joined.room.label, 'OFFICIAL-SENSITIVE');
    assert.equal(joined.room.retention_days, 30);

    // Groups reused by a later breakout have the session's settings as they are now.
    await owner.expectReply({ type: 'breakout', room, action: 'close' }, 'ok');
    assert.equal((await owner.request({ type: 'room', room, label: 'OFFICIAL', retention_days: null })).type, 'ok');
    await owner.expectReply({ type: 'breakout', room, action: 'open', groups: 2 }, 'ok');
    const groups = (await owner.expectReply({ type: 'rooms' }, 'rooms')).rooms.filter((r) => r.parent === room);
    assert.deepEqual(groups.map((r) => [r.id, r.visibility, r.label, r.retention_days]).sort(),
      [[`${room}~1`, 'private', 'OFFICIAL', null], [`${room}~2`, 'private', 'OFFICIAL', null]]);
    await expectError(outsider, { type: 'join', room: `${room}~2` }, 'not_found');
  });

  test("a group's settings are its session's: the room frame on a group is refused, to the owner too", async () => {
    const room = uniqueId('gset');
    await owner.create(room, { kind: 'session', visibility: 'private' });
    await owner.join(room);
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id, role: 'facilitator' })).type, 'ok');
    await colleague.join(room);
    // Opened by a facilitator: the group is still the session owner's.
    await colleague.expectReply({ type: 'breakout', room, action: 'open', groups: 1 }, 'ok');
    const group = `${room}~1`;
    const joined = await colleague.join(group);
    assert.equal(joined.room.created_by, owner.user.id);
    await colleague.say(group, 'group secret');
    for (const who of [colleague, owner]) {
      await expectError(who, { type: 'room', room: group, visibility: 'open' }, 'bad_request');
      await expectError(who, { type: 'room', room: group, label: 'OFFICIAL', retention_days: 1 }, 'bad_request');
    }
    await expectError(outsider, { type: 'join', room: group }, 'not_found');
    const stays = await owner.join(group);
    assert.equal(stays.room.visibility, 'private');
    assert.equal(stays.room.retention_days, null);
    assert.ok(stays.messages.some((m) => m.text === 'group secret'));
  });

  test('a facilitator removed from a private session has no way into the groups they opened', async () => {
    const room = uniqueId('gfac');
    await owner.create(room, { kind: 'session', visibility: 'private' });
    await owner.join(room);
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id, role: 'facilitator' })).type, 'ok');
    await colleague.join(room);
    await colleague.expectReply({ type: 'breakout', room, action: 'open', groups: 2 }, 'ok');
    await colleague.expectReply({ type: 'breakout', room, action: 'close' }, 'ok');
    await colleague.expectReply({ type: 'leave', room }, 'left');
    assert.equal((await owner.request({ type: 'remove', room, user: colleague.user.id })).type, 'ok');
    await owner.join(`${room}~1`);
    await owner.say(`${room}~1`, 'after the facilitator left');
    await expectError(colleague, { type: 'join', room }, 'not_found');
    for (const type of ['join', 'history', 'export']) {
      await expectError(colleague, { type, room: `${room}~1` }, 'not_found');
    }
    assert.ok(!(await listed(colleague)).includes(`${room}~2`));
  });

  test('someone removed from a session is out of the breakout group they sit in, at once', async () => {
    const room = uniqueId('gout');
    await owner.create(room, { kind: 'session', visibility: 'private' });
    await owner.join(room);
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id })).type, 'ok');
    await colleague.join(room);
    await owner.expectReply({ type: 'breakout', room, action: 'open', groups: 1 }, 'ok');
    const group = `${room}~1`;
    await owner.join(group);
    await colleague.join(group);
    assert.equal((await owner.request({ type: 'remove', room, user: colleague.user.id })).type, 'ok');
    await owner.next((f) => f.type === 'presence' && f.room === group && f.event === 'leave' &&
      f.user.id === colleague.user.id);
    await owner.say(group, 'said in the group after the removal');
    owner.send({ type: 'typing', room: group, topic: 'general' });
    await expectError(colleague, { type: 'send', room: group, text: 'still here?' }, 'forbidden');
    await expectError(colleague, { type: 'typing', room: group, topic: 'general', id: 'typing-after' }, 'forbidden');
    await colleague.expectNone((f) => f.room === group && (f.type === 'message' || f.type === 'typing'));
  });
});
