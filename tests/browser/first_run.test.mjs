// The first-run page on a node that has just started, in real headless Chromium: while the node
// cannot yet tell whether it is set up (its Redis not reached), GET /api/me answers 503 and the page
// says it cannot reach OutLoud, never the sign-in form of a server that is set up; once Redis
// answers, the page finds out by itself (no click) that setup is due, and the setup link opens the
// setup form.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { launchBrowser, untilText } from '../lib/browser.mjs';
import { waitForSetupLink } from '../lib/accounts_http.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, freePort, killAll, scaled, startServer } from '../lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = process.env.OUTLOUD_WEB_ROOT || path.resolve(here, '../../clients/web');

let redisPort;
let redis;
let server;
let browser;

before(async () => {
  redisPort = await freePort();
  server = await startServer({ nodeId: 'first-run-node',
    args: [...UNTHROTTLED, '--auth', 'accounts', '--redis', `redis://127.0.0.1:${redisPort}`, '--web-root', WEB_ROOT] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await redis?.stop();
  await killAll();
});

test('a page opened before the node knows whether it is set up waits, then shows setup', { timeout: scaled(60000) }, async () => {
  const person = await browser.openPage({ url: server.url, name: 'Ada Admin', expectedConsoleErrors: /status of 503/ });
  await untilText(person.page, '#auth-title', 'Cannot reach OutLoud');

  redis = await startRedis({ port: redisPort });
  await untilText(person.page, '#auth-title', 'OutLoud is not set up yet');

  const { url } = await waitForSetupLink(server);
  await person.page.goto(url);
  await person.page.waitForSelector('#setup-form', { timeout: scaled(10000) });
});
