// OutLoud protocol client (protocol version 1), for browsers and Node.
// No dependencies: pass a WebSocket constructor in the options under Node (e.g. the `ws` package).
//
// What it takes care of, so an application does not have to:
// - request/reply correlation by `id`, with timeouts and errors as rejected Promises;
// - reconnection with capped, jittered exponential backoff; after a reconnect it says hello
//   again and rejoins every room with `since` = the last seq it holds, so the application
//   sees each message exactly once and in order (a `reset` event when the server could not
//   recover the gap);
// - per-room last seq and de-duplication of live messages;
// - a throttle on typing notices, and the away/online status restored after a reconnect.
//
// Modules: protocol-basics.js (constants, validators, helpers), reconnecting-socket.js (the
// connection, requests and room resumption), facilitation-commands.js and access-commands.js
// (the facilitation.md and access.md requests); this file puts them together as OutloudClient
// and re-exports the basics, so `import … from './outloud.js'` keeps working.

import { createThrottle, makeNonce, OutloudError } from './protocol-basics.js';
import { ReconnectingSocket } from './reconnecting-socket.js';
import { facilitationCommands } from './facilitation-commands.js';
import { accessCommands } from './access-commands.js';
import { topicCommands } from './topic-commands.js';

const MAX_ROOM_PAGES = 40;  // 20,000 rooms at the server's largest page

export * from './protocol-basics.js';
export { ReconnectingSocket } from './reconnecting-socket.js';

/**
 * OutLoud protocol client.
 *
 * Events (subscribe with `on(type, fn)`; `fn` gets one argument):
 * - `state`     `{state, attempt, delayMs?, error?}` connection state changes.
 * - `welcome`   the welcome frame (after every successful hello, rejoins done).
 * - `joined`    `{room, frame, rejoin, reset}` after a join or an automatic rejoin. When `rejoin`
 *               is false or `reset` is true, `frame.messages` replaces the room's list; otherwise
 *               the recovered messages arrive as `message` events.
 * - `reset`     `{room, frame}` a rejoin could not recover the gap: reload the room's list.
 * - `message`   a MESSAGE, each seq of a room exactly once and in order.
 * - `presence`, `typing`, `hands`, `floor`, `timer`, `poll`, `breakout`, `agenda`, `role`, … :
 *               every other server event, under its own `type`.
 * - `server-error` an error frame that answers no request.
 * - `fatal`     an OutloudError: the server refused hello; the client stops.
 * - `frame`     every frame received, before any other handling.
 */
export class OutloudClient extends ReconnectingSocket {
  /**
   * @param {object} options
   * @param {string} [options.url] WebSocket URL, e.g. `ws://host:port/ws`.
   * @param {string} [options.name] display name (open mode).
   * @param {string} [options.org] organisation id (open mode).
   * @param {string} [options.token] JWT (token mode), instead of name and org.
   * @param {typeof WebSocket} [options.WebSocket] WebSocket constructor; default globalThis.WebSocket.
   * @param {number} [options.requestTimeoutMs=10000]
   * @param {number} [options.connectTimeoutMs=10000]
   * @param {number} [options.heartbeatMs=2500] a ping after this long without a frame from the server; 0 disables.
   * @param {number} [options.heartbeatTimeoutMs=4000] no pong within this long: the connection is dead.
   * @param {number} [options.typingIntervalMs=3000] at most one typing notice per room and topic per interval.
   * @param {number} [options.joinLimit=50] messages asked for on a fresh join.
   * @param {{initialDelayMs?: number, maxDelayMs?: number, factor?: number, jitter?: number}} [options.reconnect]
   */
  constructor(options = {}) {
    super(options);
    this._typing = createThrottle((_key, room, topic) => {
      this.notify({ type: 'typing', room, topic });
    }, this.options.typingIntervalMs);
  }

  // ---- protocol operations ------------------------------------------------------------------

  /** @returns {Promise<Array<object>>} every room (page by page), each with `online`. */
  async rooms() {
    return this._allRooms({});
  }

  /** Walks the `rooms` pages (`next` → `after`), at most MAX_ROOM_PAGES of them. */
  async _allRooms(filter) {
    const rooms = [];
    let after;
    for (let page = 0; page < MAX_ROOM_PAGES; page += 1) {
      const reply = await this.request({ type: 'rooms', ...filter, ...(after ? { after } : {}) }, { retry: true });
      rooms.push(...(reply.rooms || []));
      if (!reply.next) break;
      after = reply.next;
    }
    return rooms;
  }

  /**
   * Creates a room. Rejects with code `conflict` if it exists.
   * @param {string} room id
   * @param {string} title
   * @param {'room'|'session'} [kind='room']
   */
  async create(room, title, kind = 'room') {
    const reply = await this.request({ type: 'create', room, title, kind });
    return reply.room;
  }

  /**
   * Sends a message. It carries a nonce, so that it is safely sent again after a reconnect:
   * the server stores it once. Resolves with the `sent` reply ({seq, ts}).
   * @param {string} room
   * @param {string} text
   * @param {{topic?: string, tag?: string|null, replyTo?: number|null, nonce?: string, timeoutMs?: number}} [opts]
   */
  send(room, text, opts = {}) {
    const frame = { type: 'send', room, text, nonce: opts.nonce || makeNonce() };
    if (opts.topic) frame.topic = opts.topic;
    if (opts.tag) frame.tag = opts.tag;
    if (opts.replyTo !== undefined && opts.replyTo !== null) frame.reply_to = opts.replyTo;
    // The caller may want to match the live echo to its pending copy.
    const promise = this.request(frame, { retry: true, timeoutMs: opts.timeoutMs });
    promise.nonce = frame.nonce;
    return promise;
  }

  /**
   * Fetches messages: `before` a seq (older) or `after` a seq (newer), ascending.
   * @param {string} room
   * @param {{before?: number, after?: number, limit?: number}} opts
   * @returns {Promise<Message[]>}
   */
  async history(room, opts = {}) {
    const frame = { type: 'history', room, limit: opts.limit ?? 50 };
    if (opts.before !== undefined) frame.before = opts.before;
    if (opts.after !== undefined) frame.after = opts.after;
    const reply = await this.request(frame, { retry: true });
    return reply.messages || [];
  }

  /**
   * Tells the room that the user is typing; throttled to one notice per room and topic per
   * `typingIntervalMs`. Returns true if a notice was sent.
   * @param {string} room
   * @param {string} [topic='general']
   */
  typing(room, topic = 'general') {
    if (!this._ready) return false;
    return this._typing(`${room}\u0000${topic}`, room, topic);
  }

  /** Lets the next `typing()` for this room go out at once (e.g. after a message is sent). */
  resetTyping(room, topic = 'general') {
    this._typing.reset(`${room}\u0000${topic}`);
  }

  /**
   * Sets the user's state in every joined room; remembered and restored after a reconnect.
   * @param {'online'|'away'} state
   */
  setStatus(state) {
    if (state !== 'online' && state !== 'away') throw new OutloudError('bad_request', 'state must be online or away');
    if (this._status === state) return false;
    this._status = state;
    return this.notify({ type: 'status', state });
  }

  /** The status last set with setStatus(). */
  get status() {
    return this._status;
  }

  /** Round trip to the server. */
  ping() {
    return this.request({ type: 'ping' });
  }
}

Object.assign(OutloudClient.prototype, facilitationCommands, accessCommands, topicCommands);

export default OutloudClient;
