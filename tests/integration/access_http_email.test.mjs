// access.md "Email link" with a real SMTP server started by the test: POST /api/sign-in always
// answers 202 with the same body; an address of an organisation's domain gets an email holding
// <public-url>/#sign-in=<code>; opening the link uses nothing up; confirming it signs in once.
// Then, with the people this makes: the audit log is for administrators only, the record's guard,
// and sign-out ending the session at once and closing the socket signed in with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from '../lib/client.mjs';
import { SESSION_COOKIE, post, request, sessionCookie, setupAdmin, startAccountsServer } from '../lib/accounts_http.mjs';
import { startSmtp } from '../lib/smtp.mjs';
import { UNTHROTTLED, freePort, killAll, scaled } from '../lib/server.mjs';

after(killAll);

/** A WebSocket signed in with `token` (hello {"token"}), as the command-line client does. */
async function connectWithToken(server, token, label) {
  const client = await connect(server.wsUrl, { label });
  const reply = await client.request({ type: 'hello', token });
  assert.equal(reply.type, 'welcome', JSON.stringify(reply));
  client.user = reply.user;
  return client;
}

function linkIn(mail) {
  const m = /(http:\/\/\S+)\/#sign-in=([A-Za-z0-9_-]+)/.exec(mail.raw);
  assert.ok(m, `no sign-in link in:\n${mail.raw}`);
  return { url: `${m[1]}/#sign-in=${m[2]}`, base: m[1], code: m[2] };
}

describe('email sign-in over real SMTP', { timeout: scaled(90000) }, () => {
  let smtp;
  let server;
  let admin;
  let adminWs;
  let publicUrl;

  before(async () => {
    smtp = await startSmtp();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    server = await startAccountsServer({ port, args: [...UNTHROTTLED, '--smtp', smtp.url, '--public-url', publicUrl] });
    admin = await setupAdmin(server);
    adminWs = await connectWithToken(server, admin.token, 'admin');
    const org = await adminWs.request({ type: 'org', org: { id: 'essex-cc', name: 'Essex County Council', domains: ['essex.gov.uk'] } });
    assert.equal(org.type, 'org', JSON.stringify(org));
  });
  after(async () => {
    await adminWs?.close();
    await server?.stop();
    await smtp?.stop();
  });

  async function signIn(email, name) {
    const asked = await post(server, '/api/sign-in', { email });
    assert.equal(asked.status, 202);
    const mail = await smtp.waitFor(email);
    smtp.messages.splice(smtp.messages.indexOf(mail), 1);
    const { code } = linkIn(mail);
    const res = await post(server, '/api/sign-in/confirm', { code, name });
    assert.equal(res.status, 200, res.text);
    return { ...res.json(), cookie: `${SESSION_COOKIE}=${sessionCookie(res).value}` };
  }

  test('202 and the same body whoever asks; the email holds the link; opening it uses nothing up', async () => {
    const known = await post(server, '/api/sign-in', { email: 'ann@essex.gov.uk' });
    const unknown = await post(server, '/api/sign-in', { email: 'nobody@elsewhere.example' });
    const invalid = await post(server, '/api/sign-in', { email: 'not an address' });
    for (const res of [known, unknown, invalid]) {
      assert.equal(res.status, 202);
      assert.equal(res.text, known.text);
      assert.equal(res.headers['content-type'], known.headers['content-type']);
    }
    const mail = await smtp.waitFor('ann@essex.gov.uk');
    smtp.messages.splice(smtp.messages.indexOf(mail), 1);
    assert.match(mail.raw, /^Subject: .*sign-in link/m);
    const link = linkIn(mail);
    assert.equal(link.base, publicUrl);
    assert.match(link.code, /^[A-Za-z0-9_-]{43}$/);
    assert.match(mail.raw, /15 minutes/);

    // Opening the link is a GET of the page: it changes nothing.
    const page = await request(server, '/', { headers: { Referer: link.url } });
    assert.equal(page.status, 200);
    const res = await post(server, '/api/sign-in/confirm', { code: link.code, name: 'Ann Example' });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.user.name, 'Ann Example');
    assert.equal(body.user.org, 'essex-cc', 'the organisation comes from the verified domain');
    assert.equal(body.user.admin, undefined);
    assert.equal(sessionCookie(res).value, body.token);
    const me = await request(server, '/api/me', { token: body.token });
    assert.equal(me.json().user.id, body.user.id);
    // Used: the same answer as a made-up code.
    const again = await post(server, '/api/sign-in/confirm', { code: link.code });
    const madeUp = await post(server, '/api/sign-in/confirm', { code: link.code.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
    assert.equal(again.status, 404);
    assert.equal(again.text, madeUp.text);
    // An address of no organisation got no email.
    assert.ok(!smtp.messages.some((m) => m.to.includes('nobody@elsewhere.example')));
    // Signing in again with the same address finds the same account.
    const second = await signIn('ann@essex.gov.uk');
    assert.equal(second.user.id, body.user.id);
    assert.equal(second.user.name, 'Ann Example');
  });

  test('one address gets at most 5 sign-in emails in 15 minutes, however many clients ask', async () => {
    const target = 'bombed@essex.gov.uk';
    // Each from another client address, so the per-address limit never applies: only the per-recipient one does.
    for (let i = 0; i < 8; i++) {
      const email = i % 2 ? target.toUpperCase() : target;  // one recipient however it is written
      assert.equal((await post(server, '/api/sign-in', { email }, { localAddress: `127.0.3.${i + 1}` })).status, 202);
    }
    // Mail goes out in order: once a later address's email came, every one for the target that was sent has come.
    assert.equal((await post(server, '/api/sign-in', { email: 'later@essex.gov.uk' }, { localAddress: '127.0.3.20' })).status, 202);
    await smtp.waitFor('later@essex.gov.uk');
    assert.equal(smtp.messages.filter((m) => m.to.includes(target)).length, 5);
  });

  test('the audit log: administrators only', async () => {
    const ann = await signIn('ann@essex.gov.uk');
    const denied = await request(server, '/api/audit', { token: ann.token });
    assert.equal(denied.status, 403);
    assert.equal((await request(server, '/api/audit?format=csv', { cookie: ann.cookie })).status, 403);
    const events = (await request(server, '/api/audit', { token: admin.token })).json().events;
    assert.ok(events.some((e) => e.action === 'sign_in' && e.actor?.id === ann.user.id));
  });

  test('the record: the owner, facilitators and administrators; a member 403; others 404; audited', async () => {
    const owner = await signIn('olu@essex.gov.uk', 'Olu Owner');
    const member = await signIn('mo@essex.gov.uk', 'Mo Member');
    const outsider = await signIn('otto@essex.gov.uk', 'Otto');
    const ownerWs = await connectWithToken(server, owner.token, 'owner');
    const room = `record-${process.pid}`;
    const priv = `private-${process.pid}`;
    assert.equal((await ownerWs.request({ type: 'create', room, title: 'Record' })).type, 'created');
    assert.equal((await ownerWs.request({ type: 'create', room: priv, title: 'Private' })).type, 'created');
    assert.equal((await ownerWs.request({ type: 'room', room: priv, visibility: 'private' })).type, 'ok');
    const memberWs = await connectWithToken(server, member.token, 'member');
    assert.equal((await memberWs.request({ type: 'join', room })).type, 'joined');

    const path = `/api/rooms/${room}/export.md`;
    const ok = await request(server, path, { cookie: owner.cookie });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.headers['content-type'], /text\/markdown/);
    assert.equal((await request(server, path, { token: admin.token })).status, 200);
    assert.equal((await request(server, path, { token: member.token })).status, 403);
    assert.equal((await request(server, path)).status, 401);
    const hidden = await request(server, `/api/rooms/${priv}/export.md`, { token: outsider.token });
    const missing = await request(server, '/api/rooms/no-such-room-at-all/export.md', { token: outsider.token });
    assert.equal(hidden.status, 404);
    assert.equal(missing.status, 404);
    const events = (await request(server, '/api/audit', { token: admin.token })).json().events;
    const exports = events.filter((e) => e.action === 'export' && e.target === room);
    assert.ok(exports.some((e) => e.actor.id === owner.user.id), JSON.stringify(events.slice(0, 5)));
    assert.ok(exports.some((e) => e.actor.id === admin.user.id));
    await ownerWs.close();
    await memberWs.close();
  });

  test('sign-out: the token fails at once and the socket signed in with it is closed', async () => {
    const ann = await signIn('ann@essex.gov.uk');
    const other = await signIn('ann@essex.gov.uk');  // another session of the same person stays
    const ws = await connectWithToken(server, ann.token, 'ann');
    const otherWs = await connectWithToken(server, other.token, 'ann-2');
    const started = Date.now();
    const res = await post(server, '/api/sign-out', {}, { cookie: ann.cookie });
    assert.equal(res.status, 200, res.text);
    assert.equal((await request(server, '/api/me', { token: ann.token })).status, 401);
    const closed = await Promise.race([ws.closed, new Promise((r) => setTimeout(() => r(null), scaled(2000)))]);
    assert.ok(closed, 'the socket signed in with that token is closed');
    console.log(`[figure] sign-out to socket closed: ${Date.now() - started} ms`);
    assert.equal((await request(server, '/api/me', { token: other.token })).status, 200);
    assert.equal((await otherWs.sync()).type, 'pong');
    const retry = await connect(server.wsUrl);
    const reply = await retry.request({ type: 'hello', token: ann.token });
    assert.equal(reply.code, 'unauthenticated');
    await retry.close();
    await otherWs.close();
  });
});
