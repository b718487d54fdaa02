// A working group lives in OutLoud (issue 9, "What it must show"), in real Chromium against the real
// server: Paul (essex-cc, the rooms' owner) and Nadia (nhs-mse) at their desks, Tom (uni-essex) on a
// 390 px phone. The live room list with same-titled rooms told apart; topics as threads (open one to
// read and write just it) with unread counts per topic; unread counts per room and in the tab title;
// a mention that raises a browser notification while the page is hidden (the permission granted in
// the context, the Notification constructor observed) and the names offered for "@…"; edit (Enter
// saves, Escape cancels), delete, removal by the owner with a
// reason that goes on the record; search; a safe clickable link, right-to-left text, a long message
// folded; the phone with its own name and sign-out, and a mention kept for him while signed out
// that he finds at his desk. axe-core on the topic list and thread, the
// search results and the phone; screenshots go to SCREENSHOTS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  WAIT, WEB_ROOT, assertInView, createRoom, joinRoom, launchBrowser, saveScreenshot, send, signIn, until, untilText, waitForText,
} from '../lib/browser.mjs';
import { assertAccessible } from '../lib/a11y.mjs';
import { connectAs } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const GROUP = 'working-group';
const OTHER = 'working-group-2023';  // the same title: told apart by more than the title

let server;
let browser;

before(async () => {
  server = await startServer({ nodeId: 'working-group', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Records every Notification the page makes, and lets the test hide the page.
function observeNotifications() {
  window.__notifications = [];
  const Native = window.Notification;
  window.Notification = class ObservedNotification extends Native {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: options && options.body });
    }
  };
  let hidden = false;
  Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { get: () => hidden });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

const roomItem = (id) => `#room-list li[data-room="${id}"]`;
const item = (page, text) => page.locator('#message-list li.msg[data-seq]', { hasText: text });

/** Sends from the composer in `topic` and waits until it shows. */
async function sendIn(page, topic, text) {
  await page.fill('#topic-input', topic);
  await send(page, text);
}

/** A message's own action (Edit, Delete, Remove), from its hover toolbar. */
async function messageAction(page, text, action) {
  const li = item(page, text);
  await li.hover();
  await li.getByRole('button', { name: new RegExp(`^${action}`) }).click();
  return li;
}

test('a working group of three organisations: topics, unread, a mention, edit, delete, removal, search, links, a phone', { timeout: scaled(180000) }, async () => {
  const started = Date.now();
  const desk = (name, org, extra = {}) => browser.openPerson({ url: `${server.url}/`, name, org, viewport: DESKTOP, ...extra });
  const [nadia, paul] = await Promise.all([
    desk('Nadia Shah', 'nhs-mse', { contextOptions: { permissions: ['notifications'] }, initScript: observeNotifications }),
    desk('Paul Ashworth', 'essex-cc', { contextOptions: { acceptDownloads: true } }),
  ]);
  const N = nadia.page;
  const P = paul.page;
  assert.equal(await N.evaluate(() => Notification.permission), 'granted');
  assert.notEqual(await P.evaluate(() => document.activeElement.tagName), 'BODY', 'focus goes on after signing in');

  // ---- Paul opens two rooms of one title: they reach Nadia's list live, told apart -------------
  await createRoom(P, { title: 'Working group', id: OTHER });
  await createRoom(P, { title: 'Working group', id: GROUP });
  await P.waitForFunction(() => document.activeElement?.id === 'composer-text', null, { timeout: WAIT })
    .catch(() => assert.fail('focus goes to the message box after creating a room'));
  for (const id of [OTHER, GROUP]) await N.waitForSelector(roomItem(id), { timeout: scaled(5000) });
  assert.match(await N.textContent(`${roomItem(GROUP)} .room-sub`), new RegExp(`${GROUP}.*essex-cc`));
  const accessibleNames = await N.$$eval('#room-list .room-button', (bs) => bs.map((b) => b.getAttribute('aria-label') || b.textContent));
  assert.equal(new Set(accessibleNames).size, 2, `rooms of one title have distinct accessible names: ${accessibleNames.join(' / ')}`);

  // ---- topics: Paul writes in two; Nadia's unread count comes from the server's markers --------
  await sendIn(P, 'budget', 'Budget line one');
  await sendIn(P, 'parking', 'Parking first');
  await sendIn(P, 'budget', 'Budget line two');
  // Nadia has not joined: the count of a room she does not follow comes with the room list.
  await N.click('#refresh-rooms');
  await untilText(N, `${roomItem(GROUP)} .unread`, '3');
  assert.equal(await N.title(), 'OutLoud', 'the tab title counts only the rooms the person follows');
  await joinRoom(N, GROUP);
  await until(N, 'reading the room clears its badge', (id) => !document.querySelector(`#room-list li[data-room="${id}"] .unread`), GROUP);
  await until(N, 'the tab title has no count', () => !document.title.startsWith('('));

  // The topic list with counts; one topic opened reads and writes just it.
  await N.click('#topics-button');
  await untilText(N, '#topic-list li[data-topic="budget"] .topic-count', '2 messages');
  await N.click('#topic-list li[data-topic="budget"] button');
  await until(N, 'the budget thread shows its two messages', () => document.querySelectorAll('#thread-list li.msg[data-seq]').length === 2);
  assert.deepEqual(await N.$$eval('#thread-list li.msg .msg-text', (ps) => ps.map((p) => p.textContent)), ['Budget line one', 'Budget line two']);
  assert.ok(await N.isHidden('#messages'), 'the whole room is out of the way while a topic is open');
  await N.fill('#composer-text', 'A reply in the budget thread');
  await N.press('#composer-text', 'Enter');
  await until(N, 'the reply joins the thread', () => document.querySelectorAll('#thread-list li.msg[data-seq]').length === 3);
  await waitForText(P, 'A reply in the budget thread');
  assert.equal(await item(P, 'A reply in the budget thread').locator('.topic-chip').textContent(), '#budget');

  // Unread per topic: what arrives in another topic while Nadia reads this one stays unread there.
  await sendIn(P, 'parking', 'Parking second');
  await sendIn(P, 'parking', 'Parking third');
  // What one wrote oneself is not unread, also when the topic list is opened at once after.
  await P.click('#topics-button');
  await untilText(P, '#topic-list li[data-topic="parking"] .topic-count', '3 messages');
  assert.equal(await P.locator('#topic-list .unread').count(), 0, 'the writer has nothing unread in the topics they wrote in');
  await P.click('#topics-button');
  await N.click('#topics-button');
  await untilText(N, '#topic-list li[data-topic="parking"] .unread', '2 unread');
  assert.equal(await N.locator('#topic-list li[data-topic="budget"] .unread').count(), 0, 'the open topic is read');
  await N.getByRole('button', { name: '# parking 3 messages 2 unread' }).waitFor({ timeout: WAIT });
  await assertAccessible(N, 'the topic list');
  await saveScreenshot(N, 'working-group-01-topics');
  await N.click('#topic-list li[data-topic="budget"] button');
  await until(N, 'the thread is open again', () => document.querySelectorAll('#thread-list li.msg[data-seq]').length === 3);
  await assertAccessible(N, 'a topic open');
  await saveScreenshot(N, 'working-group-02-thread');
  await N.click('#thread-close');
  await waitForText(N, 'Parking third');  // all messages again: the room is read
  assert.equal(await N.$$eval('#message-list li.msg[data-seq]', (l) => l.length), 6);

  // ---- unread per room and in the tab title; a mention while the page is hidden -----------------
  await joinRoom(N, OTHER);
  await send(P, 'While you were away');
  await untilText(N, `${roomItem(GROUP)} .unread`, '1');
  await until(N, 'the tab title counts one unread', () => document.title.startsWith('(1) '));
  await N.evaluate(() => window.__setHidden(true));
  await sendIn(P, 'budget', '@Nadia Shah can you check the numbers?');
  await until(N, 'a notification is raised', () => window.__notifications.length === 1);
  const [note] = await N.evaluate(() => window.__notifications);
  assert.equal(note.title, 'Paul Ashworth mentioned you in Working group');
  assert.match(note.body, /can you check the numbers/);
  await until(N, 'the tab title counts the mention', () => /^\(2 · @1\) /.test(document.title));
  await N.waitForSelector(`${roomItem(GROUP)} .mention-badge`, { timeout: WAIT });
  await N.evaluate(() => window.__setHidden(false));
  await joinRoom(N, GROUP);
  await until(N, 'the title is clear once the room is read', () => !document.title.startsWith('('));

  // "@" and a few letters offer the room's people: only a whole name ("@Nadia Shah") tells anyone.
  await P.fill('#composer-text', '');
  await P.type('#composer-text', 'Thanks @nad');
  await untilText(P, '#mention-list li[role="option"]', 'Nadia Shah');
  assert.equal(await P.getAttribute('#composer-text', 'aria-activedescendant'), 'mention-option-0');
  await assertAccessible(P, 'mention suggestions');
  await P.press('#composer-text', 'Enter');  // picks the name rather than sending
  assert.equal(await P.inputValue('#composer-text'), 'Thanks @Nadia Shah ');
  assert.ok(await P.isHidden('#mention-list'), 'the list closes once a name is picked');
  await P.type('#composer-text', 'for checking');
  await P.press('#composer-text', 'Enter');
  await waitForText(N, 'Thanks @Nadia Shah for checking');
  // The message that names her stands out for her (only): found again when she comes back to the room.
  assert.equal(await item(N, 'Thanks @Nadia Shah for checking').getAttribute('class').then((c) => c.includes('msg--mentions-me')), true);
  assert.equal(await item(N, 'Thanks @Nadia Shah for checking').locator('.mention-tag').textContent(), 'Mentions you');
  assert.equal(await item(P, 'Thanks @Nadia Shah for checking').locator('.mention-tag').count(), 0, 'not for its author');

  // ---- edit and delete one's own; the owner removes with a reason -------------------------------
  await send(N, 'Teh budget plan');
  await send(N, 'my number is 07000 000000');
  await send(N, 'something off topic');
  await waitForText(P, 'something off topic');
  assert.equal(await item(P, 'Teh budget plan').getByRole('button', { name: /^Edit/ }).count(), 0, 'only one\'s own messages offer Edit');
  // Enter saves an edit, as it sends from the message box (it made a new line, and only Save saved).
  const first = await messageAction(N, 'Teh budget plan', 'Edit');
  await first.locator('textarea').fill('The budget plan');
  await first.locator('textarea').press('Enter');
  await waitForText(P, 'The budget plan');
  await item(P, 'The budget plan').locator('.msg-edited').waitFor({ timeout: WAIT });
  await until(N, 'the focus goes back to the message box after saving', () => document.activeElement?.id === 'composer-text');
  // Escape closes an edit unsaved, and the focus goes back to the Edit button rather than the page.
  const cancelled = await messageAction(N, 'something off topic', 'Edit');
  await cancelled.locator('textarea').fill('not meant');
  await cancelled.locator('textarea').press('Escape');
  assert.equal(await cancelled.locator('.msg-inline-form').count(), 0, 'Escape closes the edit');
  assert.equal(await cancelled.locator('.msg-text').textContent(), 'something off topic');
  assert.match(await N.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^Edit your message/);
  // Delete asks in words one can see, with the focus on its button (the question was a hidden field's label).
  const second = await messageAction(N, '07000', 'Delete');
  assert.equal(await second.locator('.msg-inline-question').textContent(), 'Delete this message for everyone?');
  assert.equal(await N.evaluate(() => document.activeElement?.textContent), 'Delete', 'the focus is on Delete');
  await N.keyboard.press('Enter');
  await waitForText(P, 'Message deleted by its author');
  await waitForText(N, 'Message deleted by its author');
  assert.equal(await item(N, 'something off topic').getByRole('button', { name: /^Remove/ }).count(), 0, 'a member may not remove');
  const third = await messageAction(P, 'something off topic', 'Remove');
  await third.getByRole('button', { name: 'Remove', exact: true }).click();
  await third.locator('.field-error').waitFor({ timeout: WAIT });  // a reason is needed
  await third.locator('input.msg-inline-input').fill('Off topic: see the transport room');
  await third.getByRole('button', { name: 'Remove', exact: true }).click();
  const removed = 'Removed by Paul Ashworth (essex-cc): Off topic: see the transport room';
  await waitForText(N, removed);
  await waitForText(P, removed);

  // Made a facilitator (here by Paul's own protocol client), Nadia may remove too, without reloading.
  const paulClient = await connectAs(server.wsUrl, 'Paul Ashworth', 'essex-cc');
  await paulClient.join(GROUP);
  const nadiaUser = (await paulClient.expectReply({ type: 'history', room: GROUP }, 'history')).messages
    .find((m) => m.from.name === 'Nadia Shah').from;
  await paulClient.expectReply({ type: 'role', room: GROUP, user: nadiaUser.id, role: 'facilitator' }, 'ok');
  await paulClient.close();
  await item(N, 'While you were away').getByRole('button', { name: /^Remove/ }).waitFor({ state: 'attached', timeout: WAIT });

  // ---- a safe link, right-to-left text, a long message folded ------------------------------------
  const linkText = 'Minutes at https://example.org/minutes?week=4. Not a link: javascript:alert(1) nor data:text/html,x';
  await send(P, linkText);
  await waitForText(N, linkText);
  const links = await N.$$eval('#message-list li.msg[data-seq] .msg-text a', (as) => as.map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target })));
  assert.deepEqual(links, [{ href: 'https://example.org/minutes?week=4', rel: 'noopener noreferrer', target: '_blank' }]);
  const arabic = 'مرحبا من الشرطة';
  await send(N, arabic);
  assert.equal(await N.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getAttribute('dir')), 'auto');
  const long = Array.from({ length: 400 }, (_, i) => `Line ${i + 1} of the long report.`).join(' ').slice(0, 16000);
  await send(N, long);
  const folded = await N.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getBoundingClientRect().height);
  assert.ok(folded < 300, `a 16,000-character message is folded: ${folded} px`);
  await N.click('#message-list li.msg:last-child .msg-fold');
  assert.equal(await N.getAttribute('#message-list li.msg:last-child .msg-fold', 'aria-expanded'), 'true');
  assert.ok((await N.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getBoundingClientRect().height)) > folded * 2, 'show more unfolds it');
  await saveScreenshot(N, 'working-group-03-room');

  // ---- search: newest first, deleted and removed messages never found ---------------------------
  await P.click('#search-button');
  await P.fill('#search-input', 'budget');
  await P.press('#search-input', 'Enter');
  await P.locator('#search-results li', { hasText: 'The budget plan' }).waitFor({ timeout: WAIT });
  const found = await P.$$eval('#search-results li .search-result-text', (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(found, ['The budget plan', 'A reply in the budget thread', 'Budget line two', 'Budget line one']);
  await assertAccessible(P, 'search results');
  await saveScreenshot(P, 'working-group-04-search');
  await P.fill('#search-input', '07000');
  await P.press('#search-input', 'Enter');
  await untilText(P, '#search-status', 'Nothing found');

  // ---- the record shows the removal with its reason, the deletion and the edit ------------------
  await P.click('#search-button');
  const record = await P.evaluate(async (room) => (await fetch(`/api/rooms/${room}/export.md`)).text(), GROUP);
  assert.match(record, /Removed by Paul Ashworth \(essex-cc\) on [^\n]*Reason: Off topic: see the transport room/);
  assert.match(record, /Deleted by its author on/);
  assert.match(record, /· edited [^\n]*\n+> The budget plan\n/);
  assert.ok(!record.includes('07000'), 'a deleted message\'s text is gone from the record');
  assert.ok(!record.includes('something off topic'), 'a removed message\'s text is gone from the record');

  // A room id that leads nowhere says so by the field; the room on screen, and its address, stay.
  await N.fill('#join-id', 'no-such-room');
  await N.click('#join-form button[type="submit"]');
  await untilText(N, '#join-error', 'There is no room “no-such-room” that you can join');
  assert.equal(await N.textContent('#room-id'), GROUP);
  assert.equal(await N.evaluate(() => location.hash), `#/room/${GROUP}`, 'a reload opens the room on screen, not the one that failed');

  // After a reload the marks come from history.
  await N.reload();
  await joinRoom(N, GROUP);
  await waitForText(N, removed);
  await item(N, 'The budget plan').locator('.msg-edited').waitFor({ timeout: WAIT });

  // ---- Tom on a 390 px phone: 16 px fields, his own name, the tags, sign-out --------------------
  const tom = await browser.openPage({ url: `${server.url}/`, name: 'Tom Bell', viewport: PHONE });
  const T = tom.page;
  await T.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT });
  assert.equal(await T.textContent('#signin-view h1'), 'Sign in to OutLoud');
  for (const s of ['#signin-name', '#signin-org']) {
    assert.equal(await T.$eval(s, (n) => getComputedStyle(n).fontSize), '16px', `${s} is 16 px on a phone`);
  }
  await assertAccessible(T, 'sign-in on a phone');
  await saveScreenshot(T, 'working-group-05-phone-signin');
  await signIn(T, 'Tom Bell', 'uni-essex');
  // The welcome said "pick a room on the left", where a phone shows none: it has a button to the list.
  assert.doesNotMatch(await T.textContent('#empty-text'), /on the left/);
  await assertInView(T, '#empty-show-rooms', 'on a phone with no room open');
  await T.click('#empty-show-rooms');
  await T.waitForSelector('#rooms-panel.is-open', { timeout: WAIT });
  await T.keyboard.press('Escape');
  await T.evaluate((room) => { location.hash = `#/room/${room}`; }, GROUP);
  await untilText(T, '#room-id', GROUP);
  assert.equal(await T.$eval('#room-title', (n) => n.scrollWidth <= n.clientWidth), true, 'the room title shows whole on a phone');
  for (const s of ['#me-name', '#me-org', '#signout', '#composer-text']) await assertInView(T, s, 'on a phone');
  assert.equal(await T.textContent('#me-name'), 'Tom Bell');
  assert.equal(await T.textContent('#me-org'), 'uni-essex');
  for (const s of ['#composer-text', '#topic-input']) {
    assert.equal(await T.$eval(s, (n) => getComputedStyle(n).fontSize), '16px', `${s} is 16 px on a phone`);
  }
  await T.click('label[for="tag-share"]');
  await assertInView(T, 'label[for="tag-share"]', 'when chosen on a phone');
  await assertInView(T, 'label[for="tag-reflect"]', 'on a phone');
  await send(T, 'From the university: we can host the next meeting.');
  await waitForText(P, 'From the university: we can host the next meeting.');
  await saveScreenshot(T, 'working-group-06-phone-room');
  await assertAccessible(T, 'room on a phone');
  await T.click('#signout');
  await T.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT });

  // ---- named while signed out: the mention waits for Tom, at his desk, in the list and the title --
  await send(P, '@Tom Bell thank you, booked for the 12th');
  const tomAtDesk = await desk('Tom Bell', 'uni-essex');
  await untilText(tomAtDesk.page, `${roomItem(GROUP)} .mention-badge`, '@1');
  await until(tomAtDesk.page, 'the tab title counts the kept mention', () => /@1\) /.test(document.title));

  for (const p of [nadia, paul, tom, tomAtDesk]) assert.deepEqual(p.problems, [], `${p.name}: page problems`);
  console.log(`# working group journey took ${Date.now() - started} ms`);
});
