// A whole short facilitated session in the reference web client, in real headless Chromium against
// the real server: one facilitator and four participants from three organisations, each in their
// own browser context. Check-in, hands and the floor, a timer that runs out, a poll and its chart,
// roles and the lock, mixed breakout groups with their own rooms, and the downloaded record.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WAIT, joinRoom, launchBrowser } from '../lib/browser.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The client under test is the source tree's (the build copies the same files).
const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(here, '../../clients/web');
const FACILITATOR_SHOT = process.env.OUTLOUD_FACILITATOR_SCREENSHOT || '/tmp/outloud-facilitator.png';
const PARTICIPANT_SHOT = process.env.OUTLOUD_PARTICIPANT_SCREENSHOT || '/tmp/outloud-participant.png';
const ROOM = 'discharge';

let server;
let browser;

before(async () => {
  server = await startServer({ nodeId: 'session-node', args: [...UNTHROTTLED, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A person in their own browser context, signed in. */
function openPerson(name, org, viewport = { width: 1360, height: 900 }) {
  return browser.openPerson({ url: `${server.url}/`, name, org, viewport, contextOptions: { acceptDownloads: true } });
}

/** Waits until `fn(arg)` is truthy in the page; the message names what was awaited. */
async function until(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 });
  } catch (err) {
    const person = browser.people.find((p) => p.page === page);
    const shot = `/tmp/outloud-session-failure-${person ? person.name.split(' ')[0].toLowerCase() : 'page'}.png`;
    await page.screenshot({ path: shot }).catch(() => {});
    const problems = person && person.problems.length ? ` (page problems: ${person.problems.join('; ')})` : '';
    throw new Error(`${what}: ${err.message.split('\n')[0]}; screenshot ${shot}${problems}`);
  }
}

/** A facilitator picks one of the tools (tool-tabs.js): Timer, Poll, Groups, Agenda, People, Room. */
const tool = (page, key) => page.click(`#tool-tabs [data-tool="${key}"]`);

const textOf = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());

async function untilText(page, selector, expected, what = `${selector} shows “${expected}”`) {
  await until(
    page,
    what,
    ([sel, text]) => {
      const node = document.querySelector(sel);
      return !!node && !node.closest('[hidden]') && node.textContent.includes(text);
    },
    [selector, expected],
  );
}

async function waitForMessage(page, text) {
  await until(
    page,
    `message “${text}” shows`,
    (t) => [...document.querySelectorAll('#message-list li.msg[data-seq] .msg-text')].some((p) => p.textContent === t),
    text,
  );
}

async function send(person, text, tag = null) {
  const { page } = person;
  if (tag) await page.click(`label[for="tag-${tag}"]`);
  await page.fill('#composer-text', text);
  await page.press('#composer-text', 'Enter');
  await waitForMessage(page, text);
}

const everyone = (list, fn) => Promise.all(list.map(fn));

test('a facilitated session from check-in to the record', { timeout: scaled(120000) }, async () => {
  const started = Date.now();
  const [fay, nadia, tom, sam, ama] = await Promise.all([
    openPerson('Fay Morgan', 'essex-cc'),
    openPerson('Nadia Shah', 'nhs-mse'),
    openPerson('Tom Reed', 'nhs-mse'),
    openPerson('Sam Ortiz', 'essex-police'),
    openPerson('Ama Mensah', 'uni-essex', { width: 1000, height: 860 }),
  ]);
  const participants = [nadia, tom, sam, ama];
  const all = [fay, ...participants];
  const F = fay.page;

  // ---- Fay creates the session and sets the agenda -------------------------------------------
  await F.click('#create-room summary');
  await F.fill('#create-title', 'Hospital discharge and housing');
  await F.fill('#create-id', ROOM);
  await F.click('label[for="create-kind-session"]');
  await F.click('#create-form button[type="submit"]');
  await untilText(F, '#room-title', 'Hospital discharge and housing');
  await F.waitForSelector('#facilitation-panel.is-lead:not([hidden])', { timeout: WAIT });
  assert.equal(await textOf(F, '#fac-role-note'), 'You run this room as its owner.');

  await tool(F, 'agenda');
  await F.click('#agenda-edit summary');
  const agenda = [['Check-in', '5'], ['Questions to the group', '10'], ['Small groups', '15'], ['Share back', '10']];
  for (let i = 0; i < agenda.length; i++) {
    if (i > 0) await F.click('#agenda-add');
    const row = F.locator('#agenda-rows li').nth(i);
    await row.locator('input[type="text"]').fill(agenda[i][0]);
    await row.locator('input[type="number"]').fill(agenda[i][1]);
  }
  await F.click('#agenda-form button[type="submit"]');
  await until(F, 'the agenda has four items', () => document.querySelectorAll('#agenda-list li').length === 4);
  await untilText(F, '#sb-agenda-text', '1/4 Check-in · 5 min');

  // ---- everyone joins: check-in round, tagged messages ---------------------------------------
  await everyone(participants, (p) => joinRoom(p.page, ROOM));
  await untilText(F, '#roles-count', '5');
  await untilText(F, '#roles-summary', '4 organisations');
  const roleRows = await F.$$eval('#roles-list li', (rows) =>
    rows.map((r) => [r.querySelector('.person-name').textContent, r.querySelector('.org-badge').textContent, r.dataset.role]),
  );
  assert.deepEqual(roleRows, [
    ['Fay Morgan', 'essex-cc', 'owner'],
    ['Ama Mensah', 'uni-essex', 'member'],
    ['Nadia Shah', 'nhs-mse', 'member'],
    ['Sam Ortiz', 'essex-police', 'member'],
    ['Tom Reed', 'nhs-mse', 'member'],
  ]);
  for (const p of participants) {
    await untilText(p.page, '#sb-agenda-text', '1/4 Check-in');
    assert.equal(await p.page.isVisible('#timer-card'), false, 'a participant sees no facilitator tools');
    assert.equal(await p.page.isVisible('#roles-card'), false);
    assert.equal(await p.page.isVisible('#agenda-lead'), false);
    assert.equal(await p.page.isVisible('#sb-hand-button'), true);
  }
  await send(fay, 'Welcome. One line each: who you are and what discharge delays look like from where you sit.');
  await send(nadia, 'Ward discharges wait on housing more than on care packages.', 'learn');
  await send(tom, 'Nadia, from the same trust: the discharge lounge fills by noon.');
  await send(sam, 'We will share the repeat-callout addresses with the housing team.', 'do');
  await send(ama, 'University research team; listening mostly today.');
  await waitForMessage(F, 'University research team; listening mostly today.');
  await untilText(F, '#not-spoken-note', 'Everyone here has spoken.');

  await tool(F, 'agenda');
  await F.click('#agenda-next');
  await everyone(all, (p) => untilText(p.page, '#sb-agenda-text', '2/4 Questions to the group'));

  // ---- hands and the floor -------------------------------------------------------------------
  for (const p of [nadia, sam]) {
    await p.page.click('#sb-hand-button');
    await p.page.waitForSelector('#sb-hand-button[aria-pressed="true"]', { timeout: WAIT });
  }
  // Ama uses the keyboard.
  await ama.page.focus('#sb-hand-button');
  await ama.page.keyboard.press('Enter');
  await ama.page.waitForSelector('#sb-hand-button[aria-pressed="true"]', { timeout: WAIT });
  await untilText(sam.page, '#sb-hand-place', '2nd in the queue of 3');
  await untilText(ama.page, '#sb-hand-place', '3rd in the queue of 3');
  await untilText(F, '#hands-count', '3');
  assert.deepEqual(
    await F.$$eval('#hands-list li .person-name', (names) => names.map((n) => n.textContent)),
    ['Nadia Shah', 'Sam Ortiz', 'Ama Mensah'],
    'the queue is in the order hands went up',
  );
  await F.click('#hands-list li:first-child .give-floor');
  await everyone([fay, tom, sam, ama], (p) => untilText(p.page, '#sb-floor-text', 'Nadia Shah (nhs-mse)'));
  await untilText(nadia.page, '#sb-floor-text', 'You have the floor');
  await untilText(sam.page, '#sb-hand-place', '1st in the queue of 2');
  assert.equal(await nadia.page.getAttribute('#sb-hand-button', 'aria-pressed'), 'false', 'the floor takes her hand down');

  // ---- a three-second timer that runs out -------------------------------------------------------
  await tool(F, 'timer');
  await F.fill('#timer-minutes', '0');
  await F.fill('#timer-seconds', '3');
  await F.fill('#timer-label', 'Think quietly');
  await F.click('#timer-start');
  await everyone(all, (p) => p.page.waitForSelector('#sb-timer[data-state="running"]', { timeout: WAIT }));
  assert.equal(await textOf(tom.page, '#sb-timer-label'), 'Think quietly');
  await everyone(all, (p) => p.page.waitForSelector('#sb-timer[data-state="done"]', { timeout: WAIT }));
  for (const p of all) {
    assert.equal(await textOf(p.page, '#sb-timer-status'), "Time's up", `${p.name} sees the time is up`);
    assert.equal(await textOf(p.page, '#sb-timer-clock'), '0:00');
  }
  // Pause, resume and stop a longer one.
  await F.fill('#timer-minutes', '2');
  await F.fill('#timer-seconds', '0');
  await F.fill('#timer-label', 'Pairs');
  await F.click('#timer-start');
  await untilText(nadia.page, '#sb-timer-clock', '1:5');
  await F.click('#timer-pause');
  await everyone(participants, (p) => untilText(p.page, '#sb-timer-status', 'Paused'));
  await F.click('#timer-resume');
  await nadia.page.waitForSelector('#sb-timer[data-state="running"]', { timeout: WAIT });
  await F.click('#timer-stop');
  await everyone(participants, (p) => untilText(p.page, '#sb-timer-status', 'Stopped'));

  // ---- a poll with votes and its chart -------------------------------------------------------
  await tool(F, 'poll');
  await F.fill('#poll-question', 'Which should we work on first?');
  await F.fill('#poll-options li:nth-child(1) input', 'Housing');
  await F.fill('#poll-options li:nth-child(2) input', 'Transport');
  await F.click('#poll-add-option');
  await F.fill('#poll-options li:nth-child(3) input', 'Care packages');
  await F.click('#poll-form button[type="submit"]');
  await everyone(all, (p) => untilText(p.page, '#sb-poll-question', 'Which should we work on first?'));
  const votes = [[nadia, 'Housing'], [tom, 'Housing'], [sam, 'Housing'], [ama, 'Transport']];
  await everyone(votes, async ([p, option]) => {
    await p.page.click(`#sb-poll .ballot-option label:text-is("${option}")`);
    await p.page.click('#sb-poll .ballot-submit');
    await untilText(p.page, '#sb-poll .poll-mine', `You voted: ${option}.`);
  });
  await untilText(F, '#sb-poll .poll-meta', '4 voted');
  const chart = await F.$$eval('#sb-poll .poll-result', (rows) =>
    rows.map((r) => ({
      option: r.querySelector('.poll-option').textContent,
      count: Number(r.dataset.count),
      text: r.querySelector('.poll-count').textContent,
      bar: r.querySelector('.poll-bar-fill').getBoundingClientRect().width,
      track: r.querySelector('.poll-bar').getBoundingClientRect().width,
    })),
  );
  assert.deepEqual(chart.map((c) => [c.option, c.count, c.text]), [
    ['Housing', 3, '3 votes · 75%'],
    ['Transport', 1, '1 vote · 25%'],
    ['Care packages', 0, '0 votes · 0%'],
  ]);
  // The bars reflect the counts (wait for their short transition to end).
  await F.waitForTimeout(400);
  const bars = await F.$$eval('#sb-poll .poll-bar-fill', (fills) => fills.map((f) => f.getBoundingClientRect().width));
  const track = chart[0].track;
  assert.ok(Math.abs(bars[0] - 0.75 * track) < 2, `Housing bar ${bars[0]} of ${track}`);
  assert.ok(Math.abs(bars[1] - 0.25 * track) < 2, `Transport bar ${bars[1]} of ${track}`);
  assert.equal(bars[2], 0);
  await untilText(sam.page, '#sb-poll .poll-result[data-index="0"] .poll-count', '3 votes');

  await F.evaluate(() => { document.getElementById('people-panel').scrollTop = 0; });
  await F.screenshot({ path: FACILITATOR_SHOT });
  await sam.page.screenshot({ path: PARTICIPANT_SHOT });
  // The same session on a phone: the bar, the hand and the poll stay in reach.
  await tom.page.setViewportSize({ width: 390, height: 800 });
  await tom.page.waitForTimeout(400); // the side panels slide away
  await tom.page.screenshot({ path: PARTICIPANT_SHOT.replace(/\.png$/, '-phone.png') });
  await tom.page.setViewportSize({ width: 1360, height: 900 });

  await F.click('#sb-poll .poll-close');
  await everyone(all, (p) => untilText(p.page, '#sb-poll .poll-state', 'Poll closed'));

  // The queue goes on: next is Sam; Ama takes her hand down; the floor is cleared.
  await F.click('#floor-next');
  await everyone([fay, nadia, tom, ama], (p) => untilText(p.page, '#sb-floor-text', 'Sam Ortiz (essex-police)'));
  await ama.page.click('#sb-hand-button');
  await untilText(F, '#hands-count', '0');
  await F.click('#floor-clear');
  await everyone(all, (p) => untilText(p.page, '#sb-floor-text', 'Open'));

  // ---- roles and the lock change what a participant can do, live -------------------------------
  await tool(F, 'people');
  await F.selectOption('#roles-list li[data-user] select[aria-label^="Role of Tom Reed"]', 'observer');
  await tom.page.waitForSelector('#composer-blocked:not([hidden])', { timeout: WAIT });
  assert.equal(await tom.page.isVisible('#sb-hand-button'), false, 'an observer has no hand to raise');
  assert.equal(await tom.page.isVisible('#composer'), false);
  await F.selectOption('select[aria-label^="Role of Tom Reed"]', 'member');
  await tom.page.waitForSelector('#composer:not([hidden])', { timeout: WAIT });
  await tom.page.waitForSelector('#sb-hand-button', { state: 'visible', timeout: WAIT });
  // A participant made facilitator gets the tools at once, and loses them again.
  await F.selectOption('select[aria-label^="Role of Nadia Shah"]', 'facilitator');
  await nadia.page.waitForSelector('#tool-tabs', { state: 'visible', timeout: WAIT });
  await tool(nadia.page, 'timer');
  await nadia.page.waitForSelector('#timer-card', { state: 'visible', timeout: WAIT });
  await everyone([fay, sam], (p) => untilText(p.page, '#presence-groups .org-group[data-org="nhs-mse"] .role-tag', 'Facilitator'));
  assert.equal(await nadia.page.isVisible('#sb-hand-button'), false, 'a facilitator runs the queue rather than joins it');
  await F.selectOption('select[aria-label^="Role of Nadia Shah"]', 'member');
  await nadia.page.waitForSelector('#timer-card', { state: 'hidden', timeout: WAIT });
  await nadia.page.waitForSelector('#tool-tabs', { state: 'hidden', timeout: WAIT });

  await tool(F, 'room');
  await F.click('#lock-button');
  await everyone(participants, (p) => p.page.waitForSelector('#composer-blocked:not([hidden])', { timeout: WAIT }));
  assert.match(await textOf(sam.page, '#composer-blocked'), /locked/);
  assert.equal(await F.isVisible('#composer'), true, 'the facilitator still writes');
  await F.click('#lock-button');
  await everyone(participants, (p) => p.page.waitForSelector('#composer:not([hidden])', { timeout: WAIT }));

  // ---- mixed breakout groups -----------------------------------------------------------------
  await tool(F, 'agenda');
  await F.click('#agenda-next');
  await tool(F, 'groups');
  await F.fill('#breakout-count', '2');
  await F.selectOption('#breakout-strategy', 'mix');
  await F.click('#breakout-form button[type="submit"]');
  await until(F, 'two groups show', () => document.querySelectorAll('#breakout-groups .group-item').length === 2);
  const groups = await F.$$eval('#breakout-groups .group-item', (items) =>
    items.map((g) => ({
      room: g.dataset.group,
      members: [...g.querySelectorAll('.group-members li')].map((li) => ({
        name: li.querySelector('.person-name').textContent,
        org: li.dataset.org,
      })),
    })),
  );
  assert.deepEqual(groups.map((g) => g.room), [`${ROOM}~1`, `${ROOM}~2`]);
  assert.deepEqual(groups.map((g) => g.members.length), [2, 2], 'group sizes 2 and 2');
  for (const g of groups) {
    const orgs = g.members.map((m) => m.org);
    assert.equal(new Set(orgs).size, orgs.length, `no group holds two of one organisation: ${JSON.stringify(g)}`);
  }
  const groupOf = (name) => groups.find((g) => g.members.some((m) => m.name === name));

  await everyone(participants, async (p) => {
    const mine = groupOf(p.name);
    const partner = mine.members.find((m) => m.name !== p.name);
    await untilText(p.page, '#sb-breakout .join-group', `Join your group: ${mine.room}`);
    assert.match(await textOf(p.page, '#sb-breakout'), new RegExp(`with ${partner.name}`));
  });
  await F.screenshot({ path: FACILITATOR_SHOT.replace(/\.png$/, '-breakout.png') });
  await nadia.page.screenshot({ path: PARTICIPANT_SHOT.replace(/\.png$/, '-breakout.png') });
  await everyone(participants, async (p) => {
    const mine = groupOf(p.name);
    await p.page.click('#sb-breakout .join-group');
    await untilText(p.page, '#room-id', mine.room);
    await untilText(p.page, '#group-bar-title', `Breakout group ${mine.room.slice(-1)} of Hospital discharge and housing`);
  });
  // Each posts in their group; Ama and Tom tag theirs.
  const groupTags = { 'Ama Mensah': 'reflect', 'Tom Reed': 'share' };
  const groupText = (p) => `${p.name.split(' ')[0]} here: ${groupTags[p.name] ? `tagged ${groupTags[p.name]}` : 'starting on housing'}`;
  await everyone(participants, (p) => send(p, groupText(p), groupTags[p.name]));
  await everyone(participants, async (p) => {
    const partner = participants.find((q) => q !== p && groupOf(q.name) === groupOf(p.name));
    await waitForMessage(p.page, groupText(partner));
  });
  await F.fill('#broadcast-text', 'Two minutes left: agree one action to share back.');
  await F.click('#broadcast-form button[type="submit"]');
  await everyone(participants, (p) => waitForMessage(p.page, 'Two minutes left: agree one action to share back.'));
  await ama.page.screenshot({ path: PARTICIPANT_SHOT.replace(/\.png$/, '-group.png') });

  await F.click('#breakout-close');
  await everyone(participants, async (p) => {
    await untilText(p.page, '#room-id', ROOM, `${p.name} is back in the main room`);
    assert.equal(await p.page.isVisible('#sb-breakout'), false);
  });
  await everyone(all, (p) => untilText(p.page, '#sb-agenda-text', '3/4 Small groups'));
  await send(sam, 'Back from the groups: we agreed a shared list of people waiting on housing.', 'share');

  // ---- the record ----------------------------------------------------------------------------
  await tool(F, 'room');
  const [download] = await Promise.all([F.waitForEvent('download', { timeout: WAIT }), F.click('#record-link')]);
  assert.equal(download.suggestedFilename(), `${ROOM}.md`);
  const record = fs.readFileSync(await download.path(), 'utf8');
  assert.match(record, /^# Hospital discharge and housing/m);
  for (const org of ['essex-cc', 'nhs-mse', 'essex-police', 'uni-essex']) assert.ok(record.includes(org), `record names ${org}`);
  assert.match(record, /Which should we work on first\?/);
  assert.match(record, /- Housing: 3/);
  const section = (heading) => {
    const start = record.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `record has a ${heading} section:\n${record}`);
    const next = record.indexOf('\n## ', start + 4);
    return record.slice(start, next < 0 ? undefined : next);
  };
  assert.match(section('Learn'), /Ward discharges wait on housing more than on care packages\./);
  assert.match(section('Do'), /We will share the repeat-callout addresses with the housing team\./);
  assert.match(section('Reflect'), /Ama here: tagged reflect/);
  assert.match(section('Share'), /Tom here: tagged share/);
  assert.match(section('Share'), /we agreed a shared list of people waiting on housing/);
  assert.match(section('Breakout groups'), new RegExp(`${ROOM}~1`));
  assert.ok(record.indexOf('## Learn') < record.indexOf('## Do') && record.indexOf('## Reflect') < record.indexOf('## Share'));

  for (const p of all) assert.deepEqual(p.problems, [], `${p.name}: no script errors or CSP violations`);
  assert.ok(fs.existsSync(FACILITATOR_SHOT) && fs.existsSync(PARTICIPANT_SHOT));
  console.log(`session test took ${Date.now() - started} ms`);
});
