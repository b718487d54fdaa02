// The web client on a `--auth jwt` server (access.md "Modes"), in real headless Chromium: a token
// handed over by a sign-in gateway in the URL fragment signs the tab in and leaves the address bar
// at once; a token pasted once into the sign-in screen does the same; the record downloads with the
// token; signing out forgets it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { WAIT, joinRoom, launchBrowser, send, waitOnline } from '../lib/browser.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(here, '../../clients/web');
const SECRET = 'a-browser-test-secret-long-enough-for-hs256';

function token(claims) {
  const b64url = (data) => Buffer.from(data).toString('base64url');
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${crypto.createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}
const claims = (sub, name, org) => ({ sub, name, org, exp: Math.floor(Date.now() / 1000) + 600 });

let server;
let browser;

before(async () => {
  server = await startServer({ args: [...UNTHROTTLED, '--auth', 'jwt', '--jwt-key', SECRET, '--jwt-alg', 'HS256', '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a jwt server: a token in the fragment, a token pasted, the record, sign-out', { timeout: scaled(60000) }, async () => {
  // A gateway hands the token over in the fragment: the tab signs in and the token leaves the address bar.
  const priyaToken = token(claims('staff-0042', 'Priya Shah', 'nhs-mse'));
  const priya = await browser.openPage({ url: `${server.url}/#token=${priyaToken}`, name: 'Priya Shah', contextOptions: { acceptDownloads: true } });
  const P = priya.page;
  await waitOnline(P);
  assert.equal(await P.evaluate(() => location.href), `${server.url}/`, 'the token is out of the address bar at once');
  assert.equal(await P.textContent('#me-name'), 'Priya Shah');
  assert.equal(await P.textContent('#me-org'), 'nhs-mse');
  assert.equal(await P.isVisible('#mode-banner'), false, 'no open-mode banner');
  assert.equal(await P.evaluate(() => JSON.stringify(localStorage)), '{}', 'nothing kept beyond the tab');

  // The tab keeps it (sessionStorage) across a reload.
  await P.reload();
  await waitOnline(P);
  assert.equal(await P.textContent('#me-name'), 'Priya Shah');

  // The owner downloads the record with the token (no cookie in jwt mode).
  await P.click('#create-room summary');
  await P.fill('#create-title', 'Winter pressures');
  await P.fill('#create-id', 'winter');
  await P.click('#create-form button[type="submit"]');
  await P.waitForFunction(() => document.getElementById('room-id').textContent === 'winter', null, { timeout: WAIT });
  await send(P, 'Flu clinics start on Monday.');
  const [download] = await Promise.all([P.waitForEvent('download', { timeout: WAIT }), P.click('#record-link')]);
  assert.match(fs.readFileSync(await download.path(), 'utf8'), /Flu clinics start on Monday\./);
  // The printable record too: without the token in a header the server would refuse it.
  const [printable] = await Promise.all([P.waitForEvent('download', { timeout: WAIT }), P.click('.record-printable')]);
  assert.equal(printable.suggestedFilename(), 'winter.html');
  const page = fs.readFileSync(await printable.path(), 'utf8');
  assert.match(page, /^<!doctype html>/i);
  assert.match(page, /Flu clinics start on Monday\./);

  // Someone without a token sees the token screen; pasting one signs them in.
  const sam = await browser.openPage({ url: `${server.url}/`, name: 'Sam Ortiz' });
  const S = sam.page;
  await S.waitForSelector('#token-form', { timeout: WAIT });
  assert.equal(await S.evaluate(() => document.activeElement.name), 'token', 'the focus is on the token field');
  await S.fill('#token-form textarea', 'not-a-token');
  await S.click('#token-form button[type="submit"]');
  await S.waitForSelector('#token-form [aria-invalid]', { timeout: WAIT });
  await S.fill('#token-form textarea', token(claims('officer-7', 'Sam Ortiz', 'essex-police')));
  await S.click('#token-form button[type="submit"]');
  await waitOnline(S);
  assert.equal(await S.textContent('#me-org'), 'essex-police');
  await joinRoom(S, 'winter');

  // Signing out forgets the token: the tab is back on the token screen, and stays there on reload.
  await S.click('#signout');
  await S.waitForSelector('#token-form', { timeout: WAIT });
  assert.equal(await S.evaluate(() => sessionStorage.length), 0);
  await S.reload();
  await S.waitForSelector('#token-form', { timeout: WAIT });

  for (const p of [priya, sam]) assert.deepEqual(p.problems, [], `${p.name}: no script errors or CSP violations`);
});
