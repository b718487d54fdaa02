// WebSocket (RFC 6455) and HTTP/1.1 (RFC 9112) conformance over raw sockets. There is no
// Autobahn|Testsuite package here, so this file sends the same kinds of frames by hand
// (tests/lib/raw_ws.mjs) and checks what the server answers. Autobahn case families covered:
//   1.1.1-1.1.8, 1.2.1-1.2.8  framing: text/binary payload lengths 0, 125, 126, 127, 65535, 65536
//                              (binary frames are answered with a protocol error, the connection stays)
//   (RFC 6455 5.1)             an unmasked client frame: close 1002
//   2.1-2.6, 2.10              pings: empty, with text/binary payload, 125 bytes (answered with the same
//                              payload), 126 bytes (1002), ten pings in a row
//   3.1-3.7                    reserved bits RSV1-3 without an extension: 1002
//   4.1.1-4.1.5, 4.2.1-4.2.5   reserved data opcodes 3-7 and control opcodes 11-15: 1002
//   5.1-5.2, 5.3-5.8, 5.9-5.20 fragmentation: fragmented ping/pong (1002), a text message in
//                              fragments (reassembled), control frames between fragments,
//                              continuation without a start (1002), a new message inside one (1002)
//   6.2.x, 6.3.1, 6.4.1-6.4.4  UTF-8: valid text split inside a code point across fragments (accepted),
//                              invalid text (1007), invalid text split across fragments (1007)
//   7.1.1-7.1.6, 7.3.1-7.3.6   close handshake: the client's code is echoed, an empty close answered,
//                              a 1-byte payload (1002), a reason over 123 bytes (1002)
//   7.5.1                      a close reason that is not UTF-8: 1002 or 1007 (Autobahn accepts either;
//                              Boost.Beast answers 1002)
//   7.7.1-7.7.13, 7.9.1-7.9.9  valid close codes echoed; invalid ones (0, 999, 1004, 1005, 1006,
//                              1014-2999): 1002
//   7.13.1-7.13.2              codes 5000 and 65535 (informational in Autobahn): a close, then TCP ends
//   9.x (limits)               a message over --max-frame-bytes, whole or in fragments: 1009
// HTTP: a Sec-WebSocket-Key that is not the base64 of 16 bytes gets 400 (RFC 6455 4.2.1); an
// ambiguous Transfer-Encoding gets 400/501 and the connection is closed, so its body is never read
// as the next request (RFC 9112 6.1, 6.3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OP, RawWebSocket, closePayload, encodeFrame, rawHttp, upgradeRequest } from '../lib/raw_ws.mjs';
import { UNTHROTTLED, scaled, startServer } from '../lib/server.mjs';

const MAX_FRAME = 70_000;
let srv;
const sockets = [];
before(async () => {
  srv = await startServer({ args: [...UNTHROTTLED, '--max-frame-bytes', String(MAX_FRAME)] });
});
after(async () => {
  for (const s of sockets) s.destroy();
  await srv?.stop();
});

async function open() {
  const ws = await RawWebSocket.open(srv.port);
  sockets.push(ws);
  return ws;
}

let nextId = 1;
// A protocol `ping` padded with spaces to exactly `size` bytes, and the id its `pong` will carry.
function paddedPing(size) {
  const id = nextId++;
  const base = `{"type":"ping","id":${id}`;
  assert.ok(size >= base.length + 1);
  return { id, text: `${base}${' '.repeat(size - base.length - 1)}}` };
}

// The connection still works: a protocol ping gets its pong.
async function assertAlive(ws) {
  const { id, text } = paddedPing(40);
  ws.sendText(text);
  const reply = await ws.nextJson();
  assert.deepEqual({ type: reply?.type, re: reply?.re }, { type: 'pong', re: id }, `no pong: ${JSON.stringify(reply)}`);
}

// The server closes with `codes` (one or several allowed) and then ends the TCP connection.
async function assertClosedWith(ws, codes, what) {
  const close = await ws.closeFrame();
  assert.ok(close, `${what}: no close frame from the server`);
  const allowed = Array.isArray(codes) ? codes : [codes];
  assert.ok(allowed.includes(close.code), `${what}: closed with ${close.code} "${close.reason}", expected ${allowed}`);
  ws.send({ opcode: OP.close, payload: closePayload(close.code ?? 1000) });
  const ended = await Promise.race([ws.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), scaled(3000)))]);
  assert.ok(ended, `${what}: the TCP connection stayed open after the close`);
}

describe('framing (Autobahn 1.x)', { timeout: scaled(60000) }, () => {
  for (const size of [125, 126, 127, 65535, 65536, MAX_FRAME]) {
    test(`a ${size}-byte text frame is read whole`, async () => {
      const ws = await open();
      const { id, text } = paddedPing(size);
      ws.sendText(text);
      const reply = await ws.nextJson();
      assert.equal(reply?.type, 'pong');
      assert.equal(reply.re, id);
    });
  }

  test('an empty text frame is answered with bad_request, and the connection stays', async () => {
    const ws = await open();
    ws.sendText('');
    const reply = await ws.nextJson();
    assert.equal(reply?.type, 'error');
    assert.equal(reply.code, 'bad_request');
    await assertAlive(ws);
  });

  for (const size of [0, 125, 126, 65536]) {
    test(`a ${size}-byte binary frame is refused with an error frame, and the connection stays`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.binary, payload: Buffer.alloc(size, 7) });
      const reply = await ws.nextJson();
      assert.equal(reply?.type, 'error');
      assert.equal(reply.code, 'bad_request');
      await assertAlive(ws);
    });
  }

  test('a frame sent in pieces of one byte is read', async () => {
    const ws = await open();
    const { id, text } = paddedPing(200);
    const bytes = encodeFrame({ opcode: OP.text, payload: text });
    for (const b of bytes) ws.writeRaw(Buffer.from([b]));
    const reply = await ws.nextJson();
    assert.equal(reply?.re, id);
  });

  test('an unmasked client frame is closed with 1002', async () => {
    const ws = await open();
    ws.sendText(paddedPing(30).text, { mask: false });
    await assertClosedWith(ws, 1002, 'unmasked frame');
  });
});

describe('pings (Autobahn 2.x)', { timeout: scaled(30000) }, () => {
  const cases = [
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('Hello, world!')],
    ['binary', Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])],
    ['125-byte', Buffer.alloc(125, 0xfe)],
  ];
  for (const [name, payload] of cases) {
    test(`a ${name} ping is answered with a pong carrying the same payload`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.ping, payload });
      const pong = await ws.nextFrame();
      assert.equal(pong?.opcode, OP.pong);
      assert.ok(pong.payload.equals(payload), 'the pong payload differs');
    });
  }

  test('ten pings in a row get ten pongs, in order', async () => {
    const ws = await open();
    for (let i = 0; i < 10; i++) ws.send({ opcode: OP.ping, payload: `ping ${i}` });
    for (let i = 0; i < 10; i++) {
      const pong = await ws.nextFrame();
      assert.equal(pong?.opcode, OP.pong);
      assert.equal(pong.payload.toString(), `ping ${i}`);
    }
  });

  test('a 126-byte ping (a control frame over 125) is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.ping, payload: Buffer.alloc(126, 1) });
    await assertClosedWith(ws, 1002, '126-byte ping');
  });

  test('an unsolicited pong is ignored', async () => {
    const ws = await open();
    ws.send({ opcode: OP.pong, payload: 'unsolicited' });
    await assertAlive(ws);
  });
});

describe('reserved bits (Autobahn 3.x)', { timeout: scaled(30000) }, () => {
  const cases = [
    ['RSV1 on a text frame', OP.text, 4], ['RSV2 on a text frame', OP.text, 2], ['RSV3 on a text frame', OP.text, 1],
    ['RSV1+RSV3 on a text frame', OP.text, 5], ['RSV1+RSV2 on a binary frame', OP.binary, 6],
    ['RSV1-3 on a ping', OP.ping, 7], ['RSV2 on a close', OP.close, 2],
  ];
  for (const [name, opcode, rsv] of cases) {
    test(`${name} is closed with 1002`, async () => {
      const ws = await open();
      await assertAlive(ws);
      ws.send({ opcode, rsv, payload: opcode === OP.close ? closePayload(1000) : paddedPing(30).text });
      await assertClosedWith(ws, 1002, name);
    });
  }
});

describe('opcodes (Autobahn 4.x)', { timeout: scaled(30000) }, () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    test(`reserved opcode ${opcode} is closed with 1002`, async () => {
      const ws = await open();
      ws.send({ opcode, payload: 'reserved' });
      await assertClosedWith(ws, 1002, `opcode ${opcode}`);
    });
  }
});

describe('fragmentation (Autobahn 5.x)', { timeout: scaled(30000) }, () => {
  test('a fragmented ping is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.ping, fin: false, payload: 'frag' });
    ws.send({ opcode: OP.continuation, fin: true, payload: 'ment' });
    await assertClosedWith(ws, 1002, 'fragmented ping');
  });

  test('a fragmented pong is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.pong, fin: false, payload: 'frag' });
    ws.send({ opcode: OP.continuation, fin: true, payload: 'ment' });
    await assertClosedWith(ws, 1002, 'fragmented pong');
  });

  test('a text message in fragments is reassembled', async () => {
    const ws = await open();
    const { id, text } = paddedPing(300);
    ws.send({ opcode: OP.text, fin: false, payload: text.slice(0, 1) });
    ws.send({ opcode: OP.continuation, fin: false, payload: text.slice(1, 100) });
    ws.send({ opcode: OP.continuation, fin: false, payload: '' });
    ws.send({ opcode: OP.continuation, fin: true, payload: text.slice(100) });
    const reply = await ws.nextJson();
    assert.equal(reply?.re, id);
  });

  test('pings between the fragments of a message are answered first', async () => {
    const ws = await open();
    const { id, text } = paddedPing(60);
    ws.send({ opcode: OP.text, fin: false, payload: text.slice(0, 20) });
    ws.send({ opcode: OP.ping, payload: 'between' });
    ws.send({ opcode: OP.continuation, fin: false, payload: text.slice(20, 40) });
    ws.send({ opcode: OP.pong, payload: 'unsolicited' });
    ws.send({ opcode: OP.continuation, fin: true, payload: text.slice(40) });
    const pong = await ws.nextFrame();
    assert.equal(pong?.opcode, OP.pong);
    assert.equal(pong.payload.toString(), 'between');
    const reply = await ws.nextJson();
    assert.equal(reply?.re, id);
  });

  test('a continuation without a message started is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.continuation, fin: true, payload: 'orphan' });
    await assertClosedWith(ws, 1002, 'orphan continuation');
  });

  test('a continuation with fin=0 and no start is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.continuation, fin: false, payload: 'orphan' });
    ws.send({ opcode: OP.continuation, fin: true, payload: 'orphan' });
    await assertClosedWith(ws, 1002, 'orphan continuation');
  });

  test('a new text message inside a fragmented one is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.text, fin: false, payload: '{"type":' });
    ws.send({ opcode: OP.text, fin: true, payload: '"ping"}' });
    await assertClosedWith(ws, 1002, 'text inside text');
  });
});

describe('UTF-8 (Autobahn 6.x)', { timeout: scaled(30000) }, () => {
  test('valid UTF-8 split inside a code point across fragments is accepted', async () => {
    const ws = await open();
    const bytes = Buffer.from('{"type":"ping","id":"κόσμε-€-𝄞"}', 'utf8');
    const euro = bytes.indexOf(0xe2);  // split the three bytes of € and the four of 𝄞
    const clef = bytes.indexOf(0xf0);
    ws.send({ opcode: OP.text, fin: false, payload: bytes.subarray(0, euro + 1) });
    ws.send({ opcode: OP.continuation, fin: false, payload: bytes.subarray(euro + 1, clef + 2) });
    ws.send({ opcode: OP.continuation, fin: true, payload: bytes.subarray(clef + 2) });
    const reply = await ws.nextJson();
    assert.equal(reply?.type, 'pong');
    assert.equal(reply.re, 'κόσμε-€-𝄞');
  });

  const invalid = [
    ['a lone continuation byte', Buffer.from([0x80])],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
    ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['a code point over U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ['the byte 0xff', Buffer.from([0xff])],
  ];
  for (const [name, bad] of invalid) {
    test(`text with ${name} is closed with 1007`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.text, payload: Buffer.concat([Buffer.from('{"type":"ping","id":"'), bad, Buffer.from('"}')]) });
      await assertClosedWith(ws, 1007, name);
    });
  }

  test('invalid UTF-8 split across fragments is closed with 1007', async () => {
    const ws = await open();
    ws.send({ opcode: OP.text, fin: false, payload: Buffer.from([0x7b, 0x22, 0xce, 0xba, 0xe1]) });
    ws.send({ opcode: OP.continuation, fin: false, payload: Buffer.from([0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80]) });
    ws.send({ opcode: OP.continuation, fin: true, payload: Buffer.from('"}') });
    await assertClosedWith(ws, 1007, 'split invalid UTF-8');
  });
});

describe('close handshake (Autobahn 7.x)', { timeout: scaled(60000) }, () => {
  test('a close with a code and reason is answered with the same code, then the server ends TCP', async () => {
    const ws = await open();
    await assertAlive(ws);
    ws.send({ opcode: OP.close, payload: closePayload(1000, 'bye now') });
    const close = await ws.closeFrame();
    assert.equal(close?.code, 1000);
    await ws.closed;
  });

  test('frames after a close are ignored (Autobahn 7.1.3-7.1.5)', async () => {
    const ws = await open();
    ws.send({ opcode: OP.close, payload: closePayload(1000) });
    ws.send({ opcode: OP.ping, payload: 'after close' });
    ws.sendText(paddedPing(30).text);
    const frames = [];
    for (let f = await ws.nextFrame({ keepPings: true }); f; f = await ws.nextFrame({ keepPings: true })) frames.push(f);
    assert.deepEqual(frames.map((f) => f.opcode), [OP.close]);
  });

  test('an empty close is answered with a close', async () => {
    const ws = await open();
    ws.send({ opcode: OP.close });
    const close = await ws.closeFrame();
    assert.ok(close, 'no close frame');
    assert.ok(close.code === null || close.code === 1000 || close.code === 1005, `code ${close.code}`);
    await ws.closed;
  });

  test('a 1-byte close payload is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.close, payload: Buffer.from([0x03]) });
    await assertClosedWith(ws, 1002, '1-byte close');
  });

  test('a close reason that makes the frame over 125 bytes is closed with 1002', async () => {
    const ws = await open();
    ws.send({ opcode: OP.close, payload: closePayload(1000, 'r'.repeat(124)) });
    await assertClosedWith(ws, 1002, 'long close');
  });

  test('a close reason that is not UTF-8 is closed with 1002 or 1007', async () => {
    const ws = await open();
    ws.send({ opcode: OP.close, payload: closePayload(1000, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64])) });
    await assertClosedWith(ws, [1002, 1007], 'bad UTF-8 reason');
  });

  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
    test(`valid close code ${code} is echoed`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.close, payload: closePayload(code) });
      const close = await ws.closeFrame();
      assert.equal(close?.code, code);
      await ws.closed;
    });
  }

  for (const code of [0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 1100, 2000, 2999]) {
    test(`invalid close code ${code} is closed with 1002`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.close, payload: closePayload(code) });
      await assertClosedWith(ws, 1002, `close code ${code}`);
    });
  }

  // RFC 6455 7.4.2 defines no codes from 5000 on; Autobahn 7.13.x grades the answer as informational.
  for (const code of [5000, 65535]) {
    test(`undefined close code ${code} is answered with a close and the connection ends`, async () => {
      const ws = await open();
      ws.send({ opcode: OP.close, payload: closePayload(code) });
      await assertClosedWith(ws, [1002, code], `close code ${code}`);
    });
  }
});

describe('limits (--max-frame-bytes)', { timeout: scaled(30000) }, () => {
  test('a message one byte over the limit is closed with 1009', async () => {
    const ws = await open();
    ws.sendText(paddedPing(MAX_FRAME + 1).text);
    await assertClosedWith(ws, 1009, 'over-long frame');
  });

  test('a message over the limit in small fragments is closed with 1009', async () => {
    const ws = await open();
    const { text } = paddedPing(MAX_FRAME + 1000);
    const step = 10_000;
    for (let i = 0; i < text.length; i += step) {
      const last = i + step >= text.length;
      ws.send({ opcode: i === 0 ? OP.text : OP.continuation, fin: last, payload: text.slice(i, i + step) });
    }
    await assertClosedWith(ws, 1009, 'over-long fragmented message');
  });
});

describe('HTTP handshake and framing', { timeout: scaled(30000) }, () => {
  const upgradeWith = async (key) => (await rawHttp(srv.port, upgradeRequest({ key }))).responses[0];

  test('a Sec-WebSocket-Key that is the base64 of 16 bytes is accepted', async () => {
    assert.equal(await upgradeWith('dGhlIHNhbXBsZSBub25jZQ=='), 101);
  });

  for (const [name, key] of [
    ['3 bytes', 'YWJj'], ['15 bytes', 'AAAAAAAAAAAAAAAAAAAA'], ['17 bytes', 'AAAAAAAAAAAAAAAAAAAAAAA='],
    ['not base64', '!!!!!!!!!!!!!!!!!!!!!!=='], ['empty', ''],
  ]) {
    test(`a Sec-WebSocket-Key of ${name} gets 400`, async () => {
      assert.equal(await upgradeWith(key), 400);
    });
  }

  test('two Sec-WebSocket-Key headers get 400', async () => {
    const res = await rawHttp(srv.port, upgradeRequest({ extra: 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' }));
    assert.equal(res.responses[0], 400);
  });

  const smuggled = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  for (const [name, headers, body] of [
    ['chunked, identity', 'Transfer-Encoding: chunked, identity\r\n', smuggled],
    ['chunked then identity in two fields', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', smuggled],
    ['gzip', 'Transfer-Encoding: gzip\r\n', smuggled],
    ['chunked twice', 'Transfer-Encoding: chunked, chunked\r\n', `0\r\n\r\n${smuggled}`],
    ['chunked with Content-Length', `Transfer-Encoding: chunked\r\nContent-Length: ${smuggled.length}\r\n`, smuggled],
  ]) {
    test(`Transfer-Encoding ${name}: 400 or 501, then the connection is closed`, async () => {
      const res = await rawHttp(srv.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n${body}`);
      assert.equal(res.responses.length, 1, `expected one response, got ${res.responses} in:\n${res.data}`);
      assert.ok([400, 501].includes(res.responses[0]), `status ${res.responses[0]}`);
      assert.ok(res.closed, 'the connection stayed open');
    });
  }

  test('Transfer-Encoding in an HTTP/1.0 request gets 400', async () => {
    const res = await rawHttp(srv.port, `GET /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    assert.deepEqual(res.responses, [400]);
  });

  test('a plain chunked request body is still read as one request', async () => {
    const res = await rawHttp(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`);
    assert.deepEqual(res.responses, [200, 200]);
  });
});
