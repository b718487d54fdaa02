// The web client's HTTP module (clients/web/api.js) under Node, against the real server: what the
// page decides from GET /api/me.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { whoAmI } from '../../clients/web/api.js';
import { setupAdmin, startAccountsServer } from '../lib/accounts_http.mjs';
import { killAll, scaled } from '../lib/server.mjs';

let server;
const realFetch = globalThis.fetch;

before(async () => {
  server = await startAccountsServer({ args: ['--max-failed-token-checks', '2'] });
  // The module asks with a path, as a page does: send it to this server.
  globalThis.fetch = (path, options) => realFetch(new URL(path, server.url), options);
});
after(async () => {
  globalThis.fetch = realFetch;
  await killAll();
});

test('a wrong token past its address\'s limit reads as signed out, so the page offers sign-in', { timeout: scaled(30000) }, async () => {
  const admin = await setupAdmin(server);
  assert.equal((await whoAmI(admin.token)).user.id, admin.user.id);
  const stale = 'x'.repeat(43);
  for (let i = 0; i < 2; i++) assert.deepEqual(await whoAmI(stale), { user: null, auth: 'accounts', setup: false });
  // The third is refused as rate limited (429); the page still learns it is not signed in.
  const res = await realFetch(new URL('/api/me', server.url), { headers: { Authorization: `Bearer ${stale}` } });
  assert.equal(res.status, 429);
  assert.deepEqual(await whoAmI(stale), { user: null, auth: 'accounts', setup: false });
  // And the right token still works from there.
  assert.equal((await whoAmI(admin.token)).user.id, admin.user.id);
});
