// Assertions on the shapes that protocol.md defines, and small helpers shared by the integration
// tests (bulk sending, sequence checks, Prometheus text parsing).
import assert from 'node:assert/strict';
import { DEFAULT_TIMEOUT_MS } from './client.mjs';

export const ERROR_CODES = ['bad_request', 'unauthenticated', 'forbidden', 'not_found', 'conflict',
  'rate_limited', 'too_large', 'unavailable', 'internal'];

const isMs = (v) => Number.isInteger(v) && v > 1_600_000_000_000 && v < 4_000_000_000_000;

// An error frame: {"type":"error","re":<id or absent>,"code":CODE,"message":"human text"}.
export function assertError(frame, code, re) {
  assert.equal(frame.type, 'error', `expected an error ${code ?? ''}, got ${JSON.stringify(frame)}`);
  assert.ok(ERROR_CODES.includes(frame.code), `unknown error code in ${JSON.stringify(frame)}`);
  if (code !== undefined) {
    if (Array.isArray(code)) assert.ok(code.includes(frame.code), `expected one of ${code}, got ${JSON.stringify(frame)}`);
    else assert.equal(frame.code, code, `expected ${code}, got ${JSON.stringify(frame)}`);
  }
  assert.equal(typeof frame.message, 'string', `error without a message: ${JSON.stringify(frame)}`);
  assert.ok(frame.message.length > 0, `error with an empty message: ${JSON.stringify(frame)}`);
  if (re !== undefined) assert.equal(frame.re, re, `error re: ${JSON.stringify(frame)}`);
  return frame;
}

// Sends `obj` and asserts the reply is an error with `code`, echoing the id as `re`.
export async function expectError(client, obj, code) {
  const frame = { ...obj };
  if (!('id' in frame)) frame.id = client.nextId++;
  const reply = await client.request(frame);
  return assertError(reply, code, frame.id);
}

// USER is {"id","name","org"}.
export function assertUser(user, expected = {}) {
  assert.equal(typeof user, 'object', `USER: ${JSON.stringify(user)}`);
  assert.ok(user !== null, 'USER is null');
  assert.equal(typeof user.id, 'string', `USER.id: ${JSON.stringify(user)}`);
  assert.ok(user.id.length > 0, 'USER.id empty');
  assert.equal(typeof user.name, 'string', `USER.name: ${JSON.stringify(user)}`);
  assert.equal(typeof user.org, 'string', `USER.org: ${JSON.stringify(user)}`);
  for (const [k, v] of Object.entries(expected)) assert.equal(user[k], v, `USER.${k} in ${JSON.stringify(user)}`);
}

// ROOM is {"id","title","kind","created_by":<user id>,"created_at":<ms>} and may carry more.
export function assertRoom(room, expected = {}) {
  assert.equal(typeof room, 'object', `ROOM: ${JSON.stringify(room)}`);
  assert.equal(typeof room.id, 'string', `ROOM.id: ${JSON.stringify(room)}`);
  assert.equal(typeof room.title, 'string', `ROOM.title: ${JSON.stringify(room)}`);
  assert.ok(['room', 'session', 'breakout'].includes(room.kind), `ROOM.kind: ${JSON.stringify(room)}`);
  assert.equal(typeof room.created_by, 'string', `ROOM.created_by: ${JSON.stringify(room)}`);
  assert.ok(isMs(room.created_at), `ROOM.created_at is not ms: ${JSON.stringify(room)}`);
  for (const [k, v] of Object.entries(expected)) assert.equal(room[k], v, `ROOM.${k} in ${JSON.stringify(room)}`);
}

// MESSAGE: {"type":"message","room","seq","ts","from":USER,"topic","text","tag":<or null>,
// "reply_to":<or null>,"nonce":<or null>}.
export function assertMessage(m, expected = {}) {
  assert.equal(m.type, 'message', `MESSAGE.type: ${JSON.stringify(m)}`);
  assert.equal(typeof m.room, 'string', `MESSAGE.room: ${JSON.stringify(m)}`);
  assert.ok(Number.isInteger(m.seq) && m.seq >= 1, `MESSAGE.seq: ${JSON.stringify(m)}`);
  assert.ok(isMs(m.ts), `MESSAGE.ts is not ms: ${JSON.stringify(m)}`);
  assertUser(m.from);
  assert.equal(typeof m.topic, 'string', `MESSAGE.topic: ${JSON.stringify(m)}`);
  assert.equal(typeof m.text, 'string', `MESSAGE.text: ${JSON.stringify(m).slice(0, 300)}`);
  for (const k of ['tag', 'reply_to', 'nonce']) assert.ok(k in m, `MESSAGE without ${k}: ${JSON.stringify(m).slice(0, 300)}`);
  assert.ok(m.tag === null || ['learn', 'do', 'reflect', 'share'].includes(m.tag), `MESSAGE.tag: ${m.tag}`);
  assert.ok(m.reply_to === null || Number.isInteger(m.reply_to), `MESSAGE.reply_to: ${m.reply_to}`);
  assert.ok(m.nonce === null || typeof m.nonce === 'string', `MESSAGE.nonce: ${m.nonce}`);
  assert.ok(!('re' in m), `MESSAGE carries re: ${JSON.stringify(m).slice(0, 300)}`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(m[k], v, `MESSAGE.${k} in ${JSON.stringify(m).slice(0, 300)}`);
}

// PRESENCE is {"user":USER,"state":"online"|"away","since":<ms>}.
export function assertPresenceEntry(p) {
  assertUser(p.user);
  assert.ok(['online', 'away'].includes(p.state), `PRESENCE.state: ${JSON.stringify(p)}`);
  assert.ok(isMs(p.since), `PRESENCE.since is not ms: ${JSON.stringify(p)}`);
}

export const seqsOf = (messages) => messages.map((m) => m.seq);
export const range = (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

// Sends `count` messages without waiting between them; resolves with the `sent` replies in the
// order the sends were made. textOf(i) gives the text of the i-th (0-based).
export async function sendMany(client, room, count, textOf = (i) => `message ${i + 1}`, extraOf = () => ({}),
  timeoutMs = DEFAULT_TIMEOUT_MS * 4) {
  const replies = [];
  for (let i = 0; i < count; i++) {
    replies.push(client.request({ type: 'send', room, text: textOf(i), ...extraOf(i) }, timeoutMs));
  }
  const all = await Promise.all(replies);
  for (const r of all) assert.equal(r.type, 'sent', `send failed: ${JSON.stringify(r)}`);
  return all;
}

// Takes `count` live message events of `room` in arrival order.
export function collectMessages(client, room, count, timeoutMs = DEFAULT_TIMEOUT_MS * 4) {
  return client.collect((f) => f.type === 'message' && !('re' in f) && f.room === room, count, timeoutMs);
}

// Parses Prometheus text exposition into [{name, labels, value}].
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

// Sum of the samples whose name matches `nameRe` and whose labels include `labels`.
export function metricValue(samples, nameRe, labels = {}) {
  const found = samples.filter((s) => nameRe.test(s.name) && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (!found.length) return undefined;
  return found.reduce((a, s) => a + s.value, 0);
}

export async function fetchMetrics(server) {
  const res = await server.get('/metrics');
  assert.equal(res.status, 200, `/metrics status ${res.status}`);
  return parseMetrics(res.text);
}
