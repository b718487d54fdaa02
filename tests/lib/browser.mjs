// Real headless Chromium for the web-client tests: one browser per test file, one context (own
// storage) per person, every page's script errors and CSP violations collected, and the page
// steps the tests share (sign in, wait online, send, read the message list).
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { scaled } from './server.mjs';

export const CHROMIUM = process.env.OUTLOUD_CHROMIUM || '/usr/bin/chromium';
export const WAIT = scaled(10000);
/**
 * Where the browser tests save screenshots of the main screens (a build artefact, for reviewing how
 * the product looks): $OUTLOUD_ARTIFACTS/screenshots, else <build>/screenshots next to $OUTLOUD_BIN.
 */
export const SCREENSHOTS = process.env.OUTLOUD_ARTIFACTS
  ? path.join(process.env.OUTLOUD_ARTIFACTS, 'screenshots')
  : path.resolve(process.env.OUTLOUD_BIN || path.join(path.dirname(fileURLToPath(import.meta.url)), '../../build/bin'), '../screenshots');

/** Saves a screenshot of the page as SCREENSHOTS/<name>.png. */
export function saveScreenshot(page, name) {
  return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** The web client the tests serve (`--web-root`): this tree's, not the one copied into the build. */
export const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../clients/web');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Launches Chromium. `openPerson` gives each person a context of their own, signed in; `close`
 * closes every context, then the browser. `people` lists everyone opened so far.
 */
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const people = [];
  /**
   * A person in their own browser context, on the page at `url`, not signed in (yet).
   * `problems` collects page errors and console errors (but those matching
   * `expectedConsoleErrors`); `dialogs` counts the dialogs the page opened (each dismissed).
   * `initScript` (one, or an array) runs in every page of the context before the page's own scripts.
   */
  const openPage = async ({ url, viewport = { width: 1280, height: 820 }, contextOptions = {}, initScript,
    expectedConsoleErrors, ...extra }) => {
    const context = await browser.newContext({ viewport, ...contextOptions });
    for (const script of [initScript ?? []].flat()) await context.addInitScript(script);
    const person = { ...extra, context, page: null, problems: [], dialogs: 0 };
    person.page = watchPage(person, await context.newPage(), expectedConsoleErrors);
    people.push(person);
    await person.page.goto(url);
    return person;
  };
  return {
    browser,
    people,
    openPage,
    /** Like openPage, then signed in as `name` of `org` with the open-mode form. */
    async openPerson({ name, org, ...options }) {
      const person = await openPage({ name, org, ...options });
      await signIn(person.page, name, org);
      return person;
    },
    /** Another tab of a person's context, watched like the first, at `url`. */
    async openTab(person, url, expectedConsoleErrors) {
      const page = watchPage(person, await person.context.newPage(), expectedConsoleErrors);
      await page.goto(url);
      return page;
    },
    async close() {
      for (const p of people) await p.context.close().catch(() => {});
      await browser.close();
    },
  };
}

/**
 * The client asks GET /api/me who it is; "not signed in" is a 401 by contract (access.md), and a
 * server without accounts answers 404. Chromium logs either as a failed resource: not a problem.
 */
function isSignInProbe(msg) {
  return /status of (401|404)\b/.test(msg.text()) && /\/api\/me$/.test(msg.location().url || '');
}

/** Collects a page's script errors, console errors and dialogs into `person`. */
function watchPage(person, page, expectedConsoleErrors) {
  page.on('pageerror', (err) => person.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectedConsoleErrors?.test(msg.text()) && !isSignInProbe(msg)) {
      person.problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('dialog', async (dialog) => {
    person.dialogs++;
    await dialog.dismiss();
  });
  return page;
}

/** Fills the sign-in form and waits until the page is connected. */
export async function signIn(page, name, org) {
  await page.fill('#signin-name', name);
  await page.fill('#signin-org', org);
  await page.click('#signin-form button[type="submit"]');
  await waitOnline(page);
}

export async function waitOnline(page) {
  await page.waitForSelector('#conn-pill[data-state="online"]', { state: 'attached', timeout: WAIT });
}

/** The seqs of the messages shown, in page order. */
export function shownSeqs(page) {
  return page.$$eval('#message-list li.msg[data-seq]', (items) => items.map((li) => Number(li.dataset.seq)));
}

/**
 * Waits until `fn(arg)` is truthy in the page (polled, so it also sees changes that fire no event);
 * on a timeout the error names what was awaited and a screenshot is saved as failure-<what>.png.
 */
export async function until(page, what, fn, arg, timeout = WAIT) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (err) {
    const file = `failure-${what.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
    await saveScreenshot(page, file).catch(() => {});
    throw new Error(`${what}: ${err.message.split('\n')[0]} (screenshot ${file}.png)`);
  }
}

/** Waits until the element shows (not inside anything hidden) and its text includes `expected`. */
export function untilText(page, selector, expected, what = `${selector} shows “${expected}”`) {
  return until(page, what, ([sel, text]) => {
    const node = document.querySelector(sel);
    return !!node && !node.closest('[hidden]') && node.textContent.includes(text);
  }, [selector, expected]);
}

/** The element's box lies wholly inside the window, and it is not hidden (its geometry, not a style). */
export async function assertInView(page, selector, when) {
  const box = await page.$eval(selector, (node) => {
    const r = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height,
      shown: !node.closest('[hidden]') && r.height > 0 && r.width > 0 && style.visibility !== 'hidden',
      innerWidth: window.innerWidth, innerHeight: window.innerHeight };
  });
  assert.ok(box.shown, `${selector} shows ${when}: ${JSON.stringify(box)}`);
  assert.ok(box.top >= 0 && box.left >= 0 && box.bottom <= box.innerHeight && box.right <= box.innerWidth,
    `${selector} is inside the ${box.innerWidth}×${box.innerHeight} window ${when}: ${JSON.stringify(box)}`);
}

/** Creates a room through the "New room" form and waits until it is the room on screen. */
export async function createRoom(page, { title, id, kind = 'room' }) {
  await page.click('#create-room summary');
  await page.fill('#create-title', title);
  await page.fill('#create-id', id);
  if (kind === 'session') await page.check('#create-kind-session', { force: true });
  await page.click('#create-form button[type="submit"]');
  await until(page, `room ${id} opens`, (want) => document.getElementById('room-id').textContent === want
    && !document.getElementById('room-section').hidden, id);
}

/** Waits until a message with exactly this text shows. */
export async function waitForText(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('#message-list li.msg[data-seq] .msg-text')].some((p) => p.textContent === t),
    text,
    { timeout: WAIT },
  );
}

/** Sends a message from the composer and waits until it shows on the same page. */
export async function send(page, text) {
  await page.fill('#composer-text', text);
  await page.press('#composer-text', 'Enter');
  await waitForText(page, text);
}

/** Joins a room by id through the join form and waits until the page shows that room. */
export async function joinRoom(page, room) {
  await page.fill('#join-id', room);
  await page.click('#join-form button[type="submit"]');
  try {
    await page.waitForFunction(
      (id) => !document.getElementById('room-section').hidden && document.getElementById('room-id').textContent === id,
      room,
      { timeout: WAIT },
    );
  } catch (err) {
    throw new Error(`joining room ${room}: ${err.message.split('\n')[0]}`);
  }
}

/** The seqs shown are exactly 1..expectedCount, each once, in order. */
export function assertExactlyOnce(seqs, expectedCount, label) {
  const sorted = [...seqs].sort((a, b) => a - b);
  assert.deepEqual(seqs, sorted, `${label}: messages not in seq order: ${seqs}`);
  assert.equal(new Set(seqs).size, seqs.length, `${label}: a message shows twice: ${seqs}`);
  assert.equal(seqs.length, expectedCount, `${label}: expected ${expectedCount} messages, saw ${seqs}`);
  assert.deepEqual(sorted, Array.from({ length: expectedCount }, (_, i) => i + 1), `${label}: gap in ${seqs}`);
}
