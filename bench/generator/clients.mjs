// One client per system, each over a plain `ws` WebSocket and each with the same face:
//   await open(); await create(room); await join(room); publish(room, text); close()
// Every payload carries a marker "BM<step>:<seq>:<sent µs>;" that the receiving side finds in the
// raw frame (no JSON parse on the hot path), so the three systems are measured by the same code.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export const nowUs = () => Math.round(performance.now() * 1000);
// Read once: process.env is a call into the C++ side on every access, too dear for every frame.
const DEBUG = Boolean(process.env.BENCH_DEBUG);

// A ~100-byte text whose marker says which step and message it is and when it was sent.
export function payload(step, seq, bytes = 100) {
  const marker = `BM${step}:${seq}:${nowUs()};`;
  return marker.length >= bytes ? marker : marker + 'x'.repeat(bytes - marker.length);
}

// Calls recorder.hit(step, seq, sentUs) for every marker in `text` from `from` on.
export function scanMarkers(text, recorder, from = 0) {
  for (let at = text.indexOf('BM', from); at >= 0; at = text.indexOf('BM', at + 2)) {
    const c1 = text.indexOf(':', at);
    const c2 = text.indexOf(':', c1 + 1);
    const end = text.indexOf(';', c2 + 1);
    if (c1 < 0 || c2 < 0 || end < 0) return;
    recorder.hit(+text.slice(at + 2, c1), +text.slice(c1 + 1, c2), +text.slice(c2 + 1, end));
  }
}

const WS_OPTIONS = { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 };

class BaseClient {
  constructor(url, recorder) {
    this.url = url;
    this.recorder = recorder;
    this.errors = 0;
    this.closed = false;
  }

  connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, WS_OPTIONS);
      this.ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('error', (error) => { this.errors++; reject(error); });
      ws.on('close', () => { this.closed = true; this.failPending(new Error('connection closed')); });
      ws.on('message', (data, isBinary) => this.onFrame(isBinary ? data.toString('latin1') : data.toString()));
      ws.on('open', resolve);
    });
  }

  // Resolves with the outcome of one request; a waiter that is never answered fails after `ms`.
  waiter(list, ms = 60000, what = "a request") {
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      entry.timer = setTimeout(() => {
        const index = list.indexOf(entry);
        if (index >= 0) list.splice(index, 1);
        reject(new Error(`${this.constructor.name}: no answer to ${what} in ${ms} ms${this.seen ? ` after ${JSON.stringify(this.seen.filter((f) => !f.includes('presence')).slice(-6))} (${this.seen.length} frames)` : ''}`));
      }, ms);
      list.push(entry);
    });
  }

  settle(list, value, index = 0) {
    const [entry] = list.splice(index, 1);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (value instanceof Error) entry.reject(value); else entry.resolve(value);
  }

  failPending(error) {
    for (const list of this.pendingLists()) while (list.length) this.settle(list, error);
  }

  send(text) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  bufferedAmount() { return this.ws.bufferedAmount; }

  close() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.terminate();
  }
}

// OutLoud's own protocol (protocol/README.md): hello, create, join, send; `message` events.
export class OutLoudClient extends BaseClient {
  constructor(url, recorder, name, { presenceLimit, messageBatches } = {}) {
    super(url, recorder);
    this.name = name;
    this.presenceLimit = presenceLimit;  // set: joins as a large-room client (a first page of presence)
    this.messageBatches = messageBatches;  // set: a round of messages comes as one `message_batch`
    this.nextId = 0;
    this.waiting = new Map();  // reply type -> FIFO of waiters (one request of a kind at a time)
    this.byId = new Map();     // request id -> [type, waiter entry] for errors
    this.acks = 0;
  }

  pendingLists() { return [...this.waiting.values()]; }

  async open() {
    await this.connect(this.url);
    await this.request({ type: 'hello', name: this.name, org: 'bench' }, 'welcome');
  }

  request(frame, replyType) {
    const id = `r${++this.nextId}`;
    if (!this.waiting.has(replyType)) this.waiting.set(replyType, []);
    const list = this.waiting.get(replyType);
    const promise = this.waiter(list, 60000, frame.type);
    this.byId.set(id, list[list.length - 1]);
    this.send(JSON.stringify({ ...frame, id }));
    return promise.finally(() => this.byId.delete(id));
  }

  async create(room) {
    try {
      await this.request({ type: 'create', room }, 'created');
    } catch (error) {
      if (!/conflict/.test(error.message)) throw error;  // made by an earlier run of the step
    }
  }

  join(room) {
    const paged = this.presenceLimit ? { presence_limit: this.presenceLimit } : {};
    const batched = this.messageBatches ? { message_batches: true } : {};
    return this.request({ type: 'join', room, limit: 1, ...paged, ...batched }, 'joined');
  }

  publish(room, text) { this.send(JSON.stringify({ type: 'send', room, text })); }

  onFrame(text) {
    if (DEBUG) (this.seen ??= []).push(text.slice(0, 160));
    if (!text.startsWith('{"type":"')) return;
    const type = text.slice(9, text.indexOf('"', 9));
    if (type === 'message' || type === 'message_batch') return scanMarkers(text, this.recorder);
    if (type === 'sent') { this.acks++; return; }
    if (type === 'error') {
      const frame = JSON.parse(text);
      const entry = this.byId.get(frame.re);
      if (!entry) { this.errors++; this.recorder.refused++; return; }
      for (const list of this.waiting.values()) {
        const index = list.indexOf(entry);
        if (index >= 0) this.settle(list, new Error(`${frame.code}: ${frame.message}`), index);
      }
      return;
    }
    const list = this.waiting.get(type);
    if (list?.length) this.settle(list, text);
  }
}

// Socket.IO 4 over Engine.IO 4's WebSocket transport, spoken directly: "40" connects to the main
// namespace, "2"/"3" are ping/pong, "42[...]" an event, "42<id>[...]" one that wants "43<id>[...]".
export class SocketIoClient extends BaseClient {
  constructor(url, recorder) {
    super(url, recorder);
    this.nextId = 0;
    this.acks = new Map();
    this.opened = [];
  }

  pendingLists() { return [this.opened, ...[...this.acks.values()]]; }

  async open() {
    const connected = this.waiter(this.opened);
    await this.connect(`${this.url}/socket.io/?EIO=4&transport=websocket`);
    await connected;
  }

  async create() {}

  join(room) {
    const id = ++this.nextId;
    const list = [];
    this.acks.set(id, list);
    const promise = this.waiter(list).finally(() => this.acks.delete(id));
    this.send(`42${id}${JSON.stringify(['join', room])}`);
    return promise;
  }

  publish(room, text) { this.send(`42${JSON.stringify(['pub', room, text])}`); }

  onFrame(text) {
    if (text.startsWith('42')) return scanMarkers(text, this.recorder, 2);
    if (text === '2') return this.send('3');
    if (text.startsWith('43')) {
      const id = parseInt(text.slice(2), 10);
      const list = this.acks.get(id);
      if (list) this.settle(list, text);
      return;
    }
    if (text.startsWith('0')) return this.send('40');
    if (text.startsWith('40')) return this.settle(this.opened, text);
    if (text.startsWith('44')) { this.errors++; this.settle(this.opened, new Error(`socket.io refused: ${text}`)); }
  }
}

// NATS's text protocol over its WebSocket listener: INFO, CONNECT, SUB, PUB, MSG, PING/PONG. One
// WebSocket frame may hold many operations, or part of one: the input is buffered and parsed.
export class NatsClient extends BaseClient {
  constructor(url, recorder) {
    super(url, recorder);
    this.buffer = '';
    this.pongs = [];
    this.nextSid = 0;
  }

  pendingLists() { return [this.pongs]; }

  async open() {
    const ready = this.waiter(this.pongs);  // CONNECT is sent on INFO, followed by a PING
    await this.connect(this.url);
    await ready;
  }

  async create() {}

  join(room) {
    const promise = this.waiter(this.pongs);
    this.send(`SUB ${room} ${++this.nextSid}\r\nPING\r\n`);
    return promise;
  }

  publish(room, text) { this.send(`PUB ${room} ${Buffer.byteLength(text)}\r\n${text}\r\n`); }

  onFrame(text) {
    let buffer = this.buffer.length ? this.buffer + text : text;
    let at = 0;
    for (;;) {
      const eol = buffer.indexOf('\r\n', at);
      if (eol < 0) break;
      if (buffer.startsWith('MSG ', at)) {
        const length = +buffer.slice(buffer.lastIndexOf(' ', eol) + 1, eol);
        const end = eol + 2 + length;
        if (buffer.length < end + 2) break;  // the payload is still on its way
        scanMarkers(buffer.slice(eol + 2, end), this.recorder);
        at = end + 2;
        continue;
      }
      const line = buffer.slice(at, eol);
      at = eol + 2;
      if (line === 'PING') this.send('PONG\r\n');
      else if (line === 'PONG') this.settle(this.pongs, line);
      else if (line.startsWith('INFO ')) this.send('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"echo":true}\r\nPING\r\n');
      else if (line.startsWith('-ERR')) { this.errors++; this.recorder.refused++; }
    }
    this.buffer = at < buffer.length ? buffer.slice(at) : '';
  }
}

export function makeClient(system, url, recorder, index) {
  if (system === 'outloud') return new OutLoudClient(url, recorder, `Bench ${index}`);
  if (system === 'outloud-batched') return new OutLoudClient(url, recorder, `Bench ${index}`, { messageBatches: true });
  if (system === 'outloud-paged') return new OutLoudClient(url, recorder, `Bench ${index}`, { presenceLimit: 100 });
  if (system === 'socketio') return new SocketIoClient(url, recorder);
  if (system === 'nats') return new NatsClient(url, recorder);
  throw new Error(`unknown system ${system}`);
}
