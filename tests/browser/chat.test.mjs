// The reference web client in a real Chromium against the real server: two people from two
// organisations in two browser contexts, chatting, typing, reloading, losing their connection,
// and the server restarting underneath them. Every message must show exactly once, in seq order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  WAIT, WEB_ROOT, assertExactlyOnce, joinRoom, launchBrowser, send, shownSeqs, waitForText, waitOnline,
} from '../lib/browser.mjs';
import { connectAs } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, sleep, startServer } from '../lib/server.mjs';

const SCREENSHOT = process.env.OUTLOUD_SCREENSHOT || '/tmp/outloud-web.png';
const PHONE_SCREENSHOT = SCREENSHOT.replace(/\.png$/, '-phone.png');

let server;
let browser;

before(async () => {
  server = await startServer({ nodeId: 'web-node', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Lets a test drop a page's WebSocket and hold off its reconnection: the page's own client code
// is untouched, the test only wraps the browser's WebSocket constructor.
function socketControl() {
  const Native = window.WebSocket;
  const sockets = [];
  let blocked = false;
  window.WebSocket = class TestWebSocket extends Native {
    constructor(url, protocols) {
      // A blocked page dials a path with no WebSocket behind it: the handshake fails.
      super(blocked ? String(url).replace(/\/ws$/, '/no-such-socket') : url, protocols);
      sockets.push(this);
    }
  };
  window.__socketControl = {
    block(value) { blocked = value; },
    dropAll() {
      for (const s of sockets) if (s.readyState <= 1) s.close(4001, 'test drops the connection');
    },
    opened() { return sockets.length; },
  };
}

/** A person with their own browser context (own storage), signed in on the page. */
function openPerson(name, org, viewport = { width: 1280, height: 820 }) {
  return browser.openPerson({
    url: `${server.url}/`,
    name,
    org,
    viewport,
    initScript: socketControl,
    // The refused test socket shows as a console error: expected.
    expectedConsoleErrors: /no-such-socket|WebSocket connection/,
  });
}

async function waitForSeqCount(page, count) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('#message-list li.msg[data-seq]').length >= n,
    count,
    { timeout: WAIT },
  );
}

test('two people from two organisations chat in the web client', { timeout: scaled(90000) }, async () => {
  const paul = await openPerson('Paul Ashworth', 'essex-cc');
  const nadia = await openPerson('Nadia Shah', 'nhs-mse');
  // Open mode (anyone says any name) is said plainly on every page.
  assert.match(await paul.page.textContent('#mode-banner'), /Open mode: anyone can say any name and organisation/);
  assert.ok(await paul.page.isVisible('#mode-banner'), 'the open-mode banner shows');

  // Paul creates a session room through the form; Nadia joins it by id.
  await paul.page.click('#create-room summary');
  await paul.page.fill('#create-title', 'Affordable housing');
  assert.equal(await paul.page.inputValue('#create-id'), 'affordable-housing', 'id suggested from the title');
  await paul.page.fill('#create-id', 'housing');
  await paul.page.click('label[for="create-kind-session"]');
  await paul.page.click('#create-form button[type="submit"]');
  await paul.page.waitForSelector('#room-section:not([hidden])', { timeout: WAIT });
  // The title comes with the `created`/`joined` replies, a moment after the room section shows.
  await paul.page.waitForFunction(() => document.querySelector('#room-title')?.textContent === 'Affordable housing',
    null, { timeout: WAIT });
  assert.equal(await paul.page.textContent('#room-kind'), 'Session');

  await joinRoom(nadia.page, 'housing');

  // Each sees the other in the presence panel, under their organisation; nobody has spoken yet.
  await paul.page.waitForSelector('#presence-groups .org-group[data-org="nhs-mse"] .person-name >> text=Nadia Shah', { timeout: WAIT });
  await nadia.page.waitForSelector('#presence-groups .org-group[data-org="essex-cc"] .person-name >> text=Paul Ashworth', { timeout: WAIT });
  assert.equal(await paul.page.textContent('#present-count'), '2');
  assert.equal(await paul.page.textContent('#not-spoken-count'), '2');
  await nadia.page.click('#refresh-rooms');
  await nadia.page.waitForSelector('#room-list li[data-room="housing"] .online-count >> text=2', { timeout: WAIT });

  // Typing shows on the other page, with the organisation.
  await paul.page.type('#composer-text', 'Hello');
  await nadia.page.waitForFunction(
    () => document.getElementById('typing').textContent.includes('Paul Ashworth (essex-cc) is typing'),
    null,
    { timeout: WAIT },
  );
  await paul.page.fill('#composer-text', '');

  // Chat both ways, with a topic, a tag and a reply.
  await send(paul.page, 'Hello from the county council. What does housing look like from the NHS side?');
  await waitForText(nadia.page, 'Hello from the county council. What does housing look like from the NHS side?');
  assert.equal(await nadia.page.textContent('#not-spoken-count'), '1', 'Nadia has not spoken yet');
  await nadia.page.waitForSelector('#not-spoken .person-name >> text=Nadia Shah');

  await nadia.page.hover('#message-list li[data-seq="1"]');
  await nadia.page.click('#message-list li[data-seq="1"] .msg-action');
  await nadia.page.fill('#topic-input', 'discharge');
  await nadia.page.click('label[for="tag-learn"]');
  await send(nadia.page, 'Delayed discharges are mostly about housing.\nWe see it every week.');
  await waitForText(paul.page, 'Delayed discharges are mostly about housing.\nWe see it every week.');
  const reply = paul.page.locator('#message-list li[data-seq="2"]');
  assert.equal(await reply.locator('.tag-badge').textContent(), 'Learn');
  assert.equal(await reply.locator('.topic-chip').textContent(), '#discharge');
  assert.equal(await reply.locator('.org-badge').textContent(), 'nhs-mse');
  assert.match(await reply.locator('.msg-reply-ref').textContent(), /Paul Ashworth: Hello from the county council/);
  assert.equal(await paul.page.textContent('#not-spoken-count'), '0');

  // Shift+Enter makes a new line instead of sending.
  await paul.page.fill('#composer-text', 'Two lines');
  await paul.page.press('#composer-text', 'Shift+Enter');
  await paul.page.type('#composer-text', 'second line');
  assert.equal(await paul.page.inputValue('#composer-text'), 'Two lines\nsecond line');
  await paul.page.press('#composer-text', 'Enter');
  await waitForText(nadia.page, 'Two lines\nsecond line');

  // HTML in a message is shown as text, never run.
  const html = '<img src=x onerror=alert(1)> <b>not bold</b>';
  await send(nadia.page, html);
  await waitForText(paul.page, html);
  assert.equal(await paul.page.locator('#message-list img, #message-list b').count(), 0);
  assert.equal(paul.dialogs + nadia.dialogs, 0, 'no script from a message ran');

  await paul.page.screenshot({ path: SCREENSHOT });
  assertExactlyOnce(await shownSeqs(paul.page), 4, 'Paul before the reload');

  // A reload shows the same history, once each.
  const beforeReload = await shownSeqs(nadia.page);
  await nadia.page.reload();
  await waitOnline(nadia.page);
  await waitForSeqCount(nadia.page, beforeReload.length);
  assert.deepEqual(await shownSeqs(nadia.page), beforeReload, 'same history after a reload');
  assertExactlyOnce(await shownSeqs(nadia.page), 4, 'Nadia after the reload');

  // Nadia's connection drops and stays down while Paul sends; after it is back she has each once.
  await nadia.page.evaluate(() => {
    window.__socketControl.block(true);
    window.__socketControl.dropAll();
  });
  await nadia.page.waitForSelector('#conn-pill[data-state="reconnecting"]', { state: 'attached', timeout: WAIT });
  assert.equal(await nadia.page.isVisible('#conn-banner'), true, 'the banner says the connection is lost');
  for (let i = 1; i <= 3; i++) await send(paul.page, `While you were away ${i}`);
  // She writes too while offline: it waits and goes out once the connection is back.
  await nadia.page.fill('#composer-text', 'Sorry, my connection dropped');
  await nadia.page.press('#composer-text', 'Enter');
  await nadia.page.waitForSelector('#message-list li.msg--pending', { timeout: WAIT });
  await sleep(700);
  await nadia.page.evaluate(() => window.__socketControl.block(false));
  // "Try now" hastens the reconnection; the page may already be back on its own, and the button gone.
  await nadia.page.click('#conn-retry', { timeout: 2000 }).catch(() => {});
  await waitOnline(nadia.page);
  await waitForText(nadia.page, 'Sorry, my connection dropped');
  await waitForText(paul.page, 'Sorry, my connection dropped');
  await waitForSeqCount(nadia.page, 8);
  await sleep(300);
  assertExactlyOnce(await shownSeqs(nadia.page), 8, 'Nadia after her reconnection');
  assertExactlyOnce(await shownSeqs(paul.page), 8, 'Paul after Nadia reconnected');
  assert.equal(await nadia.page.locator('#message-list li.msg--pending').count(), 0, 'no pending copy left');

  // The server restarts (SIGTERM, same data file and port); both pages come back on their own.
  await server.stop('SIGTERM');
  await Promise.all([
    paul.page.waitForSelector('#conn-pill[data-state="reconnecting"]', { state: 'attached', timeout: WAIT }),
    nadia.page.waitForSelector('#conn-pill[data-state="reconnecting"]', { state: 'attached', timeout: WAIT }),
  ]);
  server = await server.restart();
  await Promise.all([waitOnline(paul.page), waitOnline(nadia.page)].map((p) => p.catch(() => null)));
  for (const p of [paul, nadia]) {
    if ((await p.page.getAttribute('#conn-pill', 'data-state')) !== 'online') {
      await p.page.click('#conn-retry');
      await waitOnline(p.page);
    }
  }
  await send(nadia.page, 'Back after the restart');
  await waitForText(paul.page, 'Back after the restart');
  assertExactlyOnce(await shownSeqs(paul.page), 9, 'Paul after the restart');
  assertExactlyOnce(await shownSeqs(nadia.page), 9, 'Nadia after the restart');
  await paul.page.waitForSelector('#presence-groups .person-name >> text=Nadia Shah', { timeout: WAIT });

  assert.deepEqual([...paul.problems, ...nadia.problems], [], 'no script errors or CSP violations');
});

test('history loads older messages when scrolling to the top; phone layout', { timeout: scaled(60000) }, async () => {
  // 120 messages already in a room, written by a protocol client.
  const writer = await connectAs(server.wsUrl, 'Sam Ortiz', 'essex-police');
  await writer.request({ type: 'create', room: 'archive', title: 'Community safety archive', kind: 'room' });
  await writer.request({ type: 'join', room: 'archive' });
  for (let i = 1; i <= 120; i++) {
    const sent = await writer.request({ type: 'send', room: 'archive', text: `Archived note ${i}`, topic: i % 3 ? 'general' : 'patrols' });
    assert.equal(sent.type, 'sent', JSON.stringify(sent));
  }

  const reader = await openPerson('Ama Mensah', 'uni-essex', { width: 390, height: 800 });
  await reader.page.goto(`${server.url}/#/room/archive`);
  await waitOnline(reader.page);
  await waitForSeqCount(reader.page, 50);
  for (let round = 0; round < 20; round++) {
    const n = (await shownSeqs(reader.page)).length;
    if (n >= 120) break;
    await reader.page.evaluate(() => {
      document.getElementById('messages').scrollTop = 0;
    });
    await reader.page.waitForFunction(
      (before) => document.querySelectorAll('#message-list li.msg[data-seq]').length > before,
      n,
      { timeout: WAIT },
    );
  }
  assertExactlyOnce(await shownSeqs(reader.page), 120, 'after scrolling back');
  await reader.page.waitForSelector('#history-status >> text=start of the conversation', { timeout: WAIT });
  // The person sees the room on a phone: the people panel opens as a drawer.
  await reader.page.evaluate(() => {
    const box = document.getElementById('messages');
    box.scrollTop = box.scrollHeight;
  });
  await send(reader.page, 'Reading the archive from my phone');
  await reader.page.screenshot({ path: PHONE_SCREENSHOT });
  await reader.page.click('#toggle-people');
  await reader.page.waitForSelector('#people-panel.is-open', { timeout: WAIT });
  await reader.page.waitForSelector('#presence-groups .person-name >> text=Sam Ortiz', { timeout: WAIT });
  await writer.close();
  assert.ok(fs.existsSync(PHONE_SCREENSHOT));
  assert.deepEqual(reader.problems, [], 'no script errors or CSP violations');
});
