// Edit, delete, moderation with a reason, and search, in the reference web client in a real
// Chromium: a member corrects and deletes her own messages, the room's owner removes one with a
// reason, both pages show the marks live, and the owner searches the room.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WAIT, WEB_ROOT, joinRoom, launchBrowser, send, waitForText } from '../lib/browser.mjs';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { UNTHROTTLED, startServer } from '../lib/server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ nodeId: 'web-edits', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const item = (page, text) => page.locator('#message-list li.msg[data-seq]', { hasText: text });

test('edit and delete own messages, remove with a reason as owner, search the room', async () => {
  const room = uniqueId('webedit');
  // The owner's protocol client creates the room; open mode gives the page the same user.
  const creator = await connectAs(server.wsUrl, 'Olive Owner', 'essex-cc');
  await creator.create(room);
  await creator.close();
  const owner = await browser.openPerson({ url: `${server.url}/`, name: 'Olive Owner', org: 'essex-cc' });
  const member = await browser.openPerson({ url: `${server.url}/`, name: 'Mia Member', org: 'nhs-trust' });
  await joinRoom(owner.page, room);
  await joinRoom(member.page, room);

  await send(member.page, 'Teh budget plan');
  await send(member.page, 'my number is 07000 000000');
  await send(member.page, 'something off topic');
  await waitForText(owner.page, 'something off topic');

  // Edit: only one's own messages offer it.
  assert.equal(await item(owner.page, 'Teh budget plan').getByRole('button', { name: /^Edit/ }).count(), 0);
  const first = item(member.page, 'Teh budget plan');
  await first.hover();
  await first.getByRole('button', { name: /^Edit/ }).click();
  await first.locator('textarea').fill('The budget plan');
  await first.getByRole('button', { name: 'Save' }).click();
  await waitForText(owner.page, 'The budget plan');
  await item(owner.page, 'The budget plan').locator('.msg-edited').waitFor({ timeout: WAIT });
  await waitForText(member.page, 'The budget plan');

  // Delete: a tombstone for everyone.
  const second = item(member.page, '07000');
  await second.hover();
  await second.getByRole('button', { name: /^Delete/ }).click();
  await second.getByRole('button', { name: 'Delete', exact: true }).click();
  await waitForText(owner.page, 'Message deleted by its author');
  await waitForText(member.page, 'Message deleted by its author');

  // Remove with a reason: the owner may, the member sees why.
  assert.equal(await item(member.page, 'something off topic').getByRole('button', { name: /^Remove/ }).count(), 0);
  const third = item(owner.page, 'something off topic');
  await third.hover();
  await third.getByRole('button', { name: /^Remove/ }).click();
  await third.getByRole('button', { name: 'Remove', exact: true }).click();
  await third.locator('.field-error').waitFor({ timeout: WAIT });  // a reason is needed
  await third.locator('input.msg-inline-input').fill('Off topic: see the transport room');
  await third.getByRole('button', { name: 'Remove', exact: true }).click();
  const removed = 'Removed by Olive Owner (essex-cc): Off topic: see the transport room';
  await waitForText(member.page, removed);
  await waitForText(owner.page, removed);

  // Made a facilitator, the member may remove messages too, without reloading.
  const ownerMessage = 'a note from the owner';
  await send(owner.page, ownerMessage);
  await waitForText(member.page, ownerMessage);
  assert.equal(await item(member.page, ownerMessage).getByRole('button', { name: /^Remove/ }).count(), 0);
  const ownerClient = await connectAs(server.wsUrl, 'Olive Owner', 'essex-cc');
  await ownerClient.join(room);
  const memberUser = (await ownerClient.expectReply({ type: 'history', room }, 'history')).messages
    .find((m) => m.from.name === 'Mia Member').from;
  await ownerClient.expectReply({ type: 'role', room, user: memberUser.id, role: 'facilitator' }, 'ok');
  await ownerClient.close();
  await item(member.page, ownerMessage).getByRole('button', { name: /^Remove/ }).waitFor({ state: 'attached', timeout: WAIT });

  // Search: newest first, deleted messages never found.
  await owner.page.click('#search-button');
  await owner.page.fill('#search-input', 'budget');
  await owner.page.press('#search-input', 'Enter');
  await owner.page.locator('#search-results li', { hasText: 'The budget plan' }).waitFor({ timeout: WAIT });
  await owner.page.fill('#search-input', '07000');
  await owner.page.press('#search-input', 'Enter');
  await owner.page.waitForFunction(() => /Nothing found/.test(document.getElementById('search-status').textContent),
    null, { timeout: WAIT });

  // After a reload the marks come from history.
  await member.page.reload();
  await joinRoom(member.page, room);
  await waitForText(member.page, removed);
  await item(member.page, 'The budget plan').locator('.msg-edited').waitFor({ timeout: WAIT });
  for (const person of [owner, member]) assert.deepEqual(person.problems, []);
});
