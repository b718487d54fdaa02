// Accounts mode (access.md) for the integration tests: a server started with --auth accounts whose
// first administrator is made by the TEST-ONLY flag --test-first-admin, and people made the way the
// contract makes them: an invitation (the `invite` frame) redeemed over POST /api/redeem.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { connect } from './client.mjs';
import { UNTHROTTLED, httpRequest, scaled, sleep, startServer } from './server.mjs';

// Waits (bounded) until the server printed the test administrator's token.
async function adminToken(server, timeoutMs = scaled(10000)) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /test administrator token: (\S+)/.exec(server.stderr);
    if (m) return m[1];
    if (Date.now() > deadline) throw new Error(`no test administrator token printed:\n${server.stderr.slice(-2000)}`);
    await sleep(20);
  }
}

export async function startAccountsServer({ args = [], adminOrg = 'council', ...options } = {}) {
  const server = await startServer({ args: [...UNTHROTTLED, '--auth', 'accounts', '--test-first-admin', adminOrg, ...args], ...options });
  return { server, adminToken: await adminToken(server) };
}

// One accounts-mode server for a test file, with its administrator signed in as `suite.admin`.
export function accountsServerForFile(options = {}) {
  const suite = { server: null, admin: null, adminToken: null, clients: [] };
  before(async () => {
    ({ server: suite.server, adminToken: suite.adminToken } = await startAccountsServer(options));
    suite.admin = await suite.signIn(suite.adminToken, 'admin');
  });
  after(async () => {
    await Promise.all(suite.clients.map((c) => c.close()));
    await suite.server?.stop();
  });
  // A socket signed in with `token` (hello {"token"}).
  suite.signIn = async (token, label = 'person') => {
    const client = await connect(suite.server.wsUrl, { label });
    suite.clients.push(client);
    const reply = await client.request({ type: 'hello', token });
    assert.equal(reply.type, 'welcome', `${label}: hello refused: ${JSON.stringify(reply)}`);
    client.welcome = reply;
    client.user = reply.user;
    client.token = token;
    return client;
  };
  // POST /api/redeem {code, name} → {user, token}.
  suite.redeem = async (code, name) => {
    const res = await httpRequest(`${suite.server.url}/api/redeem`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name }),
    });
    assert.equal(res.status, 200, `redeem: ${res.status} ${res.text}`);
    return res.json();
  };
  // Invited by `inviter` (an `invite` frame with `invite`'s fields), redeemed, signed in.
  suite.person = async (inviter, name, invite) => {
    const reply = await inviter.request({ type: 'invite', ...invite });
    assert.equal(reply.type, 'invitation', `invite ${JSON.stringify(invite)}: ${JSON.stringify(reply)}`);
    const { token } = await suite.redeem(reply.invitation.code, name);
    return suite.signIn(token, name);
  };
  // An organisation made by the administrator.
  suite.org = async (id, name = id, domains = []) => {
    const reply = await suite.admin.request({ type: 'org', org: { id, name, domains } });
    assert.equal(reply.type, 'org', JSON.stringify(reply));
    return reply.org;
  };
  return suite;
}
