// Accounts mode: the live room list and mentions respect who may see a room (access.md). A private
// room's changes reach its members only; a guest hears of their own room only; a room made private
// is dropped from others' lists, and nobody outside learns a private room's id; a person removed
// from a private room is no longer told of mentions there; topics and read markers of a hidden room
// answer as for no room.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountsServerForFile } from '../lib/accounts.mjs';
import { uniqueId } from '../lib/client.mjs';
import { expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';

const suite = accountsServerForFile({ prepare });
let owner;      // council, owns the rooms
let colleague;  // council, not a member of the private room
let member;     // police, added to the private room
let guest;      // resident, invited into the private room only

async function prepare() {
  const { admin } = suite;
  await suite.org('police', 'Essex Police');
  await suite.org('resident', 'Residents');
  owner = await suite.person(admin, 'Fiona Reid', { org: 'council' });
  colleague = await suite.person(admin, 'Colin Colleague', { org: 'council' });
  member = await suite.person(admin, 'Priya Police', { org: 'police' });
  // room_list events go to connections that have listed rooms (protocol/README.md).
  for (const person of [colleague, member]) await person.request({ type: 'rooms' });
}

const listEvent = (id) => (f) => f.type === 'room_list' && f.room?.id === id;
const ok = async (client, frame) => assert.equal((await client.request(frame)).type, 'ok', JSON.stringify(frame));

describe('accounts: room list events and mentions follow access', { timeout: scaled(60000) }, () => {
  test('private rooms reach members only; a room made private is dropped by the others; guests hear of their room only', async () => {
    const room = uniqueId('priv');
    await owner.create(room, { title: 'Safeguarding case' });
    // Open at first: everyone who is signed in hears of it.
    await colleague.next(listEvent(room));
    await member.next(listEvent(room));
    await ok(owner, { type: 'room', room, visibility: 'private' });
    const dropped = await colleague.next(listEvent(room));
    assert.deepEqual(dropped, { type: 'room_list', event: 'remove', room: { id: room } });
    await ok(owner, { type: 'add', room, user: member.user.id, reason: 'Police lead on the case' });
    guest = await suite.person(owner, 'Rita Resident', { org: 'resident', room, guest: true });
    await guest.request({ type: 'rooms' });

    // A change of the private room: its members (and the guest in it) hear of it; nobody else does,
    // not even its id.
    await ok(owner, { type: 'room', room, title: 'Safeguarding case 2' });
    assert.equal((await member.next((f) => listEvent(room)(f) && f.room.title === 'Safeguarding case 2')).event, 'upsert');
    assert.equal((await guest.next(listEvent(room))).room.title, 'Safeguarding case 2');
    await colleague.expectNone(listEvent(room), scaled(300));

    // An open room: non-guests hear of it, the guest does not.
    const open = uniqueId('open');
    await owner.create(open, { title: 'Open forum' });
    await colleague.next(listEvent(open));
    await guest.expectNone(listEvent(open), scaled(300));

    // Topics and read markers of the private room: not_found for the colleague, as for no room.
    await expectError(colleague, { type: 'topics', room }, 'not_found');
    await expectError(colleague, { type: 'read', room, seq: 1 }, 'not_found');
    await expectError(colleague, { type: 'history', room, topic: 'general' }, 'not_found');
  });

  test('a mention reaches a member, and no longer once they are removed', async () => {
    const room = uniqueId('mention');
    await owner.create(room, { title: 'Case review' });
    await ok(owner, { type: 'room', room, visibility: 'private' });
    await ok(owner, { type: 'add', room, user: member.user.id, reason: 'Police lead' });
    await owner.join(room);
    await member.join(room);
    await member.expectReply({ type: 'leave', room }, 'left');
    await owner.expectReply({ type: 'send', room, text: '@Priya Police please review' }, 'sent');
    assert.equal((await member.next((f) => f.type === 'mention' && f.room === room)).from.id, owner.user.id);
    await ok(owner, { type: 'remove', room, user: member.user.id });
    await owner.expectReply({ type: 'send', room, text: '@Priya Police are you still there?' }, 'sent');
    await member.expectNone((f) => f.type === 'mention' && f.room === room, scaled(500));
  });
});
