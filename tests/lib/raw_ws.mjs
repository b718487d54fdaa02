// Raw WebSocket and HTTP over a plain TCP socket (node:net), for conformance tests that must send
// what a well-behaved library never would: unmasked frames, reserved bits and opcodes, bad keys,
// oversized control frames, broken UTF-8, ambiguous Transfer-Encoding.
import crypto from 'node:crypto';
import net from 'node:net';
import { scaled } from './server.mjs';

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

// One frame as bytes. `payload` is a Buffer or a string (UTF-8); `mask` false sends it unmasked.
export function encodeFrame({ opcode, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true }) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = data.length;
  const head = [((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf))];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) { head.push(maskBit | 126); ext = Buffer.alloc(2); ext.writeUInt16BE(len); }
  else { head.push(maskBit | 127); ext = Buffer.alloc(8); ext.writeBigUInt64BE(BigInt(len)); }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

// A close frame's payload: the code (2 bytes) and a reason (string or Buffer).
export function closePayload(code, reason = '') {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.isBuffer(reason) ? reason : Buffer.from(reason, 'utf8')]);
}

// Splits a byte stream into the server's (unmasked) frames.
class FrameReader {
  constructor() { this.buffer = Buffer.alloc(0); }
  push(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames = [];
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) break;
      let len = b[1] & 0x7f;
      let offset = 2;
      if (len === 126) { if (b.length < 4) break; len = b.readUInt16BE(2); offset = 4; }
      else if (len === 127) { if (b.length < 10) break; len = Number(b.readBigUInt64BE(2)); offset = 10; }
      const masked = (b[1] & 0x80) !== 0;
      if (masked) offset += 4;
      if (b.length < offset + len) break;
      frames.push({
        fin: (b[0] & 0x80) !== 0, rsv: (b[0] >> 4) & 7, opcode: b[0] & 0xf, masked,
        payload: Buffer.from(b.subarray(offset, offset + len)),
      });
      this.buffer = b.subarray(offset + len);
    }
    return frames;
  }
}

// Connects and waits for the TCP connection.
export function rawSocket(port, { host = '127.0.0.1', localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, localAddress });
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
    socket.once('error', reject);
  });
}

// Sends `text` (a whole HTTP request, or several) and collects everything the server sends until
// it closes the connection, answers 101 (the HTTP part is over; the socket is then closed) or
// `timeoutMs` passes. Resolves {data, closed, responses} where responses are the status codes of
// every response seen, in order.
export async function rawHttp(port, text, { timeoutMs = scaled(3000), localAddress } = {}) {
  const socket = await rawSocket(port, { localAddress });
  return new Promise((resolve) => {
    let data = '';
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const responses = [...data.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ data, closed, responses });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.startsWith('HTTP/1.1 101 ') && data.includes('\r\n\r\n')) finish();
    });
    socket.on('end', () => { closed = true; finish(); });
    socket.on('close', () => { closed = true; finish(); });
    socket.on('error', () => { closed = true; });
    socket.write(text);
  });
}

export function randomKey() { return crypto.randomBytes(16).toString('base64'); }

export function upgradeRequest({ path = '/ws', key = randomKey(), extra = '' } = {}) {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

// A WebSocket client that sends raw frames and reads the server's frames one by one.
export class RawWebSocket {
  // Performs the opening handshake; rejects with the HTTP status line if it is not 101.
  static async open(port, { key = randomKey(), localAddress, timeoutMs = scaled(5000) } = {}) {
    const socket = await rawSocket(port, { localAddress });
    const ws = new RawWebSocket(socket);
    socket.write(upgradeRequest({ key }));
    const head = await ws.#readHandshake(timeoutMs);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    if (status !== 101) {
      socket.destroy();
      throw Object.assign(new Error(`handshake answered: ${head.split('\r\n')[0]}`), { status, head });
    }
    const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    if (!head.includes(`\r\nSec-WebSocket-Accept: ${accept}`) && !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
      throw new Error(`bad Sec-WebSocket-Accept in ${head}`);
    }
    return ws;
  }

  constructor(socket) {
    this.socket = socket;
    this.reader = new FrameReader();
    this.frames = [];
    this.waiters = [];
    this.handshake = null;  // {resolve, reject} while the opening handshake is read
    this.raw = Buffer.alloc(0);
    this.ended = false;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => { this.ended = true; this.#wake(); resolve(); });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk) => this.#onData(chunk));
  }

  #onData(chunk) {
    if (this.handshake) {
      this.raw = Buffer.concat([this.raw, chunk]);
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.raw.subarray(0, end + 4).toString('latin1');
      const rest = this.raw.subarray(end + 4);
      const { resolve } = this.handshake;
      this.handshake = null;
      resolve(head);
      if (rest.length === 0) return;
      chunk = rest;
    }
    this.frames.push(...this.reader.push(chunk));
    this.#wake();
  }

  #wake() { for (const w of this.waiters.splice(0)) w(); }

  #readHandshake(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no handshake answer')), timeoutMs);
      this.handshake = { resolve: (head) => { clearTimeout(timer); resolve(head); } };
      this.socket.once('close', () => { clearTimeout(timer); reject(new Error('closed during the handshake')); });
    });
  }

  send(frame) { this.socket.write(encodeFrame(frame)); }
  sendText(text, options = {}) { this.send({ opcode: OP.text, payload: text, ...options }); }
  writeRaw(bytes) { this.socket.write(bytes); }

  // The next frame from the server (pings from the keepalive are answered and skipped unless
  // `keepPings`); null if the connection ends first or nothing comes within timeoutMs.
  async nextFrame({ timeoutMs = scaled(5000), keepPings = false } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.frames.length) {
        const f = this.frames.shift();
        if (f.opcode === OP.ping && !keepPings) { this.send({ opcode: OP.pong, payload: f.payload }); continue; }
        return f;
      }
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  // The next text frame, parsed as JSON.
  async nextJson(options) {
    for (;;) {
      const f = await this.nextFrame(options);
      if (!f) return null;
      if (f.opcode === OP.text) return JSON.parse(f.payload.toString('utf8'));
    }
  }

  // Waits for the server's close frame: {code, reason} (code null for an empty close payload),
  // or null if the TCP connection ended (or the time ran out) without one. Data frames before it are skipped.
  async closeFrame(options) {
    for (;;) {
      const f = await this.nextFrame(options);
      if (!f) return null;
      if (f.opcode !== OP.close) continue;
      return {
        code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null,
        reason: f.payload.subarray(2).toString('utf8'),
        payload: f.payload,
      };
    }
  }

  destroy() { this.socket.destroy(); }
}
