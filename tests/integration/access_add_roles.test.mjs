// access.md, accounts mode: `add` with a role gives that role even to someone who never joined the
// room (an observer cannot send, a facilitator leads), answers `ok` and the audit says what
// happened; role changes made with the `role` frame are audited too; a blank reason is no reason.
// access_add_roles_redis.test.mjs runs the same file with everything held in Redis.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountsServerForFile } from '../lib/accounts.mjs';
import { uniqueId } from '../lib/client.mjs';
import { expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';

const backend = new URL(import.meta.url).searchParams.get('backend') ?? 'embedded';
const suite = accountsServerForFile({ prepare, backend });
let owner;  // council org administrator: invites council people, owns the rooms below

async function prepare() {
  const { admin } = suite;
  await suite.org('police', 'Essex Police');
  owner = await suite.person(admin, 'Fiona Reid', { org: 'council' });
  assert.equal((await admin.request({ type: 'org_admin', user: owner.user.id, admin: true })).type, 'ok');
}

let people = 0;
// Someone new, who has joined no room: of the council (invited by the owner) or another organisation.
const newcomer = (org = 'council') =>
  suite.person(org === 'council' ? owner : suite.admin, `Person ${++people}`, { org });

// A new room of the owner's, joined by the owner (who then hears its events).
async function ownersRoom(extra = {}) {
  const room = uniqueId('ar');
  await owner.create(room, extra);
  await owner.join(room);
  return room;
}

const memberOf = async (client, room, user) =>
  (await client.expectReply({ type: 'members', room }, 'members')).members.find((m) => m.user.id === user);

// The audit events about `target`, newest first.
async function auditOf(target) {
  const events = (await suite.admin.expectReply({ type: 'audit', limit: 500 }, 'audit')).events;
  return events.filter((e) => e.target === target);
}

describe('accounts: add gives its role, even to someone who never joined', { timeout: scaled(60000) }, () => {
  test('an observer added before joining is an observer: ok, member event, members, joined, send refused, audit', async () => {
    const room = await ownersRoom();
    const obs = await newcomer();
    const added = await owner.request({ type: 'add', room, user: obs.user.id, role: 'observer' });
    assert.equal(added.type, 'ok', JSON.stringify(added));
    const event = await owner.next((f) => f.type === 'member' && f.room === room && f.member.user.id === obs.user.id);
    assert.equal(event.event, 'add');
    assert.equal(event.member.role, 'observer');
    assert.equal((await memberOf(owner, room, obs.user.id)).role, 'observer');
    const joined = await obs.join(room);
    assert.deepEqual(joined.you, { role: 'observer' });
    await expectError(obs, { type: 'send', room, text: 'may I?' }, 'forbidden');
    const [audited] = await auditOf(obs.user.id);
    assert.equal(audited.action, 'member_added');
    assert.equal(audited.detail, `room ${room} as observer`);
    assert.equal(audited.actor.id, owner.user.id);

    // Added again as member: one role change, audited once; now they speak.
    assert.equal((await owner.request({ type: 'add', room, user: obs.user.id, role: 'member' })).type, 'ok');
    assert.equal((await memberOf(owner, room, obs.user.id)).role, 'member');
    await obs.say(room, 'thank you');
    const changes = (await auditOf(obs.user.id)).filter((e) => e.action === 'role_changed');
    assert.deepEqual(changes.map((e) => e.detail), [`room ${room} now member`]);
  });

  test('a facilitator added before joining leads: same organisation, and another one with a reason', async () => {
    const room = await ownersRoom();
    const colleague = await newcomer();
    const outsider = await newcomer('police');
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id, role: 'facilitator' })).type, 'ok');
    const across = await owner.request({
      type: 'add', room, user: outsider.user.id, role: 'facilitator', reason: 'Lead officer for the case',
    });
    assert.equal(across.type, 'ok', JSON.stringify(across));
    const listed = await memberOf(owner, room, outsider.user.id);
    assert.equal(listed.role, 'facilitator');
    assert.equal(listed.sponsor.id, owner.user.id);
    assert.equal(listed.reason, 'Lead officer for the case');
    assert.equal((await memberOf(owner, room, colleague.user.id)).role, 'facilitator');
    for (const [who, detail] of [
      [colleague, `room ${room} as facilitator`],
      [outsider, `room ${room} as facilitator, sponsor Fiona Reid (council), reason: Lead officer for the case`],
    ]) {
      assert.deepEqual((await who.join(room)).you, { role: 'facilitator' });
      const [audited] = await auditOf(who.user.id);
      assert.equal(audited.action, 'member_added');
      assert.equal(audited.detail, detail);
    }
    // They lead: the lock and roles are theirs to give.
    assert.equal((await outsider.request({ type: 'lock', room, locked: true })).type, 'ok');
    await colleague.say(room, 'facilitators speak in a locked room');
    const late = await newcomer();
    assert.equal((await colleague.request({ type: 'add', room, user: late.user.id, role: 'observer' })).type, 'ok');
    assert.equal((await memberOf(owner, room, late.user.id)).role, 'observer');
  });

  test('a refused add changes nothing: no member, no role, no event', async () => {
    const room = await ownersRoom({});
    const outsider = await newcomer('police');
    await expectError(owner, { type: 'add', room, user: outsider.user.id, role: 'observer' }, 'bad_request');
    await expectError(owner, { type: 'add', room, user: owner.user.id, role: 'observer' }, 'bad_request');
    assert.equal(await memberOf(owner, room, outsider.user.id), undefined);
    await owner.expectNone((f) => f.type === 'member' && f.room === room);
    // It was refused, not half done: joining the open room makes them a plain member.
    assert.deepEqual((await outsider.join(room)).you, { role: 'member' });
    assert.deepEqual((await auditOf(outsider.user.id)).filter((e) => ['member_added', 'role_changed'].includes(e.action)), []);
  });
});

describe('accounts: an invitation into a room gives its role there', { timeout: scaled(60000) }, () => {
  test('invited as observer (a guest) or facilitator (a colleague): the first join has that role, and it holds', async () => {
    await suite.org('resident', 'Residents');
    const room = await ownersRoom();
    const guest = await suite.person(owner, 'Ria Resident', { org: 'resident', room, guest: true, role: 'observer' });
    const lead = await suite.person(owner, 'Lee Lead', { org: 'council', room, role: 'facilitator' });
    assert.equal((await memberOf(owner, room, guest.user.id)).role, 'observer');
    const watching = await guest.join(room);
    assert.deepEqual(watching.you, { role: 'observer' });
    await expectError(guest, { type: 'send', room, text: 'hello?' }, 'forbidden');
    const leading = await lead.join(room);
    assert.deepEqual(leading.you, { role: 'facilitator' });
    assert.equal((await lead.request({ type: 'lock', room, locked: true })).type, 'ok');
    // The session names the owner who gave it, and lists the new roles.
    const roles = Object.fromEntries(leading.session.roles.map((r) => [r.user.id, [r.user.name, r.role]]));
    assert.deepEqual(roles[owner.user.id], ['Fiona Reid', 'owner']);
    assert.deepEqual(roles[guest.user.id], ['Ria Resident', 'observer']);
    assert.deepEqual(roles[lead.user.id], ['Lee Lead', 'facilitator']);
    // A role changed since is not given back on the next join.
    assert.equal((await owner.request({ type: 'role', room, user: lead.user.id, role: 'member' })).type, 'ok');
    await lead.expectReply({ type: 'leave', room }, 'left');
    assert.deepEqual((await lead.join(room)).you, { role: 'member' });
  });
});

describe('accounts: role changes made with the role frame are audited', { timeout: scaled(60000) }, () => {
  test('role_changed for each change (actor, target, the new role); nothing for a role unchanged', async () => {
    const room = await ownersRoom();
    const colleague = await newcomer();
    await colleague.join(room);
    assert.equal((await owner.request({ type: 'role', room, user: colleague.user.id, role: 'facilitator' })).type, 'ok');
    assert.equal((await owner.request({ type: 'role', room, user: colleague.user.id, role: 'facilitator' })).type, 'ok');
    assert.equal((await owner.request({ type: 'role', room, user: colleague.user.id, role: 'observer' })).type, 'ok');
    const changes = (await auditOf(colleague.user.id)).filter((e) => e.action === 'role_changed');
    assert.deepEqual(changes.map((e) => e.detail), [`room ${room} now observer`, `room ${room} now facilitator`]);
    for (const change of changes) assert.equal(change.actor.id, owner.user.id);
    // The membership follows: members and a later add see the role the room has.
    assert.equal((await memberOf(owner, room, colleague.user.id)).role, 'observer');
    await expectError(colleague, { type: 'send', room, text: 'hello?' }, 'forbidden');
    assert.equal((await owner.request({ type: 'add', room, user: colleague.user.id, role: 'observer' })).type, 'ok');
    assert.equal((await auditOf(colleague.user.id)).filter((e) => e.action === 'role_changed').length, 2);
  });

  test('a member added who has not joined yet can be given a role with the role frame too', async () => {
    const room = await ownersRoom({});
    const person = await newcomer();
    assert.equal((await owner.request({ type: 'add', room, user: person.user.id })).type, 'ok');
    assert.equal((await owner.request({ type: 'role', room, user: person.user.id, role: 'facilitator' })).type, 'ok');
    assert.deepEqual((await person.join(room)).you, { role: 'facilitator' });
    const [changed] = (await auditOf(person.user.id)).filter((e) => e.action === 'role_changed');
    assert.equal(changed.detail, `room ${room} now facilitator`);
    // Someone who is neither a participant nor a member is still unknown to the room.
    const stranger = await newcomer();
    await expectError(owner, { type: 'role', room, user: stranger.user.id, role: 'observer' }, 'not_found');
  });
});

describe('accounts: a blank reason is no reason', { timeout: scaled(60000) }, () => {
  test('blank reasons are refused with bad_request and change nothing; a reason is kept without surrounding blanks', async () => {
    const room = await ownersRoom();
    await owner.request({ type: 'room', room, visibility: 'private' });
    const outsider = await newcomer('police');
    const colleague = await newcomer();
    for (const reason of [' ', '   ', '\t\n ', '\u00a0\u3000', '\u200b \ufeff']) {
      const refused = await expectError(owner, { type: 'add', room, user: outsider.user.id, reason }, 'bad_request');
      assert.match(refused.message, /blank/);
      // Not for someone of the room's own organisation either: a blank reason is never recorded.
      await expectError(owner, { type: 'add', room, user: colleague.user.id, reason }, 'bad_request');
    }
    assert.equal(await memberOf(owner, room, outsider.user.id), undefined);
    assert.equal(await memberOf(owner, room, colleague.user.id), undefined);
    await expectError(outsider, { type: 'join', room }, 'not_found');

    assert.equal((await owner.request({ type: 'add', room, user: outsider.user.id, reason: '  Duty inspector \n' })).type, 'ok');
    const listed = await memberOf(owner, room, outsider.user.id);
    assert.equal(listed.reason, 'Duty inspector');
    const [audited] = await auditOf(outsider.user.id);
    assert.match(audited.detail, /reason: Duty inspector$/);
    const md = (await owner.expectReply({ type: 'export', room }, 'export')).markdown;
    assert.match(md, /let in by Fiona Reid .*: Duty inspector\n/);
  });
});
