// --redis against a Redis that wants a password (requirepass and an ACL user), also read from a file
// (--redis-url-file) so that it is not on the command line, two deployments on one Redis kept apart by
// their /DB number, and the subscriber's PING watchdog noticing a frozen
// Redis within seconds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import { figure, health, isMessage, ownNodes, untilNodesHearEachOther, waitUntil } from '../lib/cluster.mjs';
import { startRedis } from '../lib/redis.mjs';
import { UNTHROTTLED, scaled, startServer, tmpDir } from '../lib/server.mjs';

const PASSWORD = 'default-pw-3f9a';
const ACL_PASSWORD = 'app-pw-71c2';
const { cleanups, node, person: client } = ownNodes();

test('AUTH from the URL: requirepass (redis://:PASSWORD@) and an ACL user (redis://USER:PASSWORD@)',
  { timeout: scaled(60000) }, async () => {
    const redis = await startRedis({
      args: ['--requirepass', PASSWORD, '--user', 'app', 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all'] });
    cleanups.push(() => redis.stop());
    const host = `127.0.0.1:${redis.port}`;
    const a = await node(`redis://:${PASSWORD}@${host}`, 'auth-default');
    const b = await node(`redis://app:${ACL_PASSWORD}@${host}`, 'auth-acl');
    await untilNodesHearEachOther([a, b]);

    // The two nodes are one chat: a message sent through one reaches a member on the other.
    const room = uniqueId('auth');
    const ann = await client(a, 'Ann Auth');
    const ben = await client(b, 'Ben Auth');
    await ann.create(room);
    await ann.join(room);
    await ben.join(room);
    await ann.say(room, 'signed in with a password');
    assert.equal((await ben.next(isMessage(room))).text, 'signed in with a password');

    // Wrong or missing credentials: the node runs but says Redis is down, and says why.
    const wrong = await node(`redis://app:not-the-password@${host}`, 'auth-wrong');
    const none = await node(`redis://${host}`, 'auth-none');
    for (const server of [wrong, none]) {
      await waitUntil(() => /handshake refused \(AUTH|NOAUTH/.test(server.stderr),
        { timeoutMs: scaled(10000), what: `${server.nodeId} to log the refusal` });
      assert.equal((await health(server))?.redis, 'down');
    }
    for (const server of [a, b, wrong]) {
      assert.ok(!server.stderr.includes(PASSWORD) && !server.stderr.includes(ACL_PASSWORD),
        `${server.nodeId} logged a password:\n${server.stderr}`);
    }
    assert.match(a.stderr, /redis redis:\/\/:\*\*\*@127\.0\.0\.1/, 'the URL is logged with its password hidden');
  });

test('--redis-url-file: the URL with its password comes from a file, and is not on the command line',
  { timeout: scaled(60000) }, async () => {
    const redis = await startRedis({ args: ['--user', 'app', 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all'] });
    cleanups.push(() => redis.stop());
    const file = path.join(tmpDir(), 'redis-url');
    fs.writeFileSync(file, `redis://app:${ACL_PASSWORD}@127.0.0.1:${redis.port}\n`, { mode: 0o600 });
    const server = await startServer({ nodeId: 'auth-file', args: ['--redis-url-file', file, ...UNTHROTTLED] });
    cleanups.push(() => server.stop());
    await untilNodesHearEachOther([server]);
    const room = uniqueId('authfile');
    const ann = await client(server, 'Ann File');
    await ann.create(room);
    await ann.join(room);
    await ann.say(room, 'through a password kept in a file');
    assert.equal((await ann.next(isMessage(room))).text, 'through a password kept in a file');

    const commandLine = fs.readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.ok(commandLine.includes('--redis-url-file'), commandLine);
    assert.ok(!commandLine.includes(ACL_PASSWORD), `the password is on the command line: ${commandLine}`);
    assert.ok(!server.stderr.includes(ACL_PASSWORD), `the password was logged:\n${server.stderr}`);
  });

test('two deployments on one Redis with different /DB numbers do not see each other', { timeout: scaled(60000) }, async () => {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const one = await node(`${redis.url}/1`, 'db-one');
  const two = await node(`${redis.url}/2`, 'db-two');
  await untilNodesHearEachOther([one, two]);
  const room = uniqueId('samename');  // the same room id in both deployments
  const ann = await client(one, 'Ann One');
  const bob = await client(two, 'Bob Two');
  for (const c of [ann, bob]) {
    await c.create(room);
    await c.join(room);
  }
  await ann.say(room, 'only for deployment one');
  await bob.say(room, 'only for deployment two');
  for (const [c, text] of [[ann, 'only for deployment one'], [bob, 'only for deployment two']]) {
    const got = await c.next(isMessage(room));
    assert.equal(got.text, text);
    assert.equal(got.seq, 1);
  }
  // A round trip after both sends: anything leaked from the other DB would have arrived by now.
  await ann.say(room, 'second in one');
  await bob.say(room, 'second in two');
  for (const c of [ann, bob]) {
    await c.collect(isMessage(room), 1);
    await c.sync();
    assert.deepEqual(c.frames.filter(isMessage(room)).map((m) => m.text).sort(),
      c === ann ? ['only for deployment one', 'second in one'] : ['only for deployment two', 'second in two'],
      `${c.label ?? 'client'} saw the other deployment's messages`);
  }
});

test('a frozen Redis (SIGSTOP): the subscriber notices within seconds, and recovers after SIGCONT',
  { timeout: scaled(60000) }, async () => {
    const redis = await startRedis();
    cleanups.push(async () => { redis.process.kill('SIGCONT'); await redis.stop(); });
    const server = await node(redis.url, 'frozen');
    await untilNodesHearEachOther([server]);
    const room = uniqueId('frozen');
    const ann = await client(server, 'Ann Frozen');
    await ann.create(room);
    await ann.join(room);  // the node subscribes to the room's channel

    const before = server.stderr.length;
    const frozenAt = Date.now();
    redis.process.kill('SIGSTOP');
    let noticedAt;
    try {
      await waitUntil(() => /\/subscriber: down/.test(server.stderr.slice(before)),
        { timeoutMs: scaled(6000), everyMs: 20, what: 'the subscriber connection to be declared down' });
      noticedAt = Date.now();
    } finally {
      redis.process.kill('SIGCONT');
    }
    const detectionMs = noticedAt - frozenAt;
    assert.ok(detectionMs <= scaled(5000), `noticed after ${detectionMs} ms`);
    await untilNodesHearEachOther([server]);
    await ann.say(room, 'after the thaw');
    assert.equal((await ann.next(isMessage(room))).text, 'after the thaw');
    figure(`pub/sub watchdog: a SIGSTOPped Redis noticed by the subscriber after ${detectionMs} ms (PING every 1 s, `
      + 'timeout 3 s; before: only TCP keepalive, ~minutes)');
  });
