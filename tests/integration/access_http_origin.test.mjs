// access.md "Origins", in every mode: a WebSocket upgrade or a POST whose Origin is neither the
// server's own (--public-url, or the Host it was reached on) nor an --allowed-origin gets 403; a
// request without Origin is judged by its credentials alone.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect } from '../lib/client.mjs';
import { post, request, startAccountsServer } from '../lib/accounts_http.mjs';
import { freePort, killAll, scaled, startServer } from '../lib/server.mjs';

after(killAll);

async function upgradeStatus(server, headers) {
  try {
    const client = await connect(server.wsUrl, { headers });
    await client.close();
    return 101;
  } catch (e) {
    if (e.statusCode) return e.statusCode;
    throw e;
  }
}

for (const mode of ['accounts', 'open']) {
  describe(`--auth ${mode}`, { timeout: scaled(60000) }, () => {
    test('forged, cross-site, null and same-host-other-port origins get 403; its own and none pass', async () => {
      const server = await startServer({ args: ['--auth', mode] });
      const own = `http://127.0.0.1:${server.port}`;
      const otherPort = `http://127.0.0.1:${await freePort()}`;
      const refused = ['http://evil.example', 'null', otherPort, `https://127.0.0.1:${server.port}.evil.example`,
        `http://localhost:${server.port}`, `${own}/`, 'file://', ''];
      for (const origin of refused) {
        assert.equal(await upgradeStatus(server, { Origin: origin }), 403, `upgrade with Origin ${origin}`);
        const res = await post(server, '/api/redeem', { code: 'x', name: 'y' }, { origin });
        assert.equal(res.status, 403, `POST with Origin ${origin}`);
      }
      // A forged Host does not make a foreign origin its own when the two differ.
      assert.equal((await post(server, '/api/redeem', { code: 'x', name: 'y' }, { origin: 'http://evil.example', host: `127.0.0.1:${server.port}` })).status, 403);
      // Its own origin, and no Origin at all (not a browser), go on to the endpoint.
      assert.equal(await upgradeStatus(server, { Origin: own }), 101);
      assert.equal(await upgradeStatus(server, {}), 101);
      const expected = 404;  // a made-up code in accounts mode; no such endpoint in open mode
      assert.equal((await post(server, '/api/redeem', { code: 'x', name: 'y' }, { origin: own })).status, expected);
      assert.equal((await post(server, '/api/redeem', { code: 'x', name: 'y' })).status, expected);
      // GETs are not refused for their Origin (the page's own scripts and images).
      assert.equal((await request(server, '/healthz', { origin: 'http://evil.example' })).status, 200);
      await server.stop();
    });
  });
}

describe('--public-url and --allowed-origin', { timeout: scaled(60000) }, () => {
  test('those origins pass besides the Host; others still get 403', async () => {
    const server = await startAccountsServer({ args: ['--public-url', 'https://chat.example.org',
      '--allowed-origin', 'https://intranet.example.net:8443', '--allowed-origin', 'http://tools.example.org'] });
    for (const origin of ['https://chat.example.org', 'https://intranet.example.net:8443', 'http://tools.example.org',
      `http://127.0.0.1:${server.port}`]) {
      assert.equal(await upgradeStatus(server, { Origin: origin }), 101, origin);
      assert.equal((await post(server, '/api/redeem', { code: 'x', name: 'y' }, { origin })).status, 404, origin);
    }
    for (const origin of ['http://chat.example.org', 'https://intranet.example.net', 'https://evil.chat.example.org']) {
      assert.equal(await upgradeStatus(server, { Origin: origin }), 403, origin);
      assert.equal((await post(server, '/api/redeem', { code: 'x', name: 'y' }, { origin })).status, 403, origin);
    }
    await server.stop();
  });

  test('an https --public-url makes the session cookie Secure', async () => {
    const { setupAdmin, sessionCookie } = await import('../lib/accounts_http.mjs');
    const server = await startAccountsServer({ args: ['--public-url', 'https://chat.example.org'] });
    const { res } = await setupAdmin(server);
    assert.equal(sessionCookie(res).attributes.secure, true);
    assert.match(server.stderr, /first run: open https:\/\/chat\.example\.org\/setup\?code=/);
    await server.stop();
  });

  test('bad values are refused at start (exit 2)', async () => {
    for (const args of [['--allowed-origin', 'evil.example'], ['--allowed-origin', 'http://a.org/path'],
      ['--public-url', 'ftp://a.org'], ['--smtp', 'smtp://127.0.0.1:25'], ['--smtp', 'http://x', '--public-url', 'http://a.org'],
['--max-failed-attempts', '-1']]) {
      await assert.rejects(startServer({ args, readyTimeoutMs: scaled(3000) }), new RegExp('exited \\(code 2'), args.join(' '));
    }
  });
});
