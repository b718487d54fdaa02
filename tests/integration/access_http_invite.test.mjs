// access.md "Invitation" over HTTP: POST /api/redeem makes the account the invitation describes
// (never what the request says); a used, expired or revoked code gets the same answer as a made-up
// one; and a resident invited as a guest into one room.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { connect } from '../lib/client.mjs';
import { post, request, sessionCookie, setupAdmin, startAccountsServer } from '../lib/accounts_http.mjs';
import { UNTHROTTLED, killAll, scaled } from '../lib/server.mjs';

after(killAll);

async function connectWithToken(server, token, label) {
  const client = await connect(server.wsUrl, { label });
  const reply = await client.request({ type: 'hello', token });
  assert.equal(reply.type, 'welcome', JSON.stringify(reply));
  return client;
}

describe('POST /api/redeem', { timeout: scaled(60000) }, () => {
  let server;
  let admin;
  let adminWs;

  before(async () => {
    server = await startAccountsServer({ args: UNTHROTTLED });
    admin = await setupAdmin(server);
    adminWs = await connectWithToken(server, admin.token, 'admin');
    for (const org of [{ id: 'nhs-trust', name: 'NHS Trust', domains: ['nhs.example'] }, { id: 'resident', name: 'Residents', domains: [] }]) {
      assert.equal((await adminWs.request({ type: 'org', org })).type, 'org');
    }
  });
  after(async () => {
    await adminWs?.close();
    await server?.stop();
  });

  async function invite(fields) {
    const reply = await adminWs.request({ type: 'invite', ...fields });
    assert.equal(reply.type, 'invitation', JSON.stringify(reply));
    return reply.invitation;
  }

  test('the account comes from the invitation; the code then answers like a made-up one', async () => {
    const invitation = await invite({ org: 'nhs-trust' });
    assert.match(invitation.url, /\/#invite=[A-Za-z0-9_-]{43}$/);
    const res = await post(server, '/api/redeem', { code: invitation.code, name: 'Nia Nurse' });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.user.name, 'Nia Nurse');
    assert.equal(body.user.org, 'nhs-trust');
    assert.equal(body.user.guest, undefined);
    assert.equal(sessionCookie(res).value, body.token);
    assert.equal((await request(server, '/api/me', { token: body.token })).json().user.id, body.user.id);
    // A request cannot choose its organisation or make itself an administrator.
    const extra = await post(server, '/api/redeem', { code: invitation.code, name: 'X', org: 'essex-cc' });
    assert.equal(extra.status, 400);

    const used = await post(server, '/api/redeem', { code: invitation.code, name: 'Again' });
    const madeUp = await post(server, '/api/redeem', { code: 'A'.repeat(43), name: 'Again' });
    assert.equal(used.status, 404);
    assert.equal(used.text, madeUp.text);
  });

  test('revoked and expired codes get the same answer as a used one', async () => {
    const madeUp = await post(server, '/api/redeem', { code: 'B'.repeat(43), name: 'Z' });
    const revoked = await invite({ org: 'nhs-trust' });
    assert.equal((await adminWs.request({ type: 'revoke', invitation: revoked.id })).type, 'ok');
    const r1 = await post(server, '/api/redeem', { code: revoked.code, name: 'Z' });
    assert.equal(r1.status, 404);
    assert.equal(r1.text, madeUp.text);

    // Time passing: the test moves the invitation's expiry into the past in the database itself.
    const expired = await invite({ org: 'nhs-trust', hours: 1 });
    await promisify(execFile)('sqlite3', ['-cmd', '.timeout 5000', server.dataPath,
      `UPDATE invitations SET expires_at = 1 WHERE id = '${expired.id}'`]);
    const r2 = await post(server, '/api/redeem', { code: expired.code, name: 'Z' });
    assert.equal(r2.status, 404);
    assert.equal(r2.text, madeUp.text);
  });

  test('a resident invited as a guest into one room is a guest of the invitation\'s organisation', async () => {
    const room = `consult-${process.pid}`;
    assert.equal((await adminWs.request({ type: 'create', room, title: 'Consultation' })).type, 'created');
    const invitation = await invite({ org: 'resident', room, guest: true });
    const res = await post(server, '/api/redeem', { code: invitation.code, name: 'Rae Resident' });
    assert.equal(res.status, 200, res.text);
    const { user, token } = res.json();
    assert.equal(user.guest, true);
    assert.equal(user.org, 'resident');
    const ws = await connectWithToken(server, token, 'resident');
    const rooms = await ws.request({ type: 'rooms' });
    assert.deepEqual(rooms.rooms.map((r) => r.id), [room]);
    assert.equal((await request(server, '/api/audit', { token })).status, 403);
    assert.equal((await request(server, `/api/rooms/${room}/export.md`, { token })).status, 403);
    await ws.close();
  });
});
