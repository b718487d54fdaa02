// The accounts journey of access.md in the reference web client, in real headless Chromium against
// the real server in its default mode (--auth accounts): the first-run setup link; the
// administrator creates organisations with their email domains and invites a colleague from one of
// them, who redeems the link in a browser of her own; a private room with a label, the colleague
// added with a reason; a resident invited as a guest into that room sees only it; the owner exports
// the record (label and permission on it); the audit log shows it all; and signing out closes the
// socket of that session in every tab, and its cookie opens nothing any more.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { SCREENSHOTS as SHOTS, WAIT, assertInView, launchBrowser, waitOnline, waitForText } from '../lib/browser.mjs';
import { AXE_SCRIPT, assertAccessible } from '../lib/a11y.mjs';
import { assertRoomHeadReadable } from './room-head.mjs';
import { UNTHROTTLED, scaled, sleep, startServer } from '../lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The client under test is the source tree's (the build copies the same files).
const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(here, '../../clients/web');
const REASON = 'Leads hospital discharge for the trust';

let server;
let browser;

before(async () => {
  server = await startServer({ nodeId: 'access-node', args: [...UNTHROTTLED, '--auth', 'accounts', '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The setup link the server prints on its first run. */
async function setupLink() {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const m = /(https?:\/\/\S+\/setup\?code=[A-Za-z0-9_-]+)/.exec(server.stderr);
    if (m) return m[1];
    if (Date.now() > deadline) throw new Error(`no setup link printed: ${server.stderr.slice(-2000)}`);
    await sleep(50);
  }
}

/** Waits until `fn(arg)` is truthy in the page; on failure, a screenshot and the page's problems. */
async function until(person, what, fn, arg) {
  try {
    await person.page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 });
  } catch (err) {
    const shot = path.join(SHOTS, `failure-${person.name.split(' ')[0].toLowerCase()}.png`);
    await person.page.screenshot({ path: shot }).catch(() => {});
    const problems = person.problems.length ? ` (page problems: ${person.problems.join('; ')})` : '';
    throw new Error(`${person.name}: ${what}: ${err.message.split('\n')[0]}; screenshot ${shot}${problems}`);
  }
}

/** Waits until an element that is not hidden shows `text`. */
function untilText(person, selector, text) {
  return until(
    person,
    `${selector} shows “${text}”`,
    ([sel, t]) => [...document.querySelectorAll(sel)].some((n) => !n.closest('[hidden]') && n.textContent.includes(t)),
    [selector, text],
  );
}

function untilVisible(person, selector) {
  return until(
    person,
    `${selector} shows`,
    (sel) => {
      const n = document.querySelector(sel);
      return !!n && !n.closest('[hidden]') && n.getClientRects().length > 0;
    },
    selector,
  );
}

const shot = (person, name) => person.page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
const roomsListed = (page) => page.$$eval('#room-list li[data-room]', (items) => items.map((li) => li.dataset.room).sort());

/** Makes an invitation link in the open invite dialog and closes the dialog. */
async function makeInvitation(person, { guest = false, org }) {
  const { page } = person;
  await untilVisible(person, '#invite-form');
  if (guest) await page.check('#invite-kind-guest');
  await until(person, `organisation ${org} offered`, (o) => !!document.querySelector(`#invite-org option[value="${o}"]`), org);
  await page.selectOption('#invite-org', org);
  // The link field is emptied whenever the dialog opens, so an earlier invitation's link cannot pass for this one.
  assert.equal(await page.inputValue('#invite-url'), '', 'no earlier link is left in the dialog');
  await page.click('#invite-form button[type="submit"]');
  await until(person, 'the invitation link shows', () => {
    const url = document.getElementById('invite-url');
    return !url.closest('[hidden]') && /#invite=/.test(url.value);
  });
  const url = await page.inputValue('#invite-url');
  const focus = await page.evaluate(() => {
    const a = document.activeElement;
    return { id: a?.id ?? '', what: `${a?.tagName} ${a?.className}`, connection: document.getElementById('conn-pill')?.dataset.state };
  });
  assert.equal(focus.id, 'invite-url', `the focus goes to the link (it is on ${focus.what}; connection ${focus.connection})`);
  return url;
}

async function closeDialog(person) {
  await person.page.keyboard.press('Escape');
  await until(person, 'the dialog closes', () => !document.querySelector('dialog[open]'));
}

/** A new person redeems an invitation link in a browser context of their own. */
async function redeem(url, name) {
  const person = await browser.openPage({ url, name });
  await untilVisible(person, '#invite-form');
  assert.equal(await person.page.evaluate(() => location.hash), '', 'the code is taken out of the address bar');
  await person.page.fill('#invite-form input[name="name"]', name);
  await person.page.click('#invite-form button[type="submit"]');
  await waitOnline(person.page);
  return person;
}

async function createRoom(person, { title, id, isPrivate }) {
  const { page } = person;
  await page.click('#create-room summary');
  await page.fill('#create-title', title);
  await page.fill('#create-id', id);
  if (isPrivate) await page.check('#create-private');
  await page.click('#create-form button[type="submit"]');
  await untilText(person, '#room-title', title);
}

test('setup, organisations, invitations, a private room with a guest, the record, the audit log, sign-out', { timeout: scaled(180000) }, async () => {
  // ---- first run: the setup link makes the first organisation and its administrator ------------
  const fiona = await browser.openPage({ url: await setupLink(), name: 'Fiona Reid', contextOptions: { acceptDownloads: true }, initScript: AXE_SCRIPT });
  const F = fiona.page;
  await untilVisible(fiona, '#setup-form');
  assert.equal(await F.$eval('#mode-banner', (n) => n.hidden), true, 'no open-mode banner in accounts mode');
  assert.equal(await F.$eval('.skip-link', (n) => getComputedStyle(n).display), 'none', 'no "skip to the message box" where there is none');
  await shot(fiona, '01-setup');
  await assertAccessible(F, 'setup (accounts sign-in)');
  await F.fill('#setup-form input[name="name"]', 'Fiona Reid');
  await F.fill('#setup-form input[name="org"]', 'essex-cc');
  await F.fill('#setup-form input[name="org_name"]', 'Essex County Council');
  await F.click('#setup-form button[type="submit"]');
  await waitOnline(F);
  assert.equal(await F.evaluate(() => location.pathname + location.search), '/', 'the setup code leaves the address bar');
  assert.equal(await F.textContent('#me-org'), 'essex-cc');
  await untilText(fiona, '#admin-button', 'Administration');

  // ---- two more organisations with their domains, and one for residents -------------------------
  await F.click('#admin-button');
  await untilText(fiona, '#admin-title', 'Administration');
  assert.equal(await F.evaluate(() => document.activeElement.id), 'admin-title', 'the focus goes to the page heading');
  for (const [id, name, domains] of [
    ['nhs-mse', 'NHS Mid and South Essex', 'mse.nhs.uk, nhs.net'],
    ['essex-police', 'Essex Police', 'essex.police.uk'],
    ['resident', 'Residents', ''],
  ]) {
    await F.fill('#org-id', id);
    await F.fill('#org-name', name);
    await F.fill('#org-domains', domains);
    await F.click('#org-form button[type="submit"]');
    await untilText(fiona, `#org-table tr[data-org="${id}"]`, name);
  }
  assert.match(await F.textContent('#org-table tr[data-org="nhs-mse"]'), /mse\.nhs\.uk, nhs\.net/);
  await shot(fiona, '02-administration');
  await assertAccessible(F, 'administration');
  // On a phone the administrator's top bar wraps instead of pushing the page sideways (it was 549 px
  // wide at 390, with her own name squeezed to nothing and Sign out off the screen).
  await F.setViewportSize({ width: 390, height: 844 });
  for (const s of ['#me-name', '#me-org', '#invite-button', '#admin-button', '#signout', '#admin-title']) await assertInView(F, s, 'on a phone');
  assert.equal(await F.$eval('#me-name', (n) => n.scrollWidth <= n.clientWidth && n.textContent), 'Fiona Reid', 'her whole name shows on a phone');
  assert.equal(await F.evaluate(() => document.documentElement.scrollWidth), 390, 'the page is no wider than the phone');
  await shot(fiona, '02b-administration-phone');
  await F.setViewportSize({ width: 1280, height: 820 });

  // ---- a colleague from the NHS, invited by the administrator ---------------------------------
  await F.click('#invite-button');
  const colleagueLink = await makeInvitation(fiona, { org: 'nhs-mse' });
  assert.ok(colleagueLink.startsWith(`${server.url}/#invite=`), `invitation link on the server's address: ${colleagueLink}`);
  await shot(fiona, '03-invite');
  await closeDialog(fiona);
  assert.equal(await F.evaluate(() => document.activeElement.id), 'invite-button', 'the focus returns to the button');

  const nadia = await redeem(colleagueLink, 'Nadia Shah');
  const N = nadia.page;
  assert.equal(await N.textContent('#me-name'), 'Nadia Shah');
  assert.equal(await N.textContent('#me-org'), 'nhs-mse', 'the organisation comes from the invitation');
  assert.equal(await N.isVisible('#invite-button'), false, 'a colleague is no administrator');

  // ---- an open room, and a private one with a label, its colleague added with a reason -----------
  await createRoom(fiona, { title: 'Partnership news', id: 'news', isPrivate: false });
  await createRoom(fiona, { title: 'Hospital discharge', id: 'discharge', isPrivate: true });
  await untilText(fiona, '#room-access', 'Private');
  await untilText(fiona, '#room-access', 'OFFICIAL');

  await F.click('#room-settings-button');
  await untilVisible(fiona, '#settings-form');
  await F.selectOption('#settings-label', 'OFFICIAL-SENSITIVE');
  await F.uncheck('#settings-forever');
  await F.fill('#settings-days', '365');
  await F.click('#settings-form button[type="submit"]');
  await untilText(fiona, '#settings-form [role="status"]', 'Saved.');
  await shot(fiona, '04-room-settings');
  await closeDialog(fiona);
  await untilText(fiona, '#room-access', 'OFFICIAL-SENSITIVE');
  await assertRoomHeadReadable(F, 'for the owner at 1280 px, with Members, Invite and Settings');

  await N.click('#refresh-rooms');
  await until(nadia, 'the open room is listed', () => !!document.querySelector('#room-list li[data-room="news"]'));
  assert.deepEqual(await roomsListed(N), ['news'], 'a private room is hidden from non-members');

  await F.click('#members-button');
  await untilVisible(fiona, '#add-form');
  await F.fill('#add-search', 'Nadia');
  await until(fiona, 'Nadia is found', () => !!document.querySelector('#add-results input[type="radio"]'));
  await F.check('#add-results input[type="radio"]');
  await untilVisible(fiona, '#add-reason');
  await F.click('#add-form button[type="submit"]');
  await untilText(fiona, '#add-form [role="alert"]', 'Give a reason');
  await F.fill('#add-reason', REASON);
  await F.click('#add-form button[type="submit"]');
  await untilText(fiona, '#member-list .member-sponsor', REASON);
  const sponsorLine = await F.textContent('#member-list .member-sponsor');
  assert.match(sponsorLine, /Permission given by Fiona Reid/);
  await shot(fiona, '05-members');
  await closeDialog(fiona);

  await N.click('#refresh-rooms');
  await until(nadia, 'the private room is listed', () => !!document.querySelector('#room-list li[data-room="discharge"] button'));
  await N.click('#room-list li[data-room="discharge"] button');
  await untilText(nadia, '#room-title', 'Hospital discharge');
  await untilText(nadia, '#room-access', 'OFFICIAL-SENSITIVE');
  await N.fill('#composer-text', 'Beds free on Ward 4 from Monday.');
  await N.press('#composer-text', 'Enter');
  await waitForText(F, 'Beds free on Ward 4 from Monday.');

  // ---- a resident, invited as a guest into that room, sees only it ------------------------------
  await F.click('#room-invite-button');
  const guestLink = await makeInvitation(fiona, { guest: true, org: 'resident' });
  await closeDialog(fiona);
  const rita = await redeem(guestLink, 'Rita Jones');
  const R = rita.page;
  assert.equal(await R.textContent('#me-org'), 'resident');
  await untilText(rita, '#room-title', 'Hospital discharge');
  await untilText(rita, '#room-access', 'OFFICIAL-SENSITIVE');
  assert.deepEqual(await roomsListed(R), ['discharge'], 'a guest sees only the room of the invitation');
  for (const selector of ['#create-room', '#join-form', '#admin-button', '#invite-button', '#room-invite-button']) {
    assert.equal(await R.isVisible(selector), false, `a guest has no ${selector}`);
  }
  await R.fill('#composer-text', 'Thank you for asking residents.');
  await R.press('#composer-text', 'Enter');
  await waitForText(F, 'Thank you for asking residents.');
  await shot(rita, '06-guest');

  // ---- the owner exports the record: the label and the permission given are on it ----------------
  await untilVisible(fiona, '#record-link');
  const [download] = await Promise.all([F.waitForEvent('download', { timeout: WAIT }), F.click('#record-link')]);
  const record = fs.readFileSync(await download.path(), 'utf8');
  fs.writeFileSync(path.join(SHOTS, 'record.md'), record);
  assert.match(record, /OFFICIAL-SENSITIVE/, 'the record states the label');
  assert.ok(record.indexOf('OFFICIAL-SENSITIVE') < record.indexOf('Beds free on Ward 4'), 'the label is above the messages');
  assert.ok(record.includes(REASON), 'the record lists the permission given across organisations');
  assert.match(record, /Nadia Shah/);
  assert.match(record, /Fiona Reid/);
  assert.match(record, /\*\*Rita Jones\*\* \(resident, guest\)/, 'the record marks a guest as one');

  // ---- the audit log shows it --------------------------------------------------------------------
  await F.click('#admin-button');
  await untilText(fiona, '#admin-title', 'Administration');
  for (const action of ['setup', 'org_changed', 'invitation_created', 'invitation_redeemed', 'room_changed', 'member_added', 'export']) {
    await until(fiona, `audit shows ${action}`, (a) => !!document.querySelector(`#audit-table tr[data-action="${a}"]`), action);
  }
  await shot(fiona, '07-audit');

  // ---- the people list says who administers what, and offers the one change that applies ---------
  const idOf = (page) => page.evaluate(async () => (await (await fetch('/api/me')).json()).user.id);
  const fionaItem = `#people-list li[data-user="${await idOf(F)}"]`;
  const nadiaItem = `#people-list li[data-user="${await idOf(N)}"]`;
  await untilText(fiona, fionaItem, 'Administrator');
  assert.deepEqual(await F.$$eval(`${nadiaItem} button[data-org-admin]`, (bs) => bs.map((b) => b.textContent)),
    ['Make administrator of their organisation']);
  await F.click(`${nadiaItem} button[data-org-admin]`);
  await untilText(fiona, nadiaItem, 'Organisation administrator');
  assert.deepEqual(await F.$$eval(`${nadiaItem} button[data-org-admin]`, (bs) => bs.map((b) => b.textContent)),
    ['No longer administrator']);
  assert.equal(await F.evaluate(() => document.activeElement.textContent), 'No longer administrator',
    'the focus stays on the person\'s button');
  await F.click(`${nadiaItem} button[data-org-admin]`);
  await until(fiona, 'Nadia no longer an organisation administrator',
    (s) => !document.querySelector(s)?.textContent.includes('Organisation administrator'), nadiaItem);

  // ---- signing out closes the sockets of that session, in every tab ------------------------------
  const cookie = (await nadia.context.cookies()).find((c) => c.name === 'outloud_session');
  assert.ok(cookie && cookie.httpOnly, 'the session cookie is HttpOnly');
  let secondTabSocketClosed = false;
  const secondTab = await browser.openTab(nadia, 'about:blank');
  secondTab.on('websocket', (ws) => ws.on('close', () => { secondTabSocketClosed = true; }));
  await secondTab.goto(`${server.url}/#/room/discharge`);
  await waitOnline(secondTab);
  await N.click('#signout');
  await untilVisible(nadia, '#email-form');
  await shot(nadia, '08-signed-out');
  await secondTab.waitForFunction(() => !!document.querySelector('#email-form'), null, { timeout: WAIT });
  assert.ok(secondTabSocketClosed, 'the other tab’s socket was closed by the server');

  // The old cookie no longer opens a socket.
  const refused = await new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, 'outloud.v1', { headers: { Cookie: `outloud_session=${cookie.value}` } });
    const timer = setTimeout(() => reject(new Error('no answer to hello with an ended session')), WAIT);
    const done = (what) => { clearTimeout(timer); ws.terminate(); resolve(what); };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: 1 })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      done(frame.type === 'error' ? frame.code : frame.type);
    });
    ws.on('unexpected-response', (_req, res) => done(`http ${res.statusCode}`));
    ws.on('close', () => done('closed'));
    ws.on('error', () => done('error'));
  });
  assert.notEqual(refused, 'welcome', 'an ended session is refused');

  // Fiona's own session goes on.
  await F.click('#room-list li[data-room="discharge"] button');
  await F.fill('#composer-text', 'Thanks, everyone.');
  await F.press('#composer-text', 'Enter');
  await waitForText(F, 'Thanks, everyone.');

  for (const p of [fiona, nadia, rita]) assert.deepEqual(p.problems, [], `${p.name}: no script errors or CSP violations`);
});
