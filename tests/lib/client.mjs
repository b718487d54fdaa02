// A raw-frame WebSocket test client: it sends exactly the JSON it is given and keeps every frame it
// receives in order, so a test can wait for replies and pushed events without missing any.
import WebSocket from 'ws';
import { scaled } from './server.mjs';

export const DEFAULT_TIMEOUT_MS = scaled(5000);

let uniqueCounter = 0;
// An identifier valid as an org or room id ([a-z0-9][a-z0-9._~-]{0,63}) and unique in this process.
export function uniqueId(prefix = 'r') {
  uniqueCounter += 1;
  return `${prefix}-${process.pid.toString(36)}-${uniqueCounter.toString(36)}-${Math.random().toString(36).slice(2, 7)}`
    .toLowerCase().slice(0, 64);
}

// Turns a predicate spec into a function over frames:
//   'message'            → a pushed event of that type (a frame with no `re`)
//   {type:'presence', …} → every listed field equal (deep equality for objects)
//   (frame) => boolean   → as given
export function toPredicate(spec) {
  if (typeof spec === 'function') return spec;
  if (typeof spec === 'string') return (f) => f.type === spec && !('re' in f);
  if (spec && typeof spec === 'object') {
    return (f) => Object.entries(spec).every(([k, v]) => deepEqual(f[k], v));
  }
  if (spec === undefined) return () => true;
  throw new TypeError(`bad predicate ${spec}`);
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

export class Client {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.frames = [];          // every frame received, parsed (or {type:'<unparsable>', raw})
    this.consumed = new Set(); // indexes taken by next()/request()
    this.waiters = [];
    this.nextId = 1;
    this.user = null;
    this.welcome = null;
    this.errors = [];
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0)) w.fail(new Error(`${this.label}: connection closed (code ${code}) while waiting for ${w.what}`));
      });
    });
    ws.on('error', (err) => { this.errors.push(err); });
    this.pings = [];  // times (ms) at which the server's WebSocket pings arrived (ws answers them itself)
    ws.on('ping', () => { this.pings.push(Date.now()); });
    ws.on('message', (data, isBinary) => {
      const text = data.toString('utf8');
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = { type: '<unparsable>', raw: text };
      }
      if (isBinary) frame = { type: '<binary>', raw: text };
      this.frames.push(frame);
      const index = this.frames.length - 1;
      for (let i = 0; i < this.waiters.length; i++) {
        const w = this.waiters[i];
        if (w.predicate(frame)) {
          this.consumed.add(index);
          this.waiters.splice(i, 1);
          w.done(frame);
          break;
        }
      }
    });
  }

  get protocol() { return this.ws.protocol; }
  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  // Sends a JSON frame; adds an integer `id` unless the object has an `id` key (set it to
  // undefined to send none). Returns the id used.
  send(obj) {
    const frame = 'id' in obj ? obj : { ...obj, id: this.nextId++ };
    this.ws.send(JSON.stringify(frame));
    return frame.id;
  }

  // Sends raw text (for malformed frames).
  sendText(text) { this.ws.send(text); }

  // Sends a request and resolves with the reply carrying the same `re` (an error reply included).
  request(obj, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const frame = 'id' in obj ? obj : { ...obj, id: this.nextId++ };
    const id = frame.id;
    const reply = this.next((f) => 're' in f && f.re === id, timeoutMs, `reply to ${JSON.stringify(frame).slice(0, 200)}`);
    this.ws.send(JSON.stringify(frame));
    return reply;
  }

  // Like request() but fails unless the reply has `type` (e.g. 'joined').
  async expectReply(obj, type, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const reply = await this.request(obj, timeoutMs);
    if (reply.type !== type) {
      throw new Error(`${this.label}: expected ${type} for ${JSON.stringify(obj).slice(0, 200)}, got ${JSON.stringify(reply)}`);
    }
    return reply;
  }

  // Resolves with the first frame not yet taken that matches, waiting for it if needed.
  next(spec, timeoutMs = DEFAULT_TIMEOUT_MS, what) {
    const predicate = toPredicate(spec);
    what ??= typeof spec === 'function' ? 'a matching frame' : JSON.stringify(spec);
    for (let i = 0; i < this.frames.length; i++) {
      if (!this.consumed.has(i) && predicate(this.frames[i])) {
        this.consumed.add(i);
        return Promise.resolve(this.frames[i]);
      }
    }
    if (this.closeInfo) {
      return Promise.reject(new Error(`${this.label}: connection closed (code ${this.closeInfo.code}) while waiting for ${what}`));
    }
    return new Promise((resolve, reject) => {
      const waiter = { predicate, what, done: null, fail: null };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${this.describeRecent()}`));
      }, timeoutMs);
      waiter.done = (f) => { clearTimeout(timer); resolve(f); };
      waiter.fail = (e) => { clearTimeout(timer); reject(e); };
      this.waiters.push(waiter);
    });
  }

  // Takes `count` matching frames in arrival order.
  async collect(spec, count, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const out = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const left = Math.max(1, deadline - Date.now());
      try {
        out.push(await this.next(spec, left));
      } catch (e) {
        e.message = `${this.label}: got ${out.length} of ${count} frames: ${e.message}`;
        throw e;
      }
    }
    return out;
  }

  // Frames received and not yet taken that match (without taking them).
  pending(spec) {
    const predicate = toPredicate(spec);
    return this.frames.filter((f, i) => !this.consumed.has(i) && predicate(f));
  }

  // Waits `ms` and fails if a matching frame not yet taken arrived (or was already there).
  async expectNone(spec, ms = scaled(300)) {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.pending(spec);
    if (found.length) throw new Error(`${this.label}: expected no ${typeof spec === 'function' ? 'matching frame' : JSON.stringify(spec)}, got ${JSON.stringify(found).slice(0, 500)}`);
  }

  // Round trip: once a ping is answered, every frame the server sent before the pong has arrived.
  async sync(timeoutMs = DEFAULT_TIMEOUT_MS) {
    const reply = await this.request({ type: 'ping' }, timeoutMs);
    if (reply.type !== 'pong') throw new Error(`${this.label}: ping answered with ${JSON.stringify(reply)}`);
    return reply;
  }

  async hello(name, org, extra = {}) {
    const reply = await this.request({ type: 'hello', name, org, ...extra });
    if (reply.type !== 'welcome') throw new Error(`${this.label}: hello refused: ${JSON.stringify(reply)}`);
    this.welcome = reply;
    this.user = reply.user;
    return reply;
  }

  create(room, { title = `Room ${room}`, kind = 'room', ...extra } = {}) {
    return this.expectReply({ type: 'create', room, title, kind, ...extra }, 'created');
  }

  join(room, extra = {}) {
    return this.expectReply({ type: 'join', room, ...extra }, 'joined');
  }

  say(room, text, extra = {}) {
    return this.expectReply({ type: 'send', room, text, ...extra }, 'sent');
  }

  // Stops reading from the socket at the TCP level, so the kernel buffers fill up.
  pause() { this.ws._socket.pause(); }
  resume() { this.ws._socket.resume(); }

  // Orderly close (close frame); resolves {code, reason} once closed.
  async close(code = 1000, reason = '') {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    const timer = setTimeout(() => this.ws.terminate(), scaled(3000));
    try { return await this.closed; } finally { clearTimeout(timer); }
  }

  // Abrupt close: destroys the TCP socket without a close frame.
  terminate() {
    this.ws.terminate();
    return this.closed;
  }

  describeRecent(n = 5) {
    return this.frames.slice(-n).map((f) => JSON.stringify(f).slice(0, 300)).join(' | ') || '(none)';
  }
}

/**
 * Opens a WebSocket. options: protocols (string or array; none by default), headers, label,
 * timeoutMs. Resolves with a Client once open; rejects with the HTTP status if the upgrade is refused.
 */
export function connect(wsUrl, { protocols, headers, label, timeoutMs = DEFAULT_TIMEOUT_MS, ...wsOptions } = {}) {
  return new Promise((resolve, reject) => {
    const ws = protocols === undefined
      ? new WebSocket(wsUrl, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs, ...wsOptions })
      : new WebSocket(wsUrl, protocols, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs, ...wsOptions });
    const client = new Client(ws, label ?? 'client');
    let upgradeResponse = null;
    ws.once('upgrade', (res) => { upgradeResponse = res; client.upgradeHeaders = res.headers; });
    ws.once('open', () => { ws.off('error', onError); resolve(client); });
    ws.once('unexpected-response', (req, res) => {
      const err = new Error(`upgrade refused: HTTP ${res.statusCode}`);
      err.statusCode = res.statusCode;
      err.headers = res.headers;
      res.resume();
      ws.terminate();
      reject(err);
    });
    function onError(err) { reject(err); }
    ws.once('error', onError);
    void upgradeResponse;
  });
}

// connect() + hello(name, org): a signed-in client.
export async function connectAs(wsUrl, name, org, options = {}) {
  const client = await connect(wsUrl, { label: `${name}@${org}`, ...options });
  await client.hello(name, org);
  return client;
}
