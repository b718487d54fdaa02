// The main screens in a real Chromium, at 1280×800 and on a 390 px phone: what stays in view, what
// goes away, the polish people notice, accessibility (axe-core: no serious or critical violation)
// and screenshots of each screen saved as build artefacts (SCREENSHOTS, see lib/browser.mjs).
//
// A facilitator runs a session with twelve participants from four organisations (protocol
// clients): the hand queue and "not heard from yet" stay inside the window while the timer and
// the poll form are used. A participant keeps the newest messages in view while the poll, the
// timer and the agenda come and go. Then links, right-to-left text, a long message, and a phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WAIT, WEB_ROOT, launchBrowser, saveScreenshot, signIn, waitForText } from '../lib/browser.mjs';
import { AXE_SCRIPT, assertAccessible } from '../lib/a11y.mjs';
import { connectAs } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const ROOM = 'town-centre';
const WORKING = 'working-group';
const ORGS = ['essex-cc', 'nhs-mse', 'essex-police', 'uni-essex'];

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer({ nodeId: 'screens-node', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  for (const c of clients) c.close?.();
  await browser?.close();
  await server?.stop();
});

/** A page at `viewport` with axe-core available, not signed in yet. */
function openPage(name, viewport = DESKTOP) {
  return browser.openPage({ url: `${server.url}/`, name, viewport, initScript: AXE_SCRIPT });
}

async function until(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 });
  } catch (err) {
    throw new Error(`${what}: ${err.message.split('\n')[0]}`);
  }
}

/** Creates a room through the form and waits until it is on screen. */
async function createRoom(page, title, id, kind = 'room') {
  await page.click('#create-room summary');
  await page.fill('#create-title', title);
  await page.fill('#create-id', id);
  if (kind === 'session') await page.check('#create-kind-session', { force: true });
  await page.click('#create-form button[type="submit"]');
  await until(page, `room ${id} opens`, (want) => document.getElementById('room-id').textContent === want, id);
}

/** The element's box lies wholly inside the window (and is not hidden). */
async function assertInView(page, selector, when) {
  const box = await page.$eval(selector, (node) => {
    const r = node.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, shown: !node.closest('[hidden]') && r.height > 0,
      width: window.innerWidth, height: window.innerHeight };
  });
  assert.ok(box.shown, `${selector} shows ${when}`);
  assert.ok(box.top >= 0 && box.left >= 0 && box.bottom <= box.height && box.right <= box.width,
    `${selector} is inside the ${box.width}×${box.height} window ${when}: ${JSON.stringify(box)}`);
}

/** The newest message's box lies inside the message area. */
async function newestInView(page) {
  return page.evaluate(() => {
    const items = document.querySelectorAll('#message-list li.msg');
    const last = items[items.length - 1];
    const area = document.getElementById('messages').getBoundingClientRect();
    const r = last.getBoundingClientRect();
    return r.bottom <= area.bottom + 1 && r.top >= area.top - 1;
  });
}

test('a facilitator at 1280×800 keeps the hand queue and "not heard from yet" in view; participants keep the newest messages', { timeout: scaled(180000) }, async () => {
  // ---- sign-in screen -----------------------------------------------------------------------------
  const paul = await openPage('Paul Ashworth');
  const P = paul.page;
  await P.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT });
  assert.equal(await P.textContent('#signin-view h1'), 'Sign in to OutLoud');
  assert.ok(await P.isVisible('#signin-view h1'), 'the sign-in page has a visible heading');
  await assertAccessible(P, 'sign-in');
  await saveScreenshot(P, 'screens-01-signin');
  await signIn(P, 'Paul Ashworth', 'essex-cc');
  assert.notEqual(await P.evaluate(() => document.activeElement.tagName), 'BODY', 'focus goes on after signing in');

  // ---- Paul creates the session; focus goes into the new room ----------------------------------
  await createRoom(P, 'Town centre safety', ROOM, 'session');
  // Focus moves once the room is joined, which may come after its title shows: wait for it.
  await P.waitForFunction(() => document.activeElement?.id === 'composer-text', null, { timeout: WAIT }).catch(() => {});
  assert.equal(await P.evaluate(() => document.activeElement.id), 'composer-text', 'focus goes to the message box after creating a room');

  // ---- twelve participants from four organisations; five raise their hands ---------------------
  for (let i = 0; i < 12; i++) {
    const c = await connectAs(server.wsUrl, `Person ${String.fromCharCode(65 + i)}`, ORGS[i % ORGS.length]);
    clients.push(c);
    await c.request({ type: 'join', room: ROOM });
  }
  await clients[0].request({ type: 'send', room: ROOM, text: 'Hello from the council' });
  for (const c of clients.slice(1, 6)) await c.request({ type: 'hand', room: ROOM, up: true });
  await until(P, 'five hands in the queue', () => document.querySelectorAll('#hands-list li').length === 5);
  await until(P, 'the session bar counts the hands', () => document.getElementById('sb-hands-count').textContent === '5');
  await until(P, 'not heard from yet lists eleven', () => document.querySelectorAll('#not-spoken li').length >= 11);

  const pinned = ['#hands-card', '#not-spoken-card', '#sb-floor', '#sb-hands'];
  for (const s of pinned) await assertInView(P, s, 'with the session open');
  await assertAccessible(P, 'facilitator panel');

  // The timer: chosen from the tools, set and started; the queue stays in view.
  await P.click('#tool-tabs [data-tool="timer"]');
  await P.fill('#timer-minutes', '0');
  await P.fill('#timer-seconds', '3');
  await P.fill('#timer-label', 'Quick round');
  for (const s of pinned) await assertInView(P, s, 'while the timer form is used');
  await P.click('#timer-start');
  await until(P, 'the timer runs', () => !document.getElementById('sb-timer').hidden);

  // The poll form, filled in with five options; the queue stays in view.
  await P.click('#tool-tabs [data-tool="poll"]');
  await P.fill('#poll-question', 'Which should we work on first?');
  const options = ['Lighting', 'Night buses', 'Street pastors', 'CCTV', 'Youth centre'];
  while ((await P.$$('#poll-options input[type="text"]')).length < options.length) await P.click('#poll-add-option');
  const inputs = await P.$$('#poll-options input[type="text"]');
  for (let i = 0; i < options.length; i++) await inputs[i].fill(options[i]);
  await P.focus('#poll-anonymous');
  for (const s of pinned) await assertInView(P, s, 'while the poll form is used');
  await saveScreenshot(P, 'screens-02-facilitator-poll-form');
  await P.click('#poll-form button[type="submit"]');
  await until(P, 'the poll is open', () => !document.getElementById('sb-poll').hidden);
  for (const s of pinned) await assertInView(P, s, 'with the poll open');
  await assertAccessible(P, 'facilitator panel with a poll');

  // The agenda editor.
  await P.click('#tool-tabs [data-tool="agenda"]');
  await P.evaluate(() => { document.getElementById('agenda-edit').open = true; });
  for (const s of pinned) await assertInView(P, s, 'while the agenda is edited');
  await saveScreenshot(P, 'screens-03-facilitator');

  // ---- a participant: the newest messages stay in view while the bar above them changes ---------
  const nadia = await openPage('Nadia Shah');
  const N = nadia.page;
  await signIn(N, 'Nadia Shah', 'nhs-mse');
  await N.evaluate((room) => { location.hash = `#/room/${room}`; }, ROOM);
  await until(N, 'Nadia is in the session', (id) => document.getElementById('room-id').textContent === id, ROOM);
  for (let i = 0; i < 30; i++) await clients[i % 12].request({ type: 'send', room: ROOM, text: `Point ${i + 1} about the town centre` });
  await waitForText(N, 'Point 30 about the town centre');
  assert.ok(await newestInView(N), 'the newest message is in view');
  // Paul sets an agenda and moves to its first item: it shows in everyone's bar.
  await P.click('#tool-tabs [data-tool="agenda"]');
  await P.evaluate(() => { document.getElementById('agenda-edit').open = true; });
  while ((await P.$$('#agenda-rows li')).length < 1) await P.click('#agenda-add');
  await P.fill('#agenda-rows li:first-child input[type="text"]', 'Check-in: one word each');
  await P.click('#agenda-form button[type="submit"]');
  await until(P, 'the agenda is saved', () => document.querySelectorAll('#agenda-list li').length === 1);
  await until(N, 'the agenda item shows for Nadia', () => !document.getElementById('sb-agenda').hidden);
  await P.click('#tool-tabs [data-tool="timer"]');
  await P.fill('#timer-minutes', '10');
  await P.fill('#timer-seconds', '0');
  await P.click('#timer-start');
  await until(N, 'the timer shows for Nadia', () => !document.getElementById('sb-timer').hidden && !document.getElementById('sb-poll').hidden);
  assert.ok(await newestInView(N), 'the newest message stays in view when the poll, the timer and the agenda appear');
  const area = await N.$eval('#messages', (node) => node.getBoundingClientRect().height);
  console.log(`# message area at 1280×800 with a poll, a timer and the agenda showing: ${Math.round(area)} px`);
  await saveScreenshot(N, 'screens-04-participant-poll-timer');
  assert.ok(area >= 300, `the message area is usable with a poll, a timer and the agenda showing: ${area} px`);
  await assertAccessible(N, 'room with a poll and a timer');

  // Scrolled up, a new message brings a "new messages" button instead of moving the page.
  await N.$eval('#messages', (node) => { node.scrollTop = 0; });
  await clients[3].request({ type: 'send', room: ROOM, text: 'Arrived while Nadia read back' });
  await until(N, 'the new-messages button shows', () => !document.getElementById('jump-latest').hidden);
  await N.click('#jump-latest');
  await until(N, 'back at the newest', () => document.getElementById('jump-latest').hidden);
  assert.ok(await newestInView(N), 'the button brings the newest message into view');

  // "Time's up" goes away by itself (the 3-second timer was replaced; start a short one).
  await P.fill('#timer-minutes', '0');
  await P.fill('#timer-seconds', '1');
  await P.click('#timer-start');
  await until(N, "Time's up shows", () => document.getElementById('sb-timer-status').textContent === "Time's up");
  await N.waitForFunction(() => document.getElementById('sb-timer').hidden, null, { timeout: scaled(20000) });

  // The closed poll's result can be put away.
  await P.click('#tool-tabs [data-tool="poll"]');
  await P.click('#poll-close');
  await until(N, 'the closed result shows', () => document.getElementById('sb-poll').dataset.state === 'closed');
  await N.click('#sb-poll .poll-dismiss');
  await until(N, 'the closed result is put away', () => document.getElementById('sb-poll').hidden);
  assert.ok(await newestInView(N), 'the newest message is in view after the poll went away');

  for (const p of [paul, nadia]) assert.deepEqual(p.problems, [], `${p.name}: page problems`);
});

test('links, right-to-left text, a long message folded; the phone layout with sign-out', { timeout: scaled(120000) }, async () => {
  const amy = await openPage('Amy Clarke');
  const A = amy.page;
  await signIn(A, 'Amy Clarke', 'essex-police');
  await createRoom(A, 'Working group', WORKING);

  const linkText = 'Minutes at https://example.org/minutes?week=4. Not a link: javascript:alert(1) nor data:text/html,x';
  await A.fill('#composer-text', linkText);
  await A.press('#composer-text', 'Enter');
  await waitForText(A, linkText);
  const links = await A.$$eval('#message-list li.msg[data-seq] .msg-text a', (as) => as.map((a) => ({ href: a.getAttribute('href'), rel: a.rel, text: a.textContent, target: a.target })));
  assert.deepEqual(links, [{ href: 'https://example.org/minutes?week=4', rel: 'noopener noreferrer', text: 'https://example.org/minutes?week=4', target: '_blank' }]);

  const arabic = 'مرحبا من الشرطة';
  await A.fill('#composer-text', arabic);
  await A.press('#composer-text', 'Enter');
  await waitForText(A, arabic);
  assert.equal(await A.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getAttribute('dir')), 'auto');
  assert.equal(await A.$eval('#message-list li.msg:last-child .msg-author', (p) => p.getAttribute('dir')), 'auto');

  const long = Array.from({ length: 400 }, (_, i) => `Line ${i + 1} of the long report.`).join(' ').slice(0, 16000);
  await A.fill('#composer-text', long);
  await A.press('#composer-text', 'Enter');
  await waitForText(A, long);
  const folded = await A.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getBoundingClientRect().height);
  assert.ok(folded < 300, `a 16,000-character message is folded: ${folded} px`);
  await A.click('#message-list li.msg:last-child .msg-fold');
  assert.equal(await A.getAttribute('#message-list li.msg:last-child .msg-fold', 'aria-expanded'), 'true');
  assert.ok((await A.$eval('#message-list li.msg:last-child .msg-text', (p) => p.getBoundingClientRect().height)) > folded * 2, 'show more unfolds it');
  await saveScreenshot(A, 'screens-05-room');
  await assertAccessible(A, 'room');

  // Rooms with the same title are told apart by their accessible names.
  await createRoom(A, 'Working group', 'working-group-2');
  await until(A, 'both rooms are listed', () => document.querySelectorAll('#room-list .room-button').length >= 2);
  // (The accessible name of a room button is its text: no aria-label.)
  const names = await A.$$eval('#room-list .room-button', (bs) => bs.map((b) => b.getAttribute('aria-label') || b.textContent));
  const same = names.filter((n) => n.startsWith('Working group'));
  assert.ok(same.length >= 2, `two rooms titled alike: ${names.join(' / ')}`);
  assert.equal(new Set(same).size, same.length, `distinct accessible names: ${same.join(' / ')}`);

  // ---- the phone: name, organisation, sign-out, the tags and 16 px fields -----------------------
  const tom = await openPage('Tom Bell', PHONE);
  const T = tom.page;
  await T.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT });
  for (const s of ['#signin-name', '#signin-org']) {
    assert.equal(await T.$eval(s, (n) => getComputedStyle(n).fontSize), '16px', `${s} is 16 px on a phone`);
  }
  await saveScreenshot(T, 'screens-06-phone-signin');
  await signIn(T, 'Tom Bell', 'uni-essex');
  await T.evaluate((room) => { location.hash = `#/room/${room}`; }, WORKING);
  await until(T, 'Tom is in the room', (id) => document.getElementById('room-id').textContent === id, WORKING);
  for (const s of ['#me-name', '#me-org', '#signout', '#composer-text']) await assertInView(T, s, 'on a phone');
  assert.equal(await T.textContent('#me-name'), 'Tom Bell');
  for (const s of ['#composer-text', '#topic-input']) {
    assert.equal(await T.$eval(s, (n) => getComputedStyle(n).fontSize), '16px', `${s} is 16 px on a phone`);
  }
  await T.click('label[for="tag-share"]');
  await assertInView(T, 'label[for="tag-share"]', 'when chosen on a phone');
  await assertInView(T, 'label[for="tag-reflect"]', 'on a phone');
  await saveScreenshot(T, 'screens-07-phone-room');
  await assertAccessible(T, 'room on a phone');
  await T.click('#signout');
  await T.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT });

  for (const p of [amy, tom]) assert.deepEqual(p.problems, [], `${p.name}: page problems`);
});
