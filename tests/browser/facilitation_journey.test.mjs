// A facilitator runs a session alone (issue 9, "What it must show"), in real Chromium against the
// real server: Fay (essex-cc) at 1280×800 with twelve participants from four organisations — two
// of them Chromium pages (Nadia, Sam), ten protocol clients to keep the CPU low. Check-in with the
// agenda, hands and the floor, timers, a poll and its chart, roles and the lock, a one-minute
// breakout round that warns and closes by itself with a late joiner placed from the panel, and the
// record. After every step the facilitator's hand queue and "not heard from yet" lie inside her
// window (element geometry). axe-core checks the facilitator's screen; screenshots go to SCREENSHOTS.
// A breakout `minute` lasts --test-breakout-minute-ms here (a test-only flag).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  WAIT, WEB_ROOT, assertInView, createRoom, joinRoom, launchBrowser, saveScreenshot, until, untilText, waitForText,
} from '../lib/browser.mjs';
import { assertAccessible } from '../lib/a11y.mjs';
import { assertRoomHeadReadable } from './room-head.mjs';
import { connectAs } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const DESKTOP = { width: 1280, height: 800 };
// A breakout minute: long enough for the steps taken meanwhile on a busy machine (4× under ASan).
const MINUTE_MS = Math.max(scaled(12000), 16000);
const ROOM = 'town-centre';
const TITLE = 'Town centre safety';
/** The ten participants on protocol clients: with Nadia (nhs-mse) and Sam (essex-police), three of each organisation. */
const CLIENT_PEOPLE = [
  ['Alex Carter', 'essex-cc'], ['Bea Doyle', 'essex-cc'], ['Cal Evans', 'essex-cc'],
  ['Dee Foster', 'nhs-mse'], ['Eli Grant', 'nhs-mse'],
  ['Flo Hughes', 'essex-police'], ['Gus Irwin', 'essex-police'],
  ['Hana Jones', 'uni-essex'], ['Ian Kemp', 'uni-essex'], ['Jo Lambert', 'uni-essex'],
];
/** What stays in the facilitator's window whatever she does. */
const PINNED = ['#hands-card', '#not-spoken-card', '#sb-hands', '#sb-floor'];

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer({
    nodeId: 'facilitation-journey',
    args: [...UNTHROTTLED, '--web-root', WEB_ROOT, '--test-breakout-minute-ms', String(MINUTE_MS)],
  });
  browser = await launchBrowser();
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await browser?.close();
  await server?.stop();
});

const everyone = (list, fn) => Promise.all(list.map(fn));
const tool = (page, key) => page.click(`#tool-tabs [data-tool="${key}"]`);
const names = (page, selector) => page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent));

/** Sends from the composer, with a tag, and waits until it shows. */
async function say(page, text, tag = null) {
  if (tag) await page.click(`label[for="tag-${tag}"]`);
  await page.fill('#composer-text', text);
  await page.press('#composer-text', 'Enter');
  await waitForText(page, text);
}

/** Waits until the newest message's box lies inside the message area (the page re-lays out after a change). */
function newestInView(page, when) {
  return until(page, `the newest message is in view ${when}`, () => {
    const items = document.querySelectorAll('#message-list li.msg');
    const r = items[items.length - 1].getBoundingClientRect();
    const area = document.getElementById('messages').getBoundingClientRect();
    return r.bottom <= area.bottom + 1 && r.top >= area.top - 1;
  });
}

/** Keeps every toast the page shows (they go away after a few seconds). */
function keepToasts() {
  window.__toasts = [];
  const watch = () => new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.__toasts.push(n.textContent);
  }).observe(document.getElementById('toasts'), { childList: true });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
}

test('a facilitator runs a session of twelve from four organisations: check-in, hands, a poll, a timed breakout, the record', { timeout: scaled(240000) }, async () => {
  const started = Date.now();
  const open = (name, org, extra = {}) => browser.openPerson({ url: `${server.url}/`, name, org, viewport: DESKTOP, ...extra });
  const [fay, nadia, sam] = await Promise.all([
    open('Fay Morgan', 'essex-cc', { contextOptions: { acceptDownloads: true } }),
    open('Nadia Shah', 'nhs-mse', { initScript: keepToasts }),
    open('Sam Ortiz', 'essex-police', { viewport: { width: 1000, height: 800 } }),
  ]);
  const F = fay.page;
  const N = nadia.page;
  const pages = [nadia, sam];
  const step = async (when) => {
    for (const s of PINNED) await assertInView(F, s, when);
  };

  // ---- Fay opens the session and sets the agenda ------------------------------------------------
  await createRoom(F, { title: TITLE, id: ROOM, kind: 'session' });
  await F.waitForSelector('#facilitation-panel.is-lead:not([hidden])', { timeout: WAIT });
  assert.equal((await F.textContent('#fac-role-note')).trim(), 'You run this room as its owner.');
  await assertRoomHeadReadable(F, 'for the facilitator at 1280×800');
  await tool(F, 'agenda');
  await F.click('#agenda-edit summary');
  const agenda = [['Check-in', '5'], ['Questions to the group', '10'], ['Small groups', '1']];
  for (let i = 0; i < agenda.length; i++) {
    if (i > 0) await F.click('#agenda-add');
    const row = F.locator('#agenda-rows li').nth(i);
    await row.locator('input[type="text"]').fill(agenda[i][0]);
    await row.locator('input[type="number"]').fill(agenda[i][1]);
  }
  await step('while the agenda is edited');
  await F.click('#agenda-form button[type="submit"]');
  await until(F, 'the agenda has three items', () => document.querySelectorAll('#agenda-list li').length === 3);
  await untilText(F, '#sb-agenda-text', '1/3 Check-in · 5 min');

  // ---- twelve participants from four organisations join ------------------------------------------
  await everyone(pages, (p) => joinRoom(p.page, ROOM));
  for (const [name, org] of CLIENT_PEOPLE) {
    const c = await connectAs(server.wsUrl, name, org);
    clients.push(c);
    await c.join(ROOM);
  }
  await tool(F, 'people');
  await untilText(F, '#roles-count', '13');
  await untilText(F, '#roles-summary', '4 organisations');
  await until(F, 'not heard from yet lists all thirteen', () => document.querySelectorAll('#not-spoken li').length === 13);
  await step('with everyone joined');
  for (const p of pages) {
    await untilText(p.page, '#sb-agenda-text', '1/3 Check-in');
    assert.equal(await p.page.isVisible('#tool-tabs'), false, `${p.name} sees no facilitator tools`);
    assert.equal(await p.page.isVisible('#sb-hand-button'), true, `${p.name} can raise a hand`);
  }

  // ---- check-in: one line each from most; five stay quiet ----------------------------------------
  await say(F, 'Welcome. One line each: who you are and what the town centre looks like from where you sit.');
  await say(N, 'A&E sees the late-night injuries; most arrive after 1 am.', 'learn');
  await say(sam.page, 'We will share the late-night hotspot map with the council.', 'do');
  for (const c of clients.slice(0, 5)) await c.say(ROOM, `${c.user.name} checking in for ${c.user.org}.`);
  await waitForText(F, `${clients[4].user.name} checking in for ${clients[4].user.org}.`);
  const quiet = clients.slice(5).map((c) => c.user.name).sort();
  await until(F, 'not heard from yet lists the five quiet ones', (n) => document.querySelectorAll('#not-spoken li').length === n, quiet.length);
  assert.deepEqual((await names(F, '#not-spoken li .person-name')).sort(), quiet);
  await step('after the check-in');
  await assertAccessible(F, 'facilitator screen during the check-in');
  await saveScreenshot(F, 'facilitation-01-check-in');

  await tool(F, 'agenda');
  await F.click('#agenda-next');
  await everyone([fay, ...pages], (p) => untilText(p.page, '#sb-agenda-text', '2/3 Questions to the group'));

  // ---- hands and the floor: two pages and three clients, in the order they went up ---------------
  await N.click('#sb-hand-button');
  await N.waitForSelector('#sb-hand-button[aria-pressed="true"]', { timeout: WAIT });
  await sam.page.focus('#sb-hand-button');  // Sam uses the keyboard
  await sam.page.keyboard.press('Enter');
  await sam.page.waitForSelector('#sb-hand-button[aria-pressed="true"]', { timeout: WAIT });
  for (const c of clients.slice(5, 8)) await c.expectReply({ type: 'hand', room: ROOM, up: true }, 'ok');
  const queue = ['Nadia Shah', 'Sam Ortiz', ...clients.slice(5, 8).map((c) => c.user.name)];
  await until(F, 'five hands in the queue', () => document.querySelectorAll('#hands-list li').length === 5);
  assert.deepEqual(await names(F, '#hands-list li .person-name'), queue, 'the queue is in the order hands went up');
  // Whole names in the queue the facilitator calls from ("Nadia S…" beside a whole badge before).
  const cut = await F.$$eval('#hands-list li .person-name', (nodes) => nodes.filter((n) => {
    const text = document.createRange();
    text.selectNodeContents(n);
    return text.getBoundingClientRect().width > n.getBoundingClientRect().width + 0.5;
  }).map((n) => n.textContent));
  assert.deepEqual(cut, [], 'no name in the hand queue is cut short');
  await untilText(F, '#sb-hands-count', '5');
  await untilText(sam.page, '#sb-hand-place', '2nd in the queue of 5');
  await step('with five hands up');
  await F.click('#hands-list li:first-child .give-floor');
  await everyone([fay, sam], (p) => untilText(p.page, '#sb-floor-text', 'Nadia Shah (nhs-mse)'));
  await untilText(N, '#sb-floor-text', 'You have the floor');
  await untilText(sam.page, '#sb-hand-place', '1st in the queue of 4');
  assert.equal(await N.getAttribute('#sb-hand-button', 'aria-pressed'), 'false', 'the floor takes her hand down');
  await F.click('#floor-next');
  await everyone([fay, nadia], (p) => untilText(p.page, '#sb-floor-text', 'Sam Ortiz (essex-police)'));
  await untilText(F, '#sb-hands-count', '3');
  await step('with the floor given');
  for (const c of clients.slice(5, 8)) await c.expectReply({ type: 'hand', room: ROOM, up: false }, 'ok');
  await untilText(F, '#hands-count', '0');
  await F.click('#floor-clear');
  await everyone([fay, ...pages], (p) => untilText(p.page, '#sb-floor-text', 'Open'));
  await step('with the floor open again');

  // ---- a timer that runs out (its "Time's up" goes away by itself later) -------------------------
  await tool(F, 'timer');
  await F.fill('#timer-minutes', '0');
  await F.fill('#timer-seconds', '2');
  await F.fill('#timer-label', 'Think quietly');
  await step('while the timer form is used');
  await F.click('#timer-start');
  await everyone([fay, ...pages], (p) => p.page.waitForSelector('#sb-timer[data-state="running"]', { timeout: WAIT }));
  assert.equal((await sam.page.textContent('#sb-timer-label')).trim(), 'Think quietly');
  await everyone([fay, ...pages], (p) => p.page.waitForSelector('#sb-timer[data-state="done"]', { timeout: WAIT }));
  assert.equal((await N.textContent('#sb-timer-status')).trim(), "Time's up");

  // ---- a poll: the form, votes from pages and clients, the chart, the close ----------------------
  await tool(F, 'poll');
  await F.fill('#poll-question', 'Which should we work on first?');
  const options = ['Lighting', 'Night buses', 'Street pastors', 'CCTV', 'Youth centre'];
  while ((await F.$$('#poll-options input[type="text"]')).length < options.length) await F.click('#poll-add-option');
  const inputs = await F.$$('#poll-options input[type="text"]');
  for (let i = 0; i < options.length; i++) await inputs[i].fill(options[i]);
  await F.focus('#poll-anonymous');
  await step('while the poll form is used');
  await saveScreenshot(F, 'facilitation-02-poll-form');
  await F.click('#poll-form button[type="submit"]');
  await everyone([fay, ...pages], (p) => untilText(p.page, '#sb-poll-question', 'Which should we work on first?'));
  const opened = await clients[0].next((f) => f.type === 'poll' && f.poll.open, scaled(5000));
  await everyone([[nadia, 'Lighting'], [sam, 'Night buses']], async ([p, option]) => {
    await p.page.click(`#sb-poll .ballot-option label:text-is("${option}")`);
    await p.page.click('#sb-poll .ballot-submit');
    await untilText(p.page, '#sb-poll .poll-mine', `You voted: ${option}.`);
  });
  const ballots = [0, 0, 0, 0, 0, 1, 1, 2, 3, 3];  // Lighting 6 with Nadia's, Night buses 3 with Sam's
  await everyone(clients, (c, i) => c.expectReply({ type: 'vote', room: ROOM, poll: opened.poll.id, choices: [ballots[i]] }, 'ok'));
  await untilText(F, '#sb-poll .poll-meta', '12 voted');
  const chart = await F.$$eval('#sb-poll .poll-result', (rows) => rows.map((r) => [
    r.querySelector('.poll-option').textContent, Number(r.dataset.count), r.querySelector('.poll-count').textContent]));
  assert.deepEqual(chart, [
    ['Lighting', 6, '6 votes · 50%'], ['Night buses', 3, '3 votes · 25%'], ['Street pastors', 1, '1 vote · 8%'],
    ['CCTV', 2, '2 votes · 17%'], ['Youth centre', 0, '0 votes · 0%'],
  ]);
  // The bars reflect the counts (once their short transition ends).
  await until(F, 'the bars reflect the counts', (shares) => [...document.querySelectorAll('#sb-poll .poll-result')].every((r, i) =>
    Math.abs(r.querySelector('.poll-bar-fill').getBoundingClientRect().width - shares[i] * r.querySelector('.poll-bar').getBoundingClientRect().width) < 2),
  [6 / 12, 3 / 12, 1 / 12, 2 / 12, 0]);
  await step('with the poll open');
  await assertAccessible(F, 'facilitator screen with a poll open');
  await saveScreenshot(F, 'facilitation-03-poll');

  // A participant keeps the newest messages in view while the poll, the timer and the agenda show.
  for (let i = 0; i < 20; i++) await clients[i % 10].say(ROOM, `Point ${i + 1} about the town centre`);
  await waitForText(N, 'Point 20 about the town centre');
  await tool(F, 'timer');
  await F.fill('#timer-minutes', '10');
  await F.fill('#timer-seconds', '0');
  await F.fill('#timer-label', 'Discussion');
  await F.click('#timer-start');
  await until(N, 'the poll, the timer and the agenda show for Nadia', () => ['sb-poll', 'sb-timer', 'sb-agenda']
    .every((id) => !document.getElementById(id).hidden) && document.getElementById('sb-timer').dataset.state === 'running');
  await newestInView(N, 'when the poll, the timer and the agenda show');
  const area = await N.$eval('#messages', (node) => node.getBoundingClientRect().height);
  console.log(`# message area at 1280×800 with a poll, a timer and the agenda showing: ${Math.round(area)} px`);
  assert.ok(area >= 300, `the message area is usable with a poll, a timer and the agenda showing: ${area} px`);
  await saveScreenshot(N, 'facilitation-04-participant-poll-timer');
  // Scrolled up, a new message brings a "new messages" button instead of moving the page.
  await N.$eval('#messages', (node) => { node.scrollTop = 0; });
  await clients[3].say(ROOM, 'Arrived while Nadia read back');
  await until(N, 'the new-messages button shows', () => !document.getElementById('jump-latest').hidden);
  await N.click('#jump-latest');
  await until(N, 'back at the newest', () => document.getElementById('jump-latest').hidden);
  await newestInView(N, 'after the new-messages button');
  await F.click('#timer-pause');
  await everyone(pages, (p) => untilText(p.page, '#sb-timer-status', 'Paused'));
  await F.click('#timer-resume');
  await N.waitForSelector('#sb-timer[data-state="running"]', { timeout: WAIT });
  await F.click('#timer-stop');
  await everyone(pages, (p) => untilText(p.page, '#sb-timer-status', 'Stopped'));

  await F.click('#sb-poll .poll-close');
  await everyone([fay, ...pages], (p) => untilText(p.page, '#sb-poll .poll-state', 'Poll closed'));
  // The poll tool counts polls, not votes ("1 so far" read as one vote).
  await until(F, 'the poll tool counts the polls', () => document.getElementById('poll-summary').textContent === '1 poll so far');
  await N.click('#sb-poll .poll-dismiss');
  await until(N, 'the closed result is put away', () => document.getElementById('sb-poll').hidden);
  await step('with the poll closed');

  // ---- roles and the lock change what a participant can do, live ---------------------------------
  await tool(F, 'people');
  await F.selectOption('select[aria-label^="Role of Sam Ortiz"]', 'observer');
  await sam.page.waitForSelector('#composer-blocked:not([hidden])', { timeout: WAIT });
  assert.equal(await sam.page.isVisible('#sb-hand-button'), false, 'an observer has no hand to raise');
  await F.selectOption('select[aria-label^="Role of Sam Ortiz"]', 'member');
  await sam.page.waitForSelector('#composer:not([hidden])', { timeout: WAIT });
  await F.selectOption('select[aria-label^="Role of Nadia Shah"]', 'facilitator');
  await N.waitForSelector('#tool-tabs', { state: 'visible', timeout: WAIT });
  await untilText(sam.page, '#presence-groups .org-group[data-org="nhs-mse"] .role-tag', 'Facilitator');
  assert.equal(await N.isVisible('#sb-hand-button'), false, 'a facilitator runs the queue rather than joins it');
  await F.selectOption('select[aria-label^="Role of Nadia Shah"]', 'member');
  await N.waitForSelector('#tool-tabs', { state: 'hidden', timeout: WAIT });
  await step('while roles are given');
  await tool(F, 'room');
  await F.click('#lock-button');
  await everyone(pages, (p) => p.page.waitForSelector('#composer-blocked:not([hidden])', { timeout: WAIT }));
  assert.match(await sam.page.textContent('#composer-blocked'), /locked/);
  await F.click('#lock-button');
  await everyone(pages, (p) => p.page.waitForSelector('#composer:not([hidden])', { timeout: WAIT }));

  // A one-second timer runs out before the groups: its "Time's up" goes away by itself meanwhile.
  await tool(F, 'timer');
  await F.fill('#timer-minutes', '0');
  await F.fill('#timer-seconds', '1');
  await F.fill('#timer-label', 'Before the groups');
  await F.click('#timer-start');
  await untilText(sam.page, '#sb-timer-status', "Time's up");

  // ---- a one-minute breakout round: mixed groups, the warning, a late joiner, the close by itself --
  await tool(F, 'agenda');
  await F.click('#agenda-next');
  await tool(F, 'groups');
  await F.fill('#breakout-count', '3');
  await F.selectOption('#breakout-strategy', 'mix');
  await F.fill('#breakout-minutes', '1');
  await step('while the groups are set up');
  await F.click('#breakout-form button[type="submit"]');
  await until(F, 'three groups show', () => document.querySelectorAll('#breakout-groups .group-item').length === 3);
  const groups = await F.$$eval('#breakout-groups .group-item', (items) => items.map((g) => ({
    room: g.dataset.group,
    members: [...g.querySelectorAll('.group-members li')].map((li) => ({ name: li.querySelector('.person-name').textContent, org: li.dataset.org })),
  })));
  assert.deepEqual(groups.map((g) => g.room), [`${ROOM}~1`, `${ROOM}~2`, `${ROOM}~3`]);
  for (const g of groups) {
    assert.deepEqual(g.members.map((m) => m.org).sort(), ['essex-cc', 'essex-police', 'nhs-mse', 'uni-essex'],
      `each group holds one of each organisation: ${JSON.stringify(g)}`);
  }
  const groupOf = (name) => groups.find((g) => g.members.some((m) => m.name === name));
  await until(F, 'the facilitator sees the countdown', () => /\d+:\d\d left/.test(document.getElementById('breakout-summary').textContent));
  // The group by its number, as everyone says it (its room id, town-centre~2, means nothing to people).
  await untilText(N, '#sb-breakout .join-group', `Join group ${groupOf('Nadia Shah').room.split('~')[1]}`);
  for (const m of groupOf('Nadia Shah').members.filter((m) => m.name !== 'Nadia Shah')) {
    assert.ok((await N.textContent('#sb-breakout')).includes(m.name), `Nadia is told she is with ${m.name}`);
  }
  await until(N, 'Nadia sees the countdown', () => /\d+:\d\d left/.test(document.getElementById('sb-breakout').textContent));
  // A one-minute round is warned at once: in the page, and as an event to the clients.
  await until(N, 'the one-minute warning shows', () => window.__toasts.some((t) => t.includes('One minute left in the breakout groups')));
  await clients[0].next((f) => f.type === 'breakout' && f.state === 'warning', scaled(5000));
  await step('with the groups open');

  // A late joiner is listed in the panel, placed with one button ("best fit"), and told their group.
  const lee = await connectAs(server.wsUrl, 'Lee Late', 'uni-essex');
  clients.push(lee);
  await lee.join(ROOM);
  await until(F, 'the late joiner is listed', (id) => !!document.querySelector(`.late-joiners:not([hidden]) li[data-user="${id}"]`), lee.user.id);
  assert.match(await F.textContent('.late-joiners'), /Lee Late \(uni-essex\)/);
  await assertInView(F, `.late-joiners li[data-user="${lee.user.id}"] .place-late`, 'when a late joiner arrives');
  await step('with a late joiner listed');
  await saveScreenshot(F, 'facilitation-05-breakout-late-joiner');
  await F.click(`.late-joiners li[data-user="${lee.user.id}"] .place-late`);
  const told = await lee.next((f) => f.type === 'breakout' && f.state === 'open' && f.group, scaled(5000));
  // Best fit: among the smallest groups, the one with fewest of his organisation, the first on a tie.
  assert.equal(told.group, `${ROOM}~1`);
  await until(F, 'the late list empties', () => !document.querySelector('.late-joiners:not([hidden]) li'));
  await until(F, 'group 1 shows five people', () => document.querySelector('#breakout-groups .group-item[data-group$="~1"]')?.dataset.size === '5');

  // Nadia goes to her group (nested under the session in her room list) and talks with a client there.
  const mine = groupOf('Nadia Shah');
  const number = mine.room.split('~')[1];
  await N.waitForSelector(`#room-list li[data-room="${mine.room}"].room-item--nested`, { timeout: WAIT });
  // Nested under the session, a group is listed by what tells it apart: all three were “Town centre …”.
  assert.equal(await N.textContent(`#room-list li[data-room="${mine.room}"] .room-name`), `Group ${number}`);
  // On a phone her group's card fits the window: it ran 12 px off the right edge (names kept to one line).
  await N.setViewportSize({ width: 390, height: 844 });
  await assertInView(N, '#sb-breakout', 'on a phone');
  await assertInView(N, '#sb-breakout .join-group', 'on a phone');
  await assertRoomHeadReadable(N, 'on a phone');
  await N.setViewportSize(DESKTOP);
  await N.click('#sb-breakout .join-group');
  await untilText(N, '#room-id', mine.room);
  await untilText(N, '#group-bar-title', `Breakout group ${mine.room.slice(-1)} of ${TITLE}`);
  const partner = clients.find((c) => c.user.name === mine.members.find((m) => m.org === 'essex-cc').name);
  await partner.join(mine.room);
  await say(N, 'Nadia here: starting on lighting');
  await partner.next((f) => f.type === 'message' && f.room === mine.room && f.text === 'Nadia here: starting on lighting', scaled(5000));
  await partner.say(mine.room, 'Agreed: lighting first', { tag: 'reflect' });
  await waitForText(N, 'Agreed: lighting first');
  await F.fill('#broadcast-text', 'Agree one action to share back.');
  await F.click('#broadcast-form button[type="submit"]');
  await waitForText(N, 'Agree one action to share back.');
  await step('while a message goes to every group');
  await saveScreenshot(N, 'facilitation-06-participant-group');

  // The groups close by themselves: Nadia is back in the main room, the facilitator may open again.
  const roundEnds = WAIT + MINUTE_MS;
  await until(N, 'Nadia is back in the main room when the groups close', (id) => document.getElementById('room-id').textContent === id
    && document.getElementById('sb-breakout').hidden, ROOM, roundEnds);
  // Told how to read her group again: the closed groups leave the room list (below), so not "in the room list".
  await until(N, 'Nadia is told how to reopen her group', (id) => window.__toasts.some((t) => t.includes(`join “${id}” by its id`)), mine.room);
  await until(F, 'the facilitator can open groups again', () => !document.getElementById('breakout-form').hidden, undefined, roundEnds);
  assert.equal(await F.$$eval('.late-joiners li', (l) => l.filter((li) => !li.closest('[hidden]')).length), 0);
  await until(N, 'the group rooms leave the room list', (id) => !document.querySelector(`#room-list li[data-room="${id}~1"]`), ROOM);
  await clients[1].sync();
  assert.equal(clients[1].frames.filter((f) => f.type === 'breakout' && f.room === ROOM && f.state === 'closed').length, 1,
    'the groups close once');
  await step('after the groups closed');
  await until(sam.page, "Time's up has gone away by itself", () => document.getElementById('sb-timer').hidden, undefined, scaled(15000));
  await say(sam.page, 'Back from the groups: lighting on the high street first.', 'share');

  // ---- the record ------------------------------------------------------------------------------
  await tool(F, 'room');
  await step('with the room tools');
  await assertAccessible(F, 'facilitator screen after the round');
  await saveScreenshot(F, 'facilitation-07-record');
  const [download] = await Promise.all([F.waitForEvent('download', { timeout: WAIT }), F.click('#record-link')]);
  assert.equal(download.suggestedFilename(), `${ROOM}.md`);
  const record = fs.readFileSync(await download.path(), 'utf8');
  assert.match(record, new RegExp(`^# ${TITLE}`, 'm'));
  for (const org of ['essex-cc', 'nhs-mse', 'essex-police', 'uni-essex']) assert.ok(record.includes(org), `the record names ${org}`);
  assert.match(record, /Which should we work on first\?/);
  assert.match(record, /- Lighting: 6/);
  const section = (heading) => {
    const start = record.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `the record has a ${heading} section:\n${record}`);
    const next = record.indexOf('\n## ', start + 4);
    return record.slice(start, next < 0 ? undefined : next);
  };
  assert.match(section('Learn'), /A&E sees the late-night injuries/, 'no escaping in the text');
  assert.match(section('Do'), /late-night hotspot map/);
  assert.match(section('Reflect'), /Agreed: lighting first/);
  assert.match(section('Share'), /lighting on the high street first/);
  assert.match(section('Breakout groups'), new RegExp(`${ROOM}~1`));

  for (const p of [fay, ...pages]) assert.deepEqual(p.problems, [], `${p.name}: no script errors or CSP violations`);
  console.log(`# facilitation journey took ${Date.now() - started} ms`);
});
