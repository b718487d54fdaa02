// Edits, removal and search in accounts mode (access.md): a private room's messages are not
// searched, caught up with or changed by outsiders (not_found, as if it did not exist); a guest
// corrects and deletes her own messages but removes nobody's; a removal is in the audit log.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountsServerForFile } from '../lib/accounts.mjs';
import { uniqueId } from '../lib/client.mjs';
import { expectError } from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';

const suite = accountsServerForFile({ prepare });
let owner;
let outsider;
let guest;
let room;

async function prepare() {
  const { admin } = suite;
  await suite.org('police', 'Essex Police', ['essex.police.uk']);
  await suite.org('resident', 'Residents');
  owner = await suite.person(admin, 'Fiona Reid', { org: 'council' });
  assert.equal((await admin.request({ type: 'org_admin', user: owner.user.id, admin: true })).type, 'ok');
  outsider = await suite.person(admin, 'Priya Police', { org: 'police' });
  room = uniqueId('priv');
  await owner.create(room, { title: 'Safeguarding case' });
  assert.equal((await owner.request({ type: 'room', room, visibility: 'private' })).type, 'ok');
  guest = await suite.person(owner, 'Rita Resident', { org: 'resident', room, guest: true });
}

describe('accounts: edits, removal and search', { timeout: scaled(60000) }, () => {
  test('outsiders cannot search, catch up with or change a private room; a guest edits and deletes her own only', async () => {
    await owner.join(room);
    await guest.join(room);
    const said = await guest.say(room, 'My adress is 1 High Street');
    const other = await owner.say(room, 'Thank you, noted');
    await expectError(outsider, { type: 'search', room, query: 'adress' }, 'not_found');
    await expectError(outsider, { type: 'changes', room, since: 0 }, 'not_found');
    await expectError(outsider, { type: 'edit', room, seq: said.seq, text: 'x' }, 'forbidden');
    await expectError(outsider, { type: 'remove_message', room, seq: said.seq, reason: 'x' }, 'forbidden');
    await expectError(guest, { type: 'remove_message', room, seq: other.seq, reason: 'no' }, 'forbidden');
    await expectError(guest, { type: 'edit', room, seq: other.seq, text: 'no' }, 'forbidden');
    const edited = await guest.expectReply({ type: 'edit', room, seq: said.seq, text: 'My address is 1 High Street' }, 'changed');
    assert.equal(edited.message.from.guest, true);
    const found = await guest.expectReply({ type: 'search', room, query: 'address' }, 'found');
    assert.deepEqual(found.messages.map((m) => m.seq), [said.seq]);
    await guest.expectReply({ type: 'delete', room, seq: said.seq }, 'changed');
    const empty = await owner.expectReply({ type: 'search', room, query: 'address' }, 'found');
    assert.deepEqual(empty.messages, []);
  });

  test('a removal is in the audit log with its reason', async () => {
    const sent = await guest.say(room, 'something to remove');
    await owner.expectReply({ type: 'remove_message', room, seq: sent.seq, reason: 'Personal data of a third party' }, 'changed');
    const audit = await suite.admin.expectReply({ type: 'audit', limit: 50 }, 'audit');
    const entry = audit.events.find((e) => e.action === 'message_removed' && e.target === `${room}#${sent.seq}`);
    assert.ok(entry, JSON.stringify(audit.events.slice(0, 5)));
    assert.equal(entry.detail, 'Personal data of a third party');
    assert.equal(entry.actor.id, owner.user.id);
  });
});
