// Working together in the web client, in a real Chromium: topics as threads with unread counts,
// unread counts per room and in the tab title, a mention that raises a browser notification while
// the page is hidden (the notifications permission granted in the context, the Notification
// constructor observed), and the live room list with breakout groups nested under their session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WAIT, WEB_ROOT, joinRoom, launchBrowser, waitForText } from '../lib/browser.mjs';
import { connectAs, uniqueId } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer({ nodeId: 'topics-web', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
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

async function person(name, org) {
  const c = await connectAs(server.wsUrl, name, org);
  clients.push(c);
  return c;
}

const roomItem = (id) => `#room-list li[data-room="${id}"]`;

test('topics, unread counts, a mention notification and the live room list', { timeout: scaled(120000) }, async () => {
  const paul = await person('Paul Ashworth', 'essex-cc');
  const group = uniqueId('wg');
  const other = uniqueId('other');
  await paul.create(group, { title: 'Working group' });
  await paul.create(other, { title: 'Elsewhere' });
  await paul.join(group);
  for (const [topic, text] of [['budget', 'Budget line one'], ['parking', 'Parking first'], ['budget', 'Budget line two']]) {
    await paul.expectReply({ type: 'send', room: group, topic, text }, 'sent');
  }

  const nadia = await browser.openPerson({
    url: `${server.url}/`, name: 'Nadia Shah', org: 'nhs-mse',
    contextOptions: { permissions: ['notifications'] }, initScript: observeNotifications,
  });
  const page = nadia.page;
  assert.equal(await page.evaluate(() => Notification.permission), 'granted');

  // Unread per room from the server's markers: three messages Nadia has not read.
  await page.waitForSelector(`${roomItem(group)} .unread`, { timeout: WAIT });
  assert.equal(await page.textContent(`${roomItem(group)} .unread`), '3');
  // The tab title counts only rooms the person follows: none yet.
  assert.equal(await page.title(), 'OutLoud');
  // Same-titled rooms are told apart: the id and organisation are in the row and its accessible name.
  assert.match(await page.textContent(`${roomItem(group)} .room-sub`), new RegExp(`${group}.*essex-cc`));

  // Opening the room reads it: the badge goes, and the marker is the server's.
  await joinRoom(page, group);
  await page.waitForFunction((id) => !document.querySelector(`#room-list li[data-room="${id}"] .unread`), group, { timeout: WAIT });
  await page.waitForFunction(() => !document.title.startsWith('('), null, { timeout: WAIT });
  const listed = await paul.expectReply({ type: 'rooms', limit: 500 }, 'rooms');
  assert.equal(listed.rooms.find((r) => r.id === group).last_seq, 3);

  // The topic list with counts; opening a topic shows just it; writing in it writes into it.
  await page.click('#topics-button');
  await page.waitForSelector('#topic-list li[data-topic="budget"]', { timeout: WAIT });
  assert.match(await page.textContent('#topic-list li[data-topic="budget"] .topic-count'), /^2$/);
  await page.click('#topic-list li[data-topic="budget"] button');
  await page.waitForFunction(() => document.querySelectorAll('#thread-list li.msg[data-seq]').length === 2, null, { timeout: WAIT });
  const shown = await page.$$eval('#thread-list li.msg .msg-text', (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(shown, ['Budget line one', 'Budget line two']);
  assert.ok(await page.isHidden('#messages'), 'the whole room is out of the way while a topic is open');
  await page.fill('#composer-text', 'A reply in the budget thread');
  await page.press('#composer-text', 'Enter');
  const echoed = await paul.next((f) => f.type === 'message' && f.text === 'A reply in the budget thread');
  assert.equal(echoed.topic, 'budget');
  await page.waitForFunction(() => document.querySelectorAll('#thread-list li.msg[data-seq]').length === 3, null, { timeout: WAIT });
  // A message in another topic does not enter the thread; Paul's parking message shows in the topic list count.
  await paul.expectReply({ type: 'send', room: group, topic: 'parking', text: 'Parking second' }, 'sent');
  await page.click('#thread-close');
  await waitForText(page, 'Parking second');
  assert.equal(await page.$$eval('#thread-list li.msg[data-seq]', (l) => l.length), 3);

  // Unread while Nadia is elsewhere: counted on the room and in the tab title.
  await joinRoom(page, other);
  await paul.expectReply({ type: 'send', room: group, text: 'While you were away' }, 'sent');
  await page.waitForFunction((id) => document.querySelector(`#room-list li[data-room="${id}"] .unread`)?.textContent === '1', group, { timeout: WAIT });
  await page.waitForFunction(() => document.title.startsWith('(1) '), null, { timeout: WAIT });

  // A mention while the page is hidden: a browser notification, and the count in the title.
  await page.evaluate(() => window.__setHidden(true));
  await paul.expectReply({ type: 'send', room: group, topic: 'budget', text: '@Nadia Shah can you check the numbers?' }, 'sent');
  await page.waitForFunction(() => window.__notifications.length === 1, null, { timeout: WAIT });
  const [note] = await page.evaluate(() => window.__notifications);
  assert.equal(note.title, 'Paul Ashworth mentioned you in Working group');
  assert.match(note.body, /can you check the numbers/);
  await page.waitForFunction(() => /^\(2 · @1\) /.test(document.title), null, { timeout: WAIT });
  await page.waitForSelector(`${roomItem(group)} .mention-badge`, { timeout: WAIT });
  await page.evaluate(() => window.__setHidden(false));

  // The live room list: a new session appears without a refresh; its breakout groups nest under it
  // and leave the list when they close.
  const session = uniqueId('sess');
  await paul.create(session, { title: 'Town centre session', kind: 'session' });
  await page.waitForSelector(roomItem(session), { timeout: scaled(5000) });
  await paul.join(session);
  for (const [name, org] of [['Ann Groups', 'police'], ['Bob Groups', 'fire']]) await (await person(name, org)).join(session);
  assert.equal((await paul.request({ type: 'breakout', room: session, action: 'open', groups: 2, strategy: 'random' })).type, 'ok');
  await page.waitForSelector(`${roomItem(`${session}~2`)}.room-item--nested`, { timeout: scaled(5000) });
  const order = await page.$$eval('#room-list li[data-room]', (items) => items.map((li) => li.dataset.room));
  const at = order.indexOf(session);
  assert.deepEqual(order.slice(at, at + 3), [session, `${session}~1`, `${session}~2`]);
  assert.equal((await paul.request({ type: 'breakout', room: session, action: 'close' })).type, 'ok');
  await page.waitForFunction((id) => !document.querySelector(`#room-list li[data-room="${id}~1"]`), session, { timeout: scaled(5000) });
  assert.deepEqual(nadia.problems, []);
});
