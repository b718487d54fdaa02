// Sessions lapse when unused (--session-days; here --test-session-seconds 2), on both stores: a token
// not used for longer than that gets exactly the answer of a bad token (401 on HTTP, unauthenticated
// on hello), while one in use keeps working, and so does one held by an open connection. The stored
// last use is refreshed now and then, not per request; lapsed sessions are deleted (SQLite: by the sweep; Redis: their keys expire).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { request, setupAdmin, startAccountsServer } from '../lib/accounts_http.mjs';
import { connect } from '../lib/client.mjs';
import { waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, killAll, scaled, sleep } from '../lib/server.mjs';

const LIFETIME_S = 2;
const stops = [];
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await killAll();
});

async function hello(server, token) {
  const c = await connect(server.wsUrl, { label: 'hello' });
  try {
    return await c.request({ type: 'hello', token });
  } finally {
    await c.close();
  }
}

// A second session of the administrator (the `token` frame), used for nothing after.
async function anotherSession(server, token) {
  const c = await connect(server.wsUrl, { label: 'admin' });
  try {
    assert.equal((await c.request({ type: 'hello', token })).type, 'welcome');
    const reply = await c.request({ type: 'token' });
    assert.equal(reply.type, 'token', JSON.stringify(reply));
    return reply.token;
  } finally {
    await c.close();
  }
}

for (const backend of ['embedded', 'redis']) {
  describe(`sessions lapse when unused (${backend})`, { timeout: scaled(60000) }, () => {
    test('an unused session is refused like a bad token; one in use keeps working', async () => {
      const args = [...UNTHROTTLED, '--test-session-seconds', String(LIFETIME_S)];
      let redis = null;
      if (backend === 'redis') {
        redis = await startRedis();
        stops.push(() => redis.stop());
        args.push('--redis', redis.url);
      }
      const server = await startAccountsServer({ args });
      stops.push(() => server.stop());
      const admin = await setupAdmin(server);
      const idle = await anotherSession(server, admin.token);
      assert.equal((await request(server, '/api/me', { token: idle })).status, 200);
      // A third session, only held open by a connection that says nothing more after its hello.
      const open = await anotherSession(server, admin.token);
      const tab = await connect(server.wsUrl, { label: 'open tab' });
      assert.equal((await tab.request({ type: 'hello', token: open })).type, 'welcome');

      // The administrator's own session is used every 300 ms, well past the lifetime.
      const until = Date.now() + LIFETIME_S * 1000 + 1500;
      while (Date.now() < until) {
        const me = await request(server, '/api/me', { token: admin.token });
        assert.equal(me.status, 200, `a session in use lapsed: ${me.text}`);
        await sleep(300);
      }
      assert.equal((await hello(server, admin.token)).type, 'welcome');
      // An open connection is use too: its session outlived the lifetime, and reconnecting works.
      assert.equal((await hello(server, open)).type, 'welcome', 'a session held open by a connection lapsed');
      await tab.close();

      // The idle one: the answers of a token that never existed, over HTTP and on hello.
      const bad = crypto.randomBytes(32).toString('base64url');
      const [lapsedMe, badMe] = [await request(server, '/api/me', { token: idle }), await request(server, '/api/me', { token: bad })];
      assert.equal(lapsedMe.status, 401);
      assert.deepEqual({ status: lapsedMe.status, body: lapsedMe.json() }, { status: badMe.status, body: badMe.json() });
      const [lapsedHello, badHello] = [await hello(server, idle), await hello(server, bad)];
      assert.equal(lapsedHello.type, 'error');
      assert.equal(lapsedHello.code, 'unauthenticated');
      assert.deepEqual({ ...lapsedHello, re: null }, { ...badHello, re: null });
      assert.equal((await request(server, '/api/audit', { token: idle })).status, 401);

      // And it is gone from the store, not only refused.
      if (redis) {
        const hash = crypto.createHash('sha256').update(idle).digest('hex');
        assert.equal(await redis.command(`EXISTS outloud:{accounts}:token:${hash}`), ':0');
      } else {
        await waitUntil(() => /sessions: deleted \d+ unused/.test(server.stderr),
          { what: 'the sweep to delete the lapsed session', timeoutMs: scaled(5000) });
      }
      const admins = await connect(server.wsUrl, { label: 'sessions' });
      try {
        assert.equal((await admins.request({ type: 'hello', token: admin.token })).type, 'welcome');
        const listed = await admins.request({ type: 'sessions' });
        // Its own, and the one the open connection held.
        assert.equal(listed.sessions.length, 2, JSON.stringify(listed));
        assert.equal(listed.sessions.filter((x) => x.current).length, 1);
      } finally {
        await admins.close();
      }
    });
  });
}
