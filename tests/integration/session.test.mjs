// protocol.md "Transport", "Frames" (errors) and "Session": subprotocol, hello/welcome, ping/pong,
// unauthenticated frames, malformed frames answered with bad_request on a connection that stays usable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, connectAs, uniqueId } from '../lib/client.mjs';
import { assertError, assertUser, expectError } from '../lib/protocol.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

let server;
before(async () => { server = await startServer({ nodeId: 'session-node', args: UNTHROTTLED }); });
after(async () => { await server?.stop(); });

describe('transport', { timeout: scaled(30000) }, () => {
  test('subprotocol outloud.v1 is accepted when offered', async () => {
    const c = await connect(server.wsUrl, { protocols: ['outloud.v1'] });
    assert.equal(c.upgradeHeaders['sec-websocket-protocol'], 'outloud.v1');
    assert.equal(c.protocol, 'outloud.v1');
    await c.sync();
    await c.close();
  });

  test('outloud.v1 is chosen among several offered', async () => {
    const c = await connect(server.wsUrl, { protocols: ['chat.other', 'outloud.v1'] });
    assert.equal(c.upgradeHeaders['sec-websocket-protocol'], 'outloud.v1');
    await c.close();
  });

  test('a client offering no subprotocol is accepted', async () => {
    const c = await connect(server.wsUrl);
    assert.equal(c.upgradeHeaders['sec-websocket-protocol'], undefined);
    const w = await c.hello('No Protocol', 'essex-cc');
    assert.equal(w.type, 'welcome');
    await c.close();
  });
});

describe('hello / welcome', { timeout: scaled(30000) }, () => {
  test('welcome has user, session, node, server_time and protocol 1, with re echoed', async () => {
    const c = await connect(server.wsUrl, { protocols: ['outloud.v1'] });
    const before = Date.now();
    const w = await c.request({ type: 'hello', id: 1, name: 'Paul Ashworth', org: 'essex-cc' });
    const afterMs = Date.now();
    assert.equal(w.type, 'welcome', JSON.stringify(w));
    assert.equal(w.re, 1);
    assertUser(w.user, { name: 'Paul Ashworth', org: 'essex-cc' });
    assert.equal(typeof w.session, 'string');
    assert.ok(w.session.length > 0);
    assert.equal(w.node, 'session-node');
    assert.ok(Number.isInteger(w.server_time), `server_time ${w.server_time}`);
    assert.ok(w.server_time >= before - 5000 && w.server_time <= afterMs + 5000, `server_time ${w.server_time} vs ${before}`);
    assert.equal(w.protocol, 1);
    await c.close();
  });

  test('the same name and org give the same user id; another name or org another', async () => {
    const org = uniqueId('org');
    const a = await connectAs(server.wsUrl, 'Sam Patel', org);
    const b = await connectAs(server.wsUrl, 'Sam Patel', org);
    const otherName = await connectAs(server.wsUrl, 'Sam Patel Jr', org);
    const otherOrg = await connectAs(server.wsUrl, 'Sam Patel', `${org}-x`);
    assert.equal(a.user.id, b.user.id);
    assert.notEqual(a.user.id, otherName.user.id);
    assert.notEqual(a.user.id, otherOrg.user.id);
    assert.notEqual(otherName.user.id, otherOrg.user.id);
    await Promise.all([a, b, otherName, otherOrg].map((c) => c.close()));
  });

  test('a display name of 80 characters is accepted; 0 or 81 is bad_request', async () => {
    const c = await connect(server.wsUrl);
    await expectError(c, { type: 'hello', name: '', org: 'essex-cc' }, 'bad_request');
    await expectError(c, { type: 'hello', name: 'n'.repeat(81), org: 'essex-cc' }, 'bad_request');
    // 80 characters, not bytes: multi-byte characters count once.
    const w = await c.hello('é'.repeat(80), 'essex-cc');
    assert.equal(w.user.name, 'é'.repeat(80));
    await c.close();
  });

  test('an org that is not [a-z0-9][a-z0-9._~-]{0,63} is bad_request', async () => {
    const c = await connect(server.wsUrl);
    for (const org of ['Essex-CC', 'essex cc', '-essex', '', 'a'.repeat(65), 'essex/cc', 'ésséx']) {
      await expectError(c, { type: 'hello', name: 'Bad Org', org }, 'bad_request');
    }
    // Missing and wrongly typed fields.
    await expectError(c, { type: 'hello', name: 'No Org' }, 'bad_request');
    await expectError(c, { type: 'hello', org: 'essex-cc' }, 'bad_request');
    await expectError(c, { type: 'hello', name: 42, org: 'essex-cc' }, 'bad_request');
    await expectError(c, { type: 'hello', name: 'Num Org', org: 7 }, 'bad_request');
    // The longest and the most varied valid ones.
    const longest = 'a'.repeat(64);
    const w = await c.hello('Long Org', longest);
    assert.equal(w.user.org, longest);
    const d = await connect(server.wsUrl);
    const w2 = await d.hello('Punct Org', '0a._~-z');
    assert.equal(w2.user.org, '0a._~-z');
    await Promise.all([c.close(), d.close()]);
  });
});

describe('ping / pong', { timeout: scaled(30000) }, () => {
  test('re is echoed as an integer and as a string, before and after hello', async () => {
    const c = await connect(server.wsUrl);
    assert.deepEqual(await c.request({ type: 'ping', id: 9 }), { type: 'pong', re: 9 });
    assert.deepEqual(await c.request({ type: 'ping', id: 'abc-9' }), { type: 'pong', re: 'abc-9' });
    await c.hello('Pinger', 'essex-cc');
    const r = await c.request({ type: 'ping', id: 2 ** 53 });
    assert.equal(r.type, 'pong');
    assert.equal(r.re, 2 ** 53);
    assert.deepEqual(await c.request({ type: 'ping', id: 0 }), { type: 'pong', re: 0 });
    await c.close();
  });

  test('an empty string is a string id too', async () => {
    // protocol.md: "A request from a client may carry `id` (a string, or an integer up to 2^53)".
    const c = await connect(server.wsUrl);
    c.sendText('{"type":"ping","id":""}');
    const reply = await c.next((f) => f.type === 'pong' || f.type === 'error');
    assert.deepEqual(reply, { type: 'pong', re: '' });
    await c.close();
  });

  test('a ping without id gets a pong without re', async () => {
    const c = await connect(server.wsUrl);
    c.send({ type: 'ping', id: undefined });
    const pong = await c.next((f) => f.type === 'pong');
    assert.ok(!('re' in pong) || pong.re === null, JSON.stringify(pong));
    await c.close();
  });
});

describe('before hello', { timeout: scaled(30000) }, () => {
  test('any frame but hello and ping gets unauthenticated, and hello still works after', async () => {
    const c = await connect(server.wsUrl);
    const frames = [
      { type: 'rooms' },
      { type: 'create', room: 'sneaky', title: 'Sneaky', kind: 'room' },
      { type: 'join', room: 'sneaky' },
      { type: 'leave', room: 'sneaky' },
      { type: 'send', room: 'sneaky', text: 'hi' },
      { type: 'history', room: 'sneaky', before: 10, limit: 5 },
      { type: 'status', state: 'away' },
      { type: 'typing', room: 'sneaky', topic: 'general' },
    ];
    for (const f of frames) await expectError(c, f, 'unauthenticated');
    await c.hello('Late Comer', 'essex-cc');
    const rooms = await c.request({ type: 'rooms' });
    assert.equal(rooms.type, 'rooms');
    // The unauthenticated create created nothing.
    assert.ok(!rooms.rooms.some((r) => r.id === 'sneaky'), 'unauthenticated create took effect');
    await c.close();
  });
});

describe('malformed frames get bad_request and the connection stays usable', { timeout: scaled(30000) }, () => {
  let c;
  before(async () => { c = await connectAs(server.wsUrl, 'Fuzzy Input', 'essex-cc'); });
  after(async () => { await c?.close(); });

  const raw = {
    'not JSON': '{"type":"ping",',
    'plain words': 'hello there',
    'empty frame': '',
    'a JSON array': '[{"type":"ping","id":1}]',
    'a JSON string': '"ping"',
    'a JSON number': '42',
    'JSON null': 'null',
    'an object with no type': '{"id":5}',
    'type not a string': '{"type":7,"id":5}',
    'an unknown type': '{"type":"teleport","id":5}',
  };
  for (const [name, text] of Object.entries(raw)) {
    test(name, async () => {
      c.sendText(text);
      const err = await c.next((f) => f.type === 'error');
      assertError(err, 'bad_request');
      if (name === 'an object with no type' || name === 'an unknown type' || name === 'type not a string') {
        // The id was readable, so the reply should carry it; it must not carry any other.
        if ('re' in err) assert.equal(err.re, 5);
      } else {
        assert.ok(!('re' in err) || err.re === null, `re on an error to an unparsable frame: ${JSON.stringify(err)}`);
      }
      const pong = await c.request({ type: 'ping' });
      assert.equal(pong.type, 'pong');
    });
  }

  test('an unknown type with an id echoes the id as re', async () => {
    await expectError(c, { type: 'teleport', id: 77 }, 'bad_request');
    await expectError(c, { type: 'teleport', id: 'seventy-seven' }, 'bad_request');
    assert.equal((await c.sync()).type, 'pong');
  });

  test('an id that is neither a string nor an integer is bad_request', async () => {
    for (const id of [1.5, true, { a: 1 }, [1], 2 ** 53 * 4]) {
      c.sendText(JSON.stringify({ type: 'ping', id }));
      const reply = await c.next((f) => f.type === 'error' || f.type === 'pong');
      assertError(reply, 'bad_request');
    }
    assert.equal((await c.sync()).type, 'pong');
  });

  test('fields of the wrong type, out-of-range numbers and over-long strings are bad_request', async () => {
    const room = uniqueId('fuzz');
    await c.create(room);
    await c.join(room);
    const cases = [
      { type: 'create', room: 123, title: 'x', kind: 'room' },
      { type: 'create', room: uniqueId('k'), title: 'x', kind: 'party' },
      { type: 'create', room: 'UPPER', title: 'x', kind: 'room' },
      { type: 'create', room: 'r'.repeat(65), title: 'x', kind: 'room' },
      { type: 'join', room: room, since: 'ten' },
      { type: 'join', room: room, since: -1 },
      { type: 'join', room: room, limit: 0 },
      { type: 'join', room: room, limit: -5 },
      { type: 'join', room: room, limit: 'many' },
      { type: 'join', room: room, limit: 1.5 },
      { type: 'join', room: ['a'] },
      { type: 'send', room, text: 5 },
      { type: 'send', room, text: '' },
      { type: 'send', room, text: 'x'.repeat(16001) },
      { type: 'send', room, text: 'ok', topic: '' },
      { type: 'send', room, text: 'ok', topic: 't'.repeat(61) },
      { type: 'send', room, text: 'ok', topic: 3 },
      { type: 'send', room, text: 'ok', tag: 'shout' },
      { type: 'send', room, text: 'ok', tag: 1 },
      { type: 'send', room, text: 'ok', reply_to: 'one' },
      { type: 'send', room, text: 'ok', reply_to: 1.25 },
      { type: 'send', room, text: 'ok', reply_to: -3 },
      { type: 'send', room, text: 'ok', nonce: 'n'.repeat(65) },
      { type: 'send', room, text: 'ok', nonce: 12 },
      { type: 'history', room, before: 'x', limit: 5 },
      { type: 'history', room, before: 10, limit: 0 },
      { type: 'history', room, before: 10, limit: -1 },
      { type: 'history', room, after: 'y', limit: 5 },
      { type: 'status', state: 'sleeping' },
      { type: 'status', state: 1 },
    ];
    for (const f of cases) await expectError(c, f, 'bad_request');
    assert.equal((await c.sync()).type, 'pong');
    // None of the refused sends was stored.
    const joined = await c.join(room);
    assert.equal(joined.head, 0, `a refused send was stored: ${JSON.stringify(joined.messages).slice(0, 300)}`);
  });
});
