// access.md over HTTP: first run and setup, GET /api/me, sign-out, the session cookie, the audit
// log's endpoint, the record's guard without a session, and per-address limits on failed attempts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { connect } from '../lib/client.mjs';
import { waitUntil } from '../lib/cluster.mjs';
import { SESSION_COOKIE, post, request, sessionCookie, setupAdmin, setupLinks, startAccountsServer,
  waitForSetupLink } from '../lib/accounts_http.mjs';
import { UNTHROTTLED, binPath, killAll, scaled } from '../lib/server.mjs';

after(killAll);

const randomCode = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

describe('first run and setup', { timeout: scaled(60000) }, () => {
  test('a setup link is printed on each start until one is used; any works once, then all answer 404', async () => {
    let server = await startAccountsServer({ args: UNTHROTTLED });
    const first = await waitForSetupLink(server);
    assert.match(first.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/setup\\?code=[A-Za-z0-9_-]{43}$`));
    // The link opens the web client (GET uses nothing up).
    const page = await request(server, new URL(first.url).pathname + new URL(first.url).search);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);
    let me = await request(server, '/api/me');
    assert.equal(me.status, 401);
    assert.deepEqual({ auth: me.json().auth, setup: me.json().setup }, { auth: 'accounts', setup: true });

    // Not used: a restart prints a link again (a new one; the first, perhaps handed out already,
    // keeps working until one of them is used).
    await server.stop();
    server = await server.restart();
    const second = await waitForSetupLink(server);
    assert.notEqual(second.code, first.code);

    const res = await post(server, '/api/setup', { code: first.code, name: 'Ada Admin', org: 'essex-cc', org_name: 'Essex County Council' });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.user.name, 'Ada Admin');
    assert.equal(body.user.org, 'essex-cc');
    assert.equal(body.user.admin, true);
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
    const cookie = sessionCookie(res);
    assert.ok(cookie, 'setup sets the session cookie');
    assert.equal(cookie.value, body.token);
    assert.equal(cookie.attributes.httponly, true);
    assert.equal(cookie.attributes.samesite, 'Lax');
    assert.equal(cookie.attributes.path, '/');
    assert.equal(cookie.attributes.secure, undefined, 'no Secure without an https --public-url');

    // Used: 404, with the same code again or the other one; and no link on the next start.
    for (const code of [first.code, second.code]) {
      const again = await post(server, '/api/setup', { code, name: 'Eve', org: 'evil', org_name: 'Evil' });
      assert.equal(again.status, 404);
      assert.equal(again.json().error, 'not_found');
    }
    me = await request(server, '/api/me', { cookie: `${SESSION_COOKIE}=${body.token}` });
    assert.equal(me.status, 200);
    assert.equal(me.json().user.id, body.user.id);
    assert.equal(me.json().user.admin, true);
    assert.equal(me.json().auth, 'accounts');

    await server.stop();
    server = await server.restart();
    await request(server, '/healthz');
    const unauth = await request(server, '/api/me');
    assert.equal(unauth.json().setup, false);
    assert.equal(setupLinks(server).length, 0, `no setup link once used:\n${server.stderr}`);
    await server.stop();
  });

  test('a bad body is refused with 400 and uses nothing up', async () => {
    const server = await startAccountsServer();
    const { code } = await waitForSetupLink(server);
    const bad = [
      ['not JSON', '{"code":'],
      ['an array', '[]'],
      ['a number field', JSON.stringify({ code, name: 1, org: 'a', org_name: 'A' })],
      ['an unknown field', JSON.stringify({ code, name: 'A', org: 'a', org_name: 'A', admin: 'yes' })],
      ['a missing field', JSON.stringify({ code, name: 'A', org: 'a' })],
      ['a duplicate field', `{"code":"${code}","name":"A","org":"a","org_name":"A","org":"b"}`],
      ['trailing data', `${JSON.stringify({ code, name: 'A', org: 'a', org_name: 'A' })} {}`],
    ];
    for (const [what, body] of bad) {
      const res = await post(server, '/api/setup', body);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
      assert.equal(res.json().error, 'bad_request', what);
    }
    const form = await post(server, '/api/setup', `code=${code}`, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415, 'a form post is not JSON');
    const huge = await post(server, '/api/setup', { code, name: 'A'.repeat(8000), org: 'a', org_name: 'A' });
    assert.equal(huge.status, 413);
    const invalid = await post(server, '/api/setup', { code, name: 'A', org: 'Not A Slug!', org_name: 'A' });
    assert.equal(invalid.status, 400);
    // The code still works.
    const ok = await post(server, '/api/setup', { code, name: 'Ada', org: 'essex-cc', org_name: 'Essex' });
    assert.equal(ok.status, 200, ok.text);
    await server.stop();
  });
});

// A server for the tests of one `describe`, set up by its first administrator.
function serverWithAdmin() {
  const ctx = { server: null, admin: null };
  before(async () => {
    ctx.server = await startAccountsServer({ args: UNTHROTTLED });
    ctx.admin = await setupAdmin(ctx.server);
  });
  after(() => ctx.server?.stop());
  return ctx;
}

describe('sessions over HTTP', { timeout: scaled(60000) }, () => {
  const ctx = serverWithAdmin();

  test('GET /api/me: the cookie or a bearer token; 401 without, or with a bad one', async () => {
    const { server, admin } = ctx;
    for (const options of [{ cookie: admin.cookie }, { token: admin.token }, { cookie: `a=1; ${admin.cookie}; b=2` }]) {
      const res = await request(server, '/api/me', options);
      assert.equal(res.status, 200, JSON.stringify(options));
      assert.deepEqual(res.json().user, { ...admin.user });
      assert.equal(res.headers['cache-control'], 'no-store');
      // A session lapses when unused (--session-days 30): a browser using it has its cookie renewed.
      const renewed = sessionCookie(res);
      if (options.cookie) {
        assert.equal(renewed?.value, admin.token);
        assert.equal(renewed.attributes['max-age'], String(30 * 24 * 3600));
      } else {
        assert.equal(renewed, null, 'no cookie for a bearer');
      }
    }
    for (const options of [{}, { token: randomCode() }, { cookie: `${SESSION_COOKIE}=${randomCode()}` }, { token: 'x'.repeat(5000) }]) {
      const res = await request(server, '/api/me', options);
      assert.equal(res.status, 401, JSON.stringify(options).slice(0, 100));
      assert.equal(res.json().auth, 'accounts');
    }
    const post_ = await post(server, '/api/me', {}, { cookie: admin.cookie });
    assert.equal(post_.status, 405);
  });

  test('POST /api/sign-out: the token stops working at once and the cookie is cleared', async () => {
    const { server, admin } = ctx;
    const res = await post(server, '/api/sign-out', {}, { cookie: admin.cookie });
    assert.equal(res.status, 200, res.text);
    const cleared = sessionCookie(res);
    assert.ok(cleared, 'the cookie is cleared');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attributes['max-age'], '0');
    for (const options of [{ cookie: admin.cookie }, { token: admin.token }]) {
      assert.equal((await request(server, '/api/me', options)).status, 401);
    }
    assert.equal((await post(server, '/api/sign-out', {}, { token: admin.token })).status, 401);
    assert.equal((await request(server, '/api/audit', { token: admin.token })).status, 401);
    const ws = await connect(server.wsUrl, { headers: { Cookie: admin.cookie } });
    const reply = await ws.request({ type: 'hello' });
    assert.equal(reply.type, 'error');
    assert.equal(reply.code, 'unauthenticated');
    await ws.close();
  });
});

describe('the audit log and the record without a session', { timeout: scaled(60000) }, () => {
  const ctx = serverWithAdmin();

  test('GET /api/audit: newest first, paged with before/limit, JSON or CSV', async () => {
    const { server, admin } = ctx;
    const res = await request(server, '/api/audit', { cookie: admin.cookie });
    assert.equal(res.status, 200, res.text);
    const { events, next } = res.json();
    const actions = events.map((e) => e.action);
    assert.ok(actions.includes('setup'), actions.join());
    assert.ok(actions.includes('sign_in'), actions.join());
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].ts > events[i].ts, 'newest first');
    const setup = events.find((e) => e.action === 'setup');
    assert.equal(setup.actor.id, admin.user.id);
    assert.equal(next, events.at(-1).ts);

    const page1 = (await request(server, '/api/audit?limit=1', { token: admin.token })).json();
    assert.equal(page1.events.length, 1);
    assert.deepEqual(page1.events[0], events[0]);
    const page2 = (await request(server, `/api/audit?limit=1&before=${page1.next}`, { token: admin.token })).json();
    assert.deepEqual(page2.events[0], events[1]);

    const csv = await request(server, '/api/audit?format=csv', { token: admin.token });
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], /attachment; filename="outloud-audit\.csv"/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'ts,time,actor_id,actor_name,actor_org,action,target,detail');
    assert.ok(lines.some((l) => l.includes(',setup,')), csv.text);

    for (const query of ['limit=0', 'limit=x', 'before=-1', 'format=xml']) {
      assert.equal((await request(server, `/api/audit?${query}`, { token: admin.token })).status, 400, query);
    }
    assert.equal((await request(server, '/api/audit')).status, 401);
  });

  test('the record: 401 without a session; a room that is not there: 404', async () => {
    const { server, admin } = ctx;
    const none = await request(server, '/api/rooms/anything/export.md');
    assert.equal(none.status, 401);
    const bad = await request(server, '/api/rooms/anything/export.md', { token: randomCode() });
    assert.equal(bad.status, 401);
    const missing = await request(server, '/api/rooms/no-such-room/export.md', { token: admin.token });
    assert.equal(missing.status, 404);
  });
});

describe('more than 10 failed attempts a minute from one address get 429', { timeout: scaled(60000) }, () => {
  test('guessing invitation codes: 10 tries, then 429 even for the right code; another address is not affected', async () => {
    const server = await startAccountsServer({ args: UNTHROTTLED });
    const { code } = await waitForSetupLink(server);
    // Concurrent guesses cannot slip past the limit: 30 at once, at most 10 are judged.
    const answers = await Promise.all(Array.from({ length: 30 }, () => post(server, '/api/redeem', { code: randomCode(), name: 'Guesser' })));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 404).length, 10, statuses.join());
    assert.equal(statuses.filter((s) => s === 429).length, 20, statuses.join());
    const limited = answers.find((r) => r.status === 429);
    assert.equal(limited.headers['retry-after'], '60');
    assert.equal(limited.json().error, 'rate_limited');
    // Every kind of attempt is refused now, even a right code (the limit holds).
    assert.equal((await post(server, '/api/setup', { code, name: 'Ada', org: 'essex-cc', org_name: 'Essex' })).status, 429);
    assert.equal((await post(server, '/api/sign-in/confirm', { code: randomCode() })).status, 429);
    assert.equal((await post(server, '/api/redeem', { code: randomCode(), name: 'Guesser' })).status, 429);
    // From another address (127.0.0.2 is loopback too) the right code still works.
    const other = await post(server, '/api/setup', { code, name: 'Ada', org: 'essex-cc', org_name: 'Essex' }, { localAddress: '127.0.0.2' });
    assert.equal(other.status, 200, other.text);
    // A bad body guesses nothing and does not count.
    for (let i = 0; i < 15; i++) {
      assert.equal((await post(server, '/api/redeem', { code: 1 }, { localAddress: '127.0.0.3' })).status, 400);
    }
    assert.equal((await post(server, '/api/redeem', { code: randomCode(), name: 'X' }, { localAddress: '127.0.0.3' })).status, 404);
    // The limit is in the audit log.
    const audit = (await request(server, '/api/audit?limit=500', { token: other.json().token })).json();
    assert.ok(audit.events.some((e) => e.action === 'sign_in_failed' && e.target === '127.0.0.1'), JSON.stringify(audit.events.slice(0, 5)));
    await server.stop();
  });

  test('behind a --trusted-proxy each client its X-Forwarded-For names is counted apart; from anyone else the header is not believed', async () => {
    const server = await startAccountsServer({ args: ['--max-failed-attempts', '3', '--trusted-proxy', '127.0.0.1', '--trusted-proxy', '10.0.0.0/8'] });
    const guess = (forwarded, localAddress) => post(server, '/api/redeem', { code: randomCode(), name: 'G' },
      { headers: { 'X-Forwarded-For': forwarded }, localAddress });
    const statuses = async (forwarded, localAddress, n) => {
      const seen = [];
      for (let i = 0; i < n; i++) seen.push((await guess(forwarded, localAddress)).status);
      return seen;
    };
    // A client's own X-Forwarded-For (left of what the proxies appended) is not believed: 10.x is a proxy, the
    // client is the right-most address that is not one.
    assert.deepEqual(await statuses('6.6.6.6, 203.0.113.7, 10.1.2.3', '127.0.0.1', 4), [404, 404, 404, 429]);
    assert.deepEqual(await statuses('1.1.1.1, 203.0.113.7', '127.0.0.1', 1), [429]);
    // Another client behind the same proxy is not locked out by the first.
    assert.deepEqual(await statuses('203.0.113.8', '127.0.0.1', 1), [404]);
    // 127.0.0.2 is no trusted proxy: its header names nobody, the peer is counted.
    assert.deepEqual(await statuses('203.0.113.9', '127.0.0.2', 4), [404, 404, 404, 429]);
    assert.deepEqual(await statuses('203.0.113.10', '127.0.0.2', 1), [429]);
    // The audit log names the client, not the proxy.
    const { code } = await waitForSetupLink(server);
    const admin = await post(server, '/api/setup', { code, name: 'Ada', org: 'essex-cc', org_name: 'Essex' }, { localAddress: '127.0.0.3' });
    const audit = (await request(server, '/api/audit?limit=500', { token: admin.json().token })).json();
    assert.ok(audit.events.some((e) => e.action === 'sign_in_failed' && e.target === '203.0.113.7'), JSON.stringify(audit.events.slice(0, 5)));
    await server.stop();
  });

  test('--trusted-proxy refuses what is not an address or a network', async () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '']) {
      const r = spawnSync(binPath('outloud-server'), ['--trusted-proxy', bad, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: scaled(10000) });
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--trusted-proxy/);
    }
  });

  test('wrong session tokens (Bearer, cookie, hello) are audited and limited per address; others are not held up', async () => {
    const server = await startAccountsServer({ args: ['--max-failed-token-checks', '3', '--trusted-proxy', '127.0.0.1'] });
    const { code } = await waitForSetupLink(server);
    const admin = (await post(server, '/api/setup', { code, name: 'Ada', org: 'essex-cc', org_name: 'Essex' })).json();
    const from = (client) => ({ headers: { 'X-Forwarded-For': client } });
    const me = async (client, auth) => (await request(server, '/api/me', { ...from(client), ...auth })).status;
    // A made-up Bearer token, a made-up cookie, a made-up token in hello: three failures of 203.0.113.7.
    assert.equal(await me('203.0.113.7', { token: randomCode() }), 401);
    assert.equal(await me('203.0.113.7', { cookie: `${SESSION_COOKIE}=${randomCode()}` }), 401);
    const guesser = await connect(server.wsUrl, from('203.0.113.7'));
    assert.equal((await guesser.request({ type: 'hello', token: randomCode() })).code, 'unauthenticated');
    // Past the limit: from there a wrong token answers 429 with Retry-After, or rate_limited...
    const limited = await request(server, '/api/me', { ...from('203.0.113.7'), token: randomCode() });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '60');
    const refused = await guesser.request({ type: 'hello', token: randomCode() });
    assert.equal(refused.code, 'rate_limited', JSON.stringify(refused));
    // ...while a right one still signs in there (nobody is locked out by a neighbour's guesses)...
    assert.equal(await me('203.0.113.7', { token: admin.token }), 200);
    assert.equal((await guesser.request({ type: 'hello', token: admin.token })).type, 'welcome');
    await guesser.close();
    // ...and another client is not held up, over HTTP or WebSocket; successes never count.
    for (let i = 0; i < 5; i++) assert.equal(await me('203.0.113.8', { token: admin.token }), 200);
    const other = await connect(server.wsUrl, from('203.0.113.8'));
    assert.equal((await other.request({ type: 'hello', token: admin.token })).type, 'welcome');
    await other.close();
    // The audit log holds each failure, with its address, and the address reaching the limit.
    const audit = (await request(server, '/api/audit?limit=500', { token: admin.token })).json();
    const failed = audit.events.filter((e) => e.action === 'sign_in_failed' && e.target === 'session');
    assert.equal(failed.length, 3, JSON.stringify(audit.events.slice(0, 6)));
    for (const e of failed) assert.equal(e.detail, 'unknown, expired or signed-out session token from 203.0.113.7');
    assert.ok(audit.events.some((e) => e.action === 'sign_in_failed' && e.target === '203.0.113.7'
      && e.detail === 'reached 3 failed token checks a minute'), JSON.stringify(audit.events.slice(0, 6)));
    await server.stop();
  });

  test('--max-failed-attempts sets the number', async () => {
    const server = await startAccountsServer({ args: ['--max-failed-attempts', '3'] });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(server, '/api/redeem', { code: randomCode(), name: 'G' })).status);
    assert.deepEqual(statuses, [404, 404, 404, 429, 429]);
    await server.stop();
  });
});
