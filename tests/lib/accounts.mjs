// Accounts mode (access.md) for the frame tests: a server started with --auth accounts whose first
// administrator comes through the first-run setup link (POST /api/setup), and people made the way
// the contract makes them: an invitation (the `invite` frame) redeemed over POST /api/redeem.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { post, startAccountsServer as startServerWithAccounts, waitForSetupLink } from './accounts_http.mjs';
import { connect } from './client.mjs';
import { untilNodesHearEachOther } from './cluster.mjs';
import { startRedis } from './redis.mjs';
import { UNTHROTTLED } from './server.mjs';

// A server in accounts mode and its first administrator's session token.
export async function startAccountsServer({ args = [], adminOrg = 'council', ...options } = {}) {
  const server = await startServerWithAccounts({ args: [...UNTHROTTLED, ...args], ...options });
  const { code } = await waitForSetupLink(server);
  const res = await post(server, '/api/setup', { code, name: 'Ada Admin', org: adminOrg, org_name: adminOrg });
  assert.equal(res.status, 200, `setup: ${res.status} ${res.text}`);
  return { server, adminToken: res.json().token };
}

// One accounts-mode server for a test file, with its administrator signed in as `suite.admin`;
// `prepare(suite)` then runs in the same hook (the file's people, orgs and rooms).
// `backend: 'redis'` keeps everything (accounts, rooms, messages) in a redis-server started for the file.
export function accountsServerForFile({ prepare, backend = 'embedded', ...options } = {}) {
  const suite = { server: null, admin: null, adminToken: null, clients: [], redis: null };
  before(async () => {
    if (backend === 'redis') {
      suite.redis = await startRedis();
      options = { ...options, args: ['--redis', suite.redis.url, ...(options.args ?? [])] };
    }
    ({ server: suite.server, adminToken: suite.adminToken } = await startAccountsServer(options));
    // Its own notices come back to it through Redis too.
    if (suite.redis) await untilNodesHearEachOther([suite.server]);
    suite.admin = await suite.signIn(suite.adminToken, 'admin');
    if (prepare) await prepare(suite);
  });
  after(async () => {
    await Promise.all(suite.clients.map((c) => c.close()));
    await suite.server?.stop();
    await suite.redis?.stop();
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
    const res = await post(suite.server, '/api/redeem', { code, name });
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
