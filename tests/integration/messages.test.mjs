// protocol.md "Messages": send/sent, forbidden without join, fan-out exactly once in seq order,
// optional fields echoed, text kept as written, length limits, nonce deduplication, history, typing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueId } from '../lib/client.mjs';
import {
  assertMessage, collectMessages, expectError, range, sendMany, seqsOf,
} from '../lib/protocol.mjs';
import { scaled } from '../lib/server.mjs';
import { serverForFile } from '../lib/server_suite.mjs';

const { user } = serverForFile('messages-node');

async function roomWith(...members) {
  const room = uniqueId('msg');
  await members[0].create(room);
  for (const m of members) await m.join(room);
  return room;
}

describe('send', { timeout: scaled(60000) }, () => {
  test('sent carries room, seq and ts; the MESSAGE carries every field, null when absent', async () => {
    const a = await user('Paul Ashworth');
    const b = await user('Nadia Shah', 'nhs-trust');
    const room = await roomWith(a, b);
    const t0 = Date.now();
    const sent = await a.request({ type: 'send', id: 6, room, text: 'First point' });
    assert.equal(sent.type, 'sent', JSON.stringify(sent));
    assert.equal(sent.re, 6);
    assert.equal(sent.room, room);
    assert.equal(sent.seq, 1);
    assert.ok(Number.isInteger(sent.ts) && Math.abs(sent.ts - t0) < 60000, `ts ${sent.ts}`);
    const [m] = await collectMessages(b, room, 1);
    assertMessage(m, {
      room, seq: 1, ts: sent.ts, topic: 'general', text: 'First point', tag: null, reply_to: null, nonce: null,
    });
    assert.deepEqual(m.from, a.user);
    const [own] = await collectMessages(a, room, 1);
    assert.deepEqual(own, m, 'the sender receives the same event');

    const s2 = await b.say(room, 'A reply', { topic: 'transport', tag: 'learn', reply_to: 1, nonce: 'n-1' });
    assert.equal(s2.seq, 2);
    const [m2] = await collectMessages(a, room, 1);
    assertMessage(m2, {
      room, seq: 2, topic: 'transport', text: 'A reply', tag: 'learn', reply_to: 1, nonce: 'n-1', from: b.user,
    });
    for (const tag of ['do', 'reflect', 'share']) {
      const s = await a.say(room, `tagged ${tag}`, { tag });
      const ev = await b.next((f) => f.type === 'message' && f.room === room && f.seq === s.seq);
      assert.equal(ev.tag, tag);
    }
  });

  test('send needs the room joined on this connection: forbidden otherwise', async () => {
    const owner = await user('Room Owner');
    const sameUserOtherConn = await user('Room Owner');
    const stranger = await user('Stranger', 'police');
    const room = uniqueId('closed');
    await owner.create(room);
    await owner.join(room);
    await expectError(stranger, { type: 'send', room, text: 'let me in' }, 'forbidden');
    await expectError(sameUserOtherConn, { type: 'send', room, text: 'other tab' }, 'forbidden');
    await expectError(owner, { type: 'send', room: uniqueId('missing'), text: 'nowhere' }, ['forbidden', 'not_found']);
    // Nothing was stored.
    assert.equal((await owner.join(room)).head, 0);
  });

  test('every joined connection, the sender\'s too, gets each message exactly once, in seq order', async () => {
    const a1 = await user('Ada Fan');
    const a2 = await user('Ada Fan');  // same user, second connection
    const b = await user('Bo Fan', 'fire');
    const c = await user('Cy Fan', 'charity');
    const all = [a1, a2, b, c];
    const room = await roomWith(...all);
    const per = 60;
    // Three connections send concurrently.
    const acks = await Promise.all([a1, b, c].map((s, k) => sendMany(s, room, per, (i) => `${k}:${i}`)));
    const ackSeqs = acks.flat().map((s) => s.seq).sort((x, y) => x - y);
    assert.deepEqual(ackSeqs, range(1, 3 * per), 'seq starts at 1 with no gap and no repeat');
    let reference;
    for (const conn of all) {
      const got = await collectMessages(conn, room, 3 * per);
      assert.deepEqual(seqsOf(got), range(1, 3 * per), `${conn.label}: not every message once in order`);
      await conn.sync();
      await conn.expectNone((f) => f.type === 'message' && f.room === room, scaled(50));
      if (reference) assert.deepEqual(got, reference, 'every connection sees identical events');
      reference = got;
    }
    // Each acknowledged seq carries the text that was sent with it.
    const bySeq = new Map(reference.map((m) => [m.seq, m.text]));
    acks.forEach((list, k) => list.forEach((ack, i) => assert.equal(bySeq.get(ack.seq), `${k}:${i}`)));
  });

  test('text is stored and sent as written', async () => {
    const a = await user('Verbatim Writer');
    const b = await user('Verbatim Reader', 'uni-essex');
    const room = await roomWith(a, b);
    const texts = [
      '<script>alert("x")</script> &amp; <b>bold</b> \' " \\',
      'Emoji 👩🏽‍⚕️ 🇬🇧 and accents: café, Ærø, 日本語',
      '  leading and trailing spaces  ',
      'line one\nline two\r\n\ttabbed',
      '{"type":"message","seq":999}',
      'x'.repeat(16000),
      '€'.repeat(16000),  // 16,000 characters, 48,000 bytes
    ];
    for (const text of texts) await a.say(room, text);
    const live = await collectMessages(b, room, texts.length, scaled(10000));
    assert.deepEqual(live.map((m) => m.text), texts);
    const j = await b.join(room, { since: 0 });
    assert.deepEqual(j.messages.map((m) => m.text), texts, 'stored as written');
    await expectError(a, { type: 'send', room, text: 'x'.repeat(16001) }, 'bad_request');
    await expectError(a, { type: 'send', room, text: '€'.repeat(16001) }, 'bad_request');
    await expectError(a, { type: 'send', room, text: '' }, 'bad_request');
    const topic = 't'.repeat(60);
    const s = await a.say(room, 'long topic', { topic, nonce: 'n'.repeat(64) });
    const [m] = (await collectMessages(b, room, 1));
    assert.equal(m.seq, s.seq);
    assert.equal(m.topic, topic);
    assert.equal(m.nonce, 'n'.repeat(64));
  });
});

describe('responsiveness', { timeout: scaled(30000) }, () => {
  test('a sender gets `sent` promptly (median of 20 sequential sends under 35 ms)', async () => {
    // Not a contract line, but a chat server that answers each send 40 ms late has a bug: the
    // sender receives two small frames (its own message event, then `sent`), and with Nagle's
    // algorithm on (no TCP_NODELAY) the second waits for the peer's delayed ACK.
    const a = await user('Quick Sender');
    const room = await roomWith(a);
    const times = [];
    for (let i = 0; i < 20; i++) {
      const t0 = process.hrtime.bigint();
      await a.say(room, `quick ${i}`);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((x, y) => x - y);
    const median = times[10];
    assert.ok(median < scaled(35), `median send→sent ${median.toFixed(1)} ms (all: ${times.map((t) => t.toFixed(0)).join(' ')})`);
  });
});

describe('nonce', { timeout: scaled(30000) }, () => {
  test('a nonce repeated by the same user in the same room stores nothing new and answers the first seq', async () => {
    const a = await user('Nonce Sender');
    const aTab = await user('Nonce Sender');  // the same user on another connection
    const b = await user('Nonce Watcher', 'police');
    const room = await roomWith(a, aTab, b);
    await a.say(room, 'before');
    const first = await a.say(room, 'important', { nonce: 'abc-123' });
    assert.equal(first.seq, 2);
    const again = await a.say(room, 'important', { nonce: 'abc-123' });
    assert.equal(again.seq, 2);
    const fromTab = await aTab.say(room, 'important (retry from another tab)', { nonce: 'abc-123' });
    assert.equal(fromTab.seq, 2);
    const next = await a.say(room, 'after');
    assert.equal(next.seq, 3, 'nothing new was stored for the repeats');
    const got = await collectMessages(b, room, 3);
    assert.deepEqual(seqsOf(got), [1, 2, 3], 'the repeats were not delivered');
    assert.equal(got[1].text, 'important');
    assert.equal(got[1].nonce, 'abc-123');
    await b.sync();
    await b.expectNone((f) => f.type === 'message' && f.room === room, scaled(100));
    const j = await b.join(room, { since: 0 });
    assert.deepEqual(seqsOf(j.messages), [1, 2, 3]);
  });

  test('the same nonce from another user, or in another room, is a new message', async () => {
    const a = await user('Nonce One');
    const b = await user('Nonce Two', 'fire');
    const room = await roomWith(a, b);
    const room2 = await roomWith(a);
    const s1 = await a.say(room, 'hi', { nonce: 'shared' });
    const s2 = await b.say(room, 'hi', { nonce: 'shared' });
    assert.equal(s1.seq, 1);
    assert.equal(s2.seq, 2);
    const s3 = await a.say(room2, 'hi', { nonce: 'shared' });
    assert.equal(s3.room, room2);
    assert.equal(s3.seq, 1);
    const got = await collectMessages(b, room, 2);
    assert.deepEqual(got.map((m) => m.from.id), [a.user.id, b.user.id]);
  });
});

describe('history', { timeout: scaled(30000) }, () => {
  test('before and after with limit, ascending', async () => {
    const a = await user('Historian');
    const room = await roomWith(a);
    for (let i = 1; i <= 30; i++) await a.say(room, `h${i}`);  // one at a time: seq i has text h<i>
    const h = await a.request({ type: 'history', id: 7, room, before: 21, limit: 5 });
    assert.equal(h.type, 'history', JSON.stringify(h));
    assert.equal(h.re, 7);
    assert.equal(h.room, room);
    assert.deepEqual(seqsOf(h.messages), range(16, 20));
    h.messages.forEach((m) => assertMessage(m, { room }));
    assert.deepEqual(h.messages.map((m) => m.text), range(16, 20).map((n) => `h${n}`));

    const after = await a.expectReply({ type: 'history', room, after: 10, limit: 5 }, 'history');
    assert.deepEqual(seqsOf(after.messages), range(11, 15));
    const head = await a.expectReply({ type: 'history', room, before: 3, limit: 50 }, 'history');
    assert.deepEqual(seqsOf(head.messages), [1, 2]);
    const tail = await a.expectReply({ type: 'history', room, after: 25, limit: 50 }, 'history');
    assert.deepEqual(seqsOf(tail.messages), range(26, 30));
    const none = await a.expectReply({ type: 'history', room, after: 30, limit: 10 }, 'history');
    assert.deepEqual(none.messages, []);
    const all = await a.expectReply({ type: 'history', room, before: 31, limit: 50 }, 'history');
    assert.deepEqual(seqsOf(all.messages), range(1, 30));
    const deflt = await a.expectReply({ type: 'history', room, before: 31 }, 'history');
    assert.deepEqual(seqsOf(deflt.messages), range(1, 30), 'default limit 50');
  });
});

describe('typing', { timeout: scaled(30000) }, () => {
  test('others in the room get typing with USER and topic; the sender does not', async () => {
    const a = await user('Typer');
    const b = await user('Watcher', 'uni-essex');
    const outsider = await user('Outsider', 'charity');
    const room = await roomWith(a, b);
    a.send({ type: 'typing', room, topic: 'general', id: undefined });
    const t = await b.next('typing');
    assert.deepEqual(t, { type: 'typing', room, user: a.user, topic: 'general' });
    a.send({ type: 'typing', room, topic: 'budget', id: undefined });
    const t2 = await b.next('typing');
    assert.equal(t2.topic, 'budget');
    await a.sync();
    await a.expectNone((f) => f.type === 'typing' || f.type === 'error', scaled(200));
    await outsider.sync();
    await outsider.expectNone('typing', 1);
  });
});
