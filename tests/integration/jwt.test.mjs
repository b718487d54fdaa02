// protocol.md "The server process": `--auth jwt` with a key. The token's claims make the user
// (sub, name, org); a bad signature, another algorithm, an expired token or a name/org hello are
// `unauthenticated`; the HTTP record needs the token too.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect, uniqueId } from '../lib/client.mjs';
import { assertError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const b64url = (data) => Buffer.from(data).toString('base64url');

function token(claims, { secret = SECRET, alg = 'HS256' } = {}) {
  const header = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  const signature = hash ? crypto.createHmac(hash, secret).update(`${header}.${body}`).digest('base64url') : '';
  return `${header}.${body}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra = {}) => ({ sub: 'staff-0042', name: 'Priya Shah', org: 'nhs-mse', exp: now() + 600, ...extra });

let server;
before(async () => {
  server = await startServer({ args: [...UNTHROTTLED, '--auth', 'jwt', '--jwt-key', SECRET, '--jwt-alg', 'HS256'] });
});
after(async () => { await server?.stop(); });

async function helloWith(frame) {
  const client = await connect(server.wsUrl);
  const reply = await client.request({ type: 'hello', ...frame });
  return { client, reply };
}

describe('--auth jwt', { timeout: scaled(30000) }, () => {
  test('a valid token gives the user of its claims', async () => {
    const { client, reply } = await helloWith({ token: token(claims()) });
    assert.equal(reply.type, 'welcome');
    assert.deepEqual(reply.user, { id: 'staff-0042', name: 'Priya Shah', org: 'nhs-mse' });
    const room = uniqueId('jwt');
    assert.equal((await client.request({ type: 'create', room })).type, 'created');
    assert.equal((await client.request({ type: 'join', room })).type, 'joined');
    client.close();
  });

  for (const [what, frame] of [
    ['a wrong signature', { token: token(claims(), { secret: 'another-secret' }) }],
    ['another algorithm', { token: token(claims(), { alg: 'HS512' }) }],
    ['alg none', { token: token(claims(), { alg: 'none' }) }],
    ['an expired token', { token: token(claims({ exp: now() - 3600 })) }],
    ['a token not valid yet', { token: token(claims({ nbf: now() + 3600 })) }],
    ['a token without org', { token: token({ sub: 'x', name: 'No Org', exp: now() + 600 }) }],
    ['garbage', { token: 'not.a.token' }],
    ['a name and org instead of a token', { name: 'Mallory', org: 'nhs-mse' }],
  ]) {
    test(`${what} is unauthenticated and the connection stays usable`, async () => {
      const { client, reply } = await helloWith(frame);
      assertError(reply, 'unauthenticated');
      assertError(await client.request({ type: 'rooms' }), 'unauthenticated');
      assert.equal((await client.request({ type: 'ping' })).type, 'pong');
      client.close();
    });
  }

  test('the HTTP record needs a bearer token', async () => {
    const { client } = await helloWith({ token: token(claims()) });
    const room = uniqueId('jwt-rec');
    await client.request({ type: 'create', room, title: 'Discharge planning' });
    client.close();
    const anonymous = await server.get(`/api/rooms/${room}/export.md`);
    assert.equal(anonymous.status, 401);
    const forged = await server.get(`/api/rooms/${room}/export.md`,
      { headers: { authorization: `Bearer ${token(claims(), { secret: 'nope' })}` } });
    assert.equal(forged.status, 401);
    const signed = await server.get(`/api/rooms/${room}/export.md`,
      { headers: { authorization: `Bearer ${token(claims())}` } });
    assert.equal(signed.status, 200);
    assert.match(signed.text, /Discharge planning/);
  });
});

test('--auth jwt without a key refuses to start (exit 2)', { timeout: scaled(15000) }, async () => {
  await assert.rejects(startServer({ args: ['--auth', 'jwt'], readyTimeoutMs: scaled(3000) }));
});
