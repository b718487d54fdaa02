// Breakout rounds that run themselves, in real Chromium: the facilitator and a participant see the
// countdown, a late joiner (a protocol client) is listed in the facilitator's panel and placed with
// one button, everyone is warned at one minute, and the groups close by themselves. A `minute`
// lasts --test-breakout-minute-ms here (a test-only flag).
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WAIT, joinRoom, launchBrowser } from '../lib/browser.mjs';
import { connectAs } from '../lib/client.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(here, '../../clients/web');
const MINUTE_MS = scaled(4000);
const ROOM = 'timed-groups';

let server;
let browser;
const clients = [];
before(async () => {
  server = await startServer({
    nodeId: 'clock-browser',
    args: [...UNTHROTTLED, '--web-root', WEB_ROOT, '--test-breakout-minute-ms', String(MINUTE_MS)],
  });
  browser = await launchBrowser();
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await browser?.close();
  await server?.stop();
});

async function until(page, what, fn, arg, timeout = WAIT) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (err) {
    await page.screenshot({ path: `/tmp/outloud-breakout-clock-failure.png` }).catch(() => {});
    throw new Error(`${what}: ${err.message.split('\n')[0]}`);
  }
}

const visibleText = (selector) => {
  const node = document.querySelector(selector);
  return node && !node.closest('[hidden]') ? node.textContent : '';
};

test('a timed round: countdown, a late joiner placed from the panel, the warning, and the close by itself', { timeout: scaled(90000) }, async () => {
  const [fay, nadia] = await Promise.all([
    browser.openPerson({ url: `${server.url}/`, name: 'Fay Morgan', org: 'essex-cc', viewport: { width: 1280, height: 800 } }),
    browser.openPerson({ url: `${server.url}/`, name: 'Nadia Shah', org: 'nhs-mse', viewport: { width: 1280, height: 800 } }),
  ]);
  const F = fay.page;
  await F.click('#create-room summary');
  await F.fill('#create-title', 'Timed groups');
  await F.fill('#create-id', ROOM);
  await F.click('label[for="create-kind-session"]');
  await F.click('#create-form button[type="submit"]');
  await F.waitForSelector('#facilitation-panel.is-lead:not([hidden])', { timeout: WAIT });
  await joinRoom(nadia.page, ROOM);
  for (const [name, org] of [['Sam Ortiz', 'essex-police'], ['Ama Mensah', 'uni-essex']]) {
    const c = await connectAs(server.wsUrl, name, org);
    clients.push(c);
    await c.join(ROOM);
  }

  // Two groups for three minutes: the warning after two.
  await F.click('#tool-tabs [data-tool="groups"]');
  await F.fill('#breakout-count', '2');
  await F.fill('#breakout-minutes', '3');
  await F.click('#breakout-form button[type="submit"]');
  await until(F, 'the facilitator sees the countdown', (sel) => /\d+:\d\d left/.test(document.querySelector(sel)?.textContent || ''), '#breakout-summary');
  await until(nadia.page, 'the participant sees the countdown', (sel) => /\d+:\d\d left/.test(document.querySelector(sel)?.textContent || ''), '#sb-breakout');

  // A late joiner, listed in the panel, placed with one button; told their group.
  const lee = await connectAs(server.wsUrl, 'Lee Late', 'nhs-mse');
  clients.push(lee);
  await lee.join(ROOM);
  await until(F, 'the late joiner is listed', (id) => !!document.querySelector(`.late-joiners:not([hidden]) li[data-user="${id}"]`), lee.user.id);
  assert.match(await F.textContent('.late-joiners'), /Lee Late \(nhs-mse\)/);
  await F.click(`.late-joiners li[data-user="${lee.user.id}"] .place-late`);
  const told = await lee.next((f) => f.type === 'breakout' && f.state === 'open' && f.group, scaled(5000));
  assert.match(told.group, new RegExp(`^${ROOM}~[12]$`));
  await until(F, 'the list empties', () => !document.querySelector('.late-joiners:not([hidden]) li'));

  // The warning, then the close by itself: the groups go away on both screens.
  await until(nadia.page, 'the one-minute warning', () => document.body.innerText.includes('One minute left in the breakout groups'), undefined, WAIT + 3 * MINUTE_MS);
  await until(nadia.page, 'the groups close by themselves', (sel) => !document.querySelector(sel) || document.querySelector(sel).hidden, '#sb-breakout', WAIT + 3 * MINUTE_MS);
  await until(F, 'the facilitator can open groups again', (sel) => !document.querySelector(sel).hidden, '#breakout-form');
  assert.equal(await F.evaluate(visibleText, '.late-joiners li'), '');
});
