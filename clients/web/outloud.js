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

/** The WebSocket subprotocol of protocol version 1. */
export const SUBPROTOCOL = 'outloud.v1';

/** Identifier rule for organisations and rooms, as the server checks it. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9._~-]{0,63}$/;

/** Limits of the contract, for validating input before it is sent. */
export const LIMITS = Object.freeze({
  nameMax: 80,
  textMax: 16000,
  topicMax: 60,
  nonceMax: 64,
  joinLimitMax: 200,
});

/** Message tags the server accepts. */
export const TAGS = Object.freeze(['learn', 'do', 'reflect', 'share']);

/** Error codes that make retrying the same hello pointless. */
const FATAL_HELLO_CODES = new Set(['bad_request', 'unauthenticated', 'forbidden']);

/** @param {string} value */
export function isValidSlug(value) {
  return typeof value === 'string' && SLUG_PATTERN.test(value);
}

/** Number of user-perceived characters the server counts (code points). */
export function codePointLength(value) {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** @param {string} name */
export function isValidName(name) {
  if (typeof name !== 'string') return false;
  const n = codePointLength(name);
  return n >= 1 && n <= LIMITS.nameMax && name.trim().length > 0;
}

/**
 * An Error from the server or from the client itself.
 * `code` is one of the protocol's error codes, or `timeout`, `disconnected`, `closed`.
 */
export class OutloudError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {object} [frame] the error frame, when the server sent one
   */
  constructor(code, message, frame) {
    super(message || code);
    this.name = 'OutloudError';
    this.code = code;
    this.frame = frame;
  }
}

/**
 * Calls `fn(key, ...args)` at most once per `intervalMs` for each key. Useful for typing notices.
 * @param {(key: string, ...args: any[]) => void} fn
 * @param {number} intervalMs
 * @param {() => number} [now]
 */
export function createThrottle(fn, intervalMs, now = () => Date.now()) {
  const last = new Map();
  const throttled = (key, ...args) => {
    const t = now();
    const prev = last.get(key);
    if (prev !== undefined && t - prev < intervalMs) return false;
    last.set(key, t);
    fn(key, ...args);
    return true;
  };
  throttled.reset = (key) => (key === undefined ? last.clear() : last.delete(key));
  return throttled;
}

/** A random string usable as a message nonce. */
export function makeNonce() {
  const bytes = new Uint8Array(12);
  if (globalThis.crypto && globalThis.crypto.getRandomValues) globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Backoff delay for reconnect attempt `attempt` (0-based): exponential, capped, and jittered
 * downwards by up to `jitter` of itself so that many clients do not return in step.
 */
export function backoffDelay(attempt, { initialDelayMs, maxDelayMs, factor, jitter }, random = Math.random) {
  const base = Math.min(maxDelayMs, initialDelayMs * Math.pow(factor, attempt));
  return Math.round(base * (1 - jitter * random()));
}

const DEFAULT_OPTIONS = {
  requestTimeoutMs: 10000,
  connectTimeoutMs: 10000,
  heartbeatMs: 25000,
  heartbeatTimeoutMs: 10000,
  typingIntervalMs: 3000,
  joinLimit: 50,
  reconnect: { initialDelayMs: 500, maxDelayMs: 15000, factor: 2, jitter: 0.5 },
};

/**
 * @typedef {{id: string, name: string, org: string}} User
 * @typedef {{type: 'message', room: string, seq: number, ts: number, from: User, topic: string,
 *   text: string, tag: string|null, reply_to: number|null, nonce: string|null}} Message
 * @typedef {'idle'|'connecting'|'online'|'reconnecting'|'closed'} ConnectionState
 */

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
export class OutloudClient {
  /**
   * @param {object} options
   * @param {string} [options.url] WebSocket URL, e.g. `ws://host:port/ws`.
   * @param {string} [options.name] display name (open mode).
   * @param {string} [options.org] organisation id (open mode).
   * @param {string} [options.token] JWT (token mode), instead of name and org.
   * @param {typeof WebSocket} [options.WebSocket] WebSocket constructor; default globalThis.WebSocket.
   * @param {number} [options.requestTimeoutMs=10000]
   * @param {number} [options.connectTimeoutMs=10000]
   * @param {number} [options.heartbeatMs=25000] application ping interval; 0 disables.
   * @param {number} [options.heartbeatTimeoutMs=10000]
   * @param {number} [options.typingIntervalMs=3000] at most one typing notice per room and topic per interval.
   * @param {number} [options.joinLimit=50] messages asked for on a fresh join.
   * @param {{initialDelayMs?: number, maxDelayMs?: number, factor?: number, jitter?: number}} [options.reconnect]
   */
  constructor(options = {}) {
    this.options = {
      ...DEFAULT_OPTIONS,
      ...options,
      reconnect: { ...DEFAULT_OPTIONS.reconnect, ...(options.reconnect || {}) },
    };
    this.WebSocketImpl = options.WebSocket || globalThis.WebSocket;
    this.url = options.url || null;
    /** @type {ConnectionState} */
    this.state = 'idle';
    /** @type {User|null} */
    this.user = null;
    /** The last welcome frame. */
    this.welcome = null;

    this._listeners = new Map();
    this._nextId = 1;
    this._pending = new Map(); // id -> {frame, resolve, reject, timer, retry, timeoutMs}
    this._queue = []; // requests waiting for the connection to be ready
    this._rooms = new Map(); // room id -> {lastSeq, limit, joining, buffer}
    this._ws = null;
    this._attempt = 0;
    this._reconnectTimer = null;
    this._connectTimer = null;
    this._heartbeatTimer = null;
    this._ready = false; // hello answered and rooms rejoined on the current socket
    this._closedByUser = false;
    this._status = 'online';
    this._connectWaiters = [];
    this._typing = createThrottle((_key, room, topic) => {
      this.notify({ type: 'typing', room, topic });
    }, this.options.typingIntervalMs);
  }

  // ---- events -------------------------------------------------------------------------------

  /**
   * Subscribes to an event. Returns a function that unsubscribes.
   * @param {string} type
   * @param {(detail: any) => void} fn
   */
  on(type, fn) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return () => this.off(type, fn);
  }

  /** @param {string} type @param {(detail: any) => void} fn */
  off(type, fn) {
    const set = this._listeners.get(type);
    if (set) set.delete(fn);
  }

  /** Subscribes for one event only. */
  once(type, fn) {
    const off = this.on(type, (detail) => {
      off();
      fn(detail);
    });
    return off;
  }

  _emit(type, detail) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(detail);
      } catch (err) {
        // A listener's bug must not break the protocol state machine.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  // ---- connection ---------------------------------------------------------------------------

  /**
   * Opens the connection (and keeps it open, reconnecting as needed) and says hello.
   * Resolves with the welcome frame once connected; rejects only if the server refuses the
   * hello (bad name, bad token) or `close()` is called first.
   * @param {string} [url]
   * @param {{name?: string, org?: string, token?: string}} [identity]
   * @returns {Promise<object>}
   */
  connect(url, identity) {
    if (url) this.url = url;
    if (identity) Object.assign(this.options, identity);
    if (!this.url) throw new OutloudError('bad_request', 'no URL to connect to');
    if (!this.WebSocketImpl) throw new OutloudError('bad_request', 'no WebSocket implementation available');
    this._closedByUser = false;
    const promise = new Promise((resolve, reject) => this._connectWaiters.push({ resolve, reject }));
    if (this.state === 'online') {
      this._settleConnect(null, this.welcome);
    } else if (!this._ws && !this._reconnectTimer) {
      this._open();
    }
    return promise;
  }

  /** Closes the connection for good (no reconnection). Pending requests reject with `closed`. */
  close() {
    this._closedByUser = true;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._dropSocket(1000, 'client closed', 'none');
    const err = new OutloudError('closed', 'connection closed by the client');
    this._failAll(err);
    this._settleConnect(err);
    this._setState('closed');
  }

  /**
   * Closes the current socket as if the network had dropped it; the client reconnects.
   * Useful for a "reconnect now" button and for tests.
   */
  reconnectNow() {
    if (this._closedByUser) return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    if (this._ws) this._dropSocket(4000, 'reconnect requested', 'now');
    else this._open();
  }

  /** True once hello is answered and every room is rejoined. */
  get ready() {
    return this._ready;
  }

  _setState(state, extra = {}) {
    this.state = state;
    this._emit('state', { state, attempt: this._attempt, ...extra });
  }

  _settleConnect(err, welcome) {
    const waiters = this._connectWaiters;
    this._connectWaiters = [];
    for (const w of waiters) (err ? w.reject(err) : w.resolve(welcome));
  }

  _open() {
    this._ready = false;
    this._setState(this._attempt === 0 && !this.welcome ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url, [SUBPROTOCOL]);
    } catch (err) {
      this._scheduleReconnect(err);
      return;
    }
    this._ws = ws;
    this._connectTimer = setTimeout(() => {
      if (this._ws === ws) this._dropSocket(4000, 'connect timeout', 'schedule');
    }, this.options.connectTimeoutMs);
    ws.onopen = () => {
      if (this._ws !== ws) return;
      clearTimeout(this._connectTimer);
      this._sayHello();
    };
    ws.onmessage = (event) => {
      if (this._ws !== ws) return;
      this._receive(event.data);
    };
    ws.onerror = () => {
      // Browsers give no detail; the close event that follows does the work.
    };
    ws.onclose = (event) => {
      if (this._ws !== ws) return;
      this._ws = null;
      this._onDisconnect({ code: event.code, reason: event.reason });
    };
  }

  /**
   * Detaches and closes the current socket. `then`: 'none' (closing for good), 'schedule' (reconnect
   * after the backoff delay) or 'now' (reconnect at once).
   */
  _dropSocket(code, reason, then) {
    const ws = this._ws;
    if (!ws) return;
    this._ws = null;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close(code, reason);
    } catch {
      try {
        ws.close();
      } catch {
        // already closing
      }
    }
    if (then === 'none') {
      this._stopTimers();
      return;
    }
    this._onDisconnect({ code, reason }, then === 'now' ? 'none' : 'schedule');
    if (then === 'now' && !this._closedByUser) this._open();
  }

  _stopTimers() {
    clearTimeout(this._connectTimer);
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = null;
  }

  _onDisconnect(info, next = 'schedule') {
    this._stopTimers();
    this._ready = false;
    // Requests on the wire are lost with the socket: idempotent ones go again after the
    // reconnect, the others fail so that the caller can decide.
    const inFlight = [...this._pending.values()];
    this._pending.clear();
    const again = [];
    for (const req of inFlight) {
      clearTimeout(req.timer);
      if (req.retry && !req.internal) again.push(req);
      else req.reject(new OutloudError('disconnected', 'connection lost before the reply'));
    }
    this._queue = again.concat(this._queue);
    for (const room of this._rooms.values()) {
      room.joining = false;
      room.buffer = [];
    }
    if (this._closedByUser || next !== 'schedule') return;
    this._scheduleReconnect(null, info);
  }

  _scheduleReconnect(error, info) {
    const delayMs = backoffDelay(this._attempt, this.options.reconnect);
    this._attempt++;
    this._setState('reconnecting', { delayMs, error, close: info });
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (!this._closedByUser) this._open();
    }, delayMs);
  }

  async _sayHello() {
    const ws = this._ws;
    // A token (jwt or accounts mode), or a name and organisation (open mode), or nothing at all:
    // a browser signed in to an accounts server is known by the session cookie of the upgrade.
    const hello = { type: 'hello' };
    if (this.options.token) hello.token = this.options.token;
    else if (this.options.name !== undefined) {
      hello.name = this.options.name;
      hello.org = this.options.org;
    }
    let welcome;
    try {
      welcome = await this._requestNow(hello, { internal: true });
    } catch (err) {
      if (this._ws !== ws) return; // that socket is already gone; the reconnect loop goes on
      if (err.code && FATAL_HELLO_CODES.has(err.code)) {
        this._closedByUser = true;
        this._dropSocket(1000, 'hello refused', 'none');
        this._failAll(err);
        this._settleConnect(err);
        this._setState('closed', { error: err });
        this._emit('fatal', err);
      } else {
        this._dropSocket(4000, 'hello failed', 'schedule');
      }
      return;
    }
    this.user = welcome.user;
    this.welcome = welcome;
    try {
      await this._rejoinAll();
    } catch {
      // Lost or silent connection while rejoining: start over on a new socket.
      if (this._ws === ws) this._dropSocket(4000, 'rejoin failed', 'schedule');
      return;
    }
    if (this._ws !== ws) return;
    if (this._status === 'away') this.notify({ type: 'status', state: 'away' }, true);
    this._attempt = 0;
    this._ready = true;
    this._startHeartbeat();
    this._setState('online');
    this._emit('welcome', welcome);
    this._settleConnect(null, welcome);
    this._flushQueue();
  }

  async _rejoinAll() {
    const rooms = [...this._rooms.keys()];
    await Promise.all(
      rooms.map((room) =>
        this._joinRoom(room, { rejoin: true }).catch((err) => {
          if (err.code === 'disconnected' || err.code === 'timeout') throw err;
          this._rooms.delete(room);
          this._emit('server-error', err.frame || { type: 'error', code: err.code, message: err.message, room });
        }),
      ),
    );
  }

  _startHeartbeat() {
    clearInterval(this._heartbeatTimer);
    if (!this.options.heartbeatMs) return;
    this._heartbeatTimer = setInterval(() => {
      const ws = this._ws;
      this._requestNow({ type: 'ping' }, { internal: true, timeoutMs: this.options.heartbeatTimeoutMs }).catch(
        (err) => {
          // A silent peer (half-open TCP) is only noticed here: reconnect.
          if (err.code === 'timeout' && this._ws === ws) this._dropSocket(4000, 'heartbeat timeout', 'schedule');
        },
      );
    }, this.options.heartbeatMs);
  }

  // ---- frames -------------------------------------------------------------------------------

  _write(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  _receive(data) {
    let frame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
    } catch {
      return; // not ours to handle: the server only sends JSON
    }
    if (!frame || typeof frame !== 'object') return;
    this._emit('frame', frame);
    if (frame.re !== undefined && frame.re !== null && this._pending.has(frame.re)) {
      const req = this._pending.get(frame.re);
      this._pending.delete(frame.re);
      clearTimeout(req.timer);
      if (frame.type === 'error') req.reject(new OutloudError(frame.code, frame.message, frame));
      else req.resolve(frame);
      return;
    }
    switch (frame.type) {
      case 'message':
        this._onLiveMessage(frame);
        return;
      case 'error':
        this._emit('server-error', frame);
        return;
      default:
        if (frame.re === undefined || frame.re === null) this._emit(frame.type, frame);
    }
  }

  _onLiveMessage(message) {
    const room = this._rooms.get(message.room);
    if (!room) {
      this._emit('message', message);
      return;
    }
    if (room.joining) {
      room.buffer.push(message); // delivered after the joined reply, in order
      return;
    }
    this._deliver(room, message);
  }

  /** Emits a message unless its seq was already delivered for its room. */
  _deliver(room, message) {
    if (typeof message.seq !== 'number' || message.seq <= room.lastSeq) return false;
    room.lastSeq = message.seq;
    this._emit('message', message);
    return true;
  }

  // ---- requests -----------------------------------------------------------------------------

  /**
   * Sends a request and resolves with its reply (rejects with an OutloudError on an error
   * frame, on timeout, or — unless `retry` — when the connection drops first). Requests made
   * while disconnected wait until the client is connected again.
   * @param {object} frame a client frame without `id`
   * @param {{timeoutMs?: number, retry?: boolean}} [opts] `retry`: the request is idempotent and
   *   is sent again after a reconnect instead of failing.
   * @returns {Promise<object>}
   */
  request(frame, opts = {}) {
    return new Promise((resolve, reject) => {
      const req = {
        frame,
        resolve,
        reject,
        retry: !!opts.retry,
        timeoutMs: opts.timeoutMs ?? this.options.requestTimeoutMs,
      };
      if (this._closedByUser && this.state === 'closed') {
        reject(new OutloudError('closed', 'the client is closed'));
        return;
      }
      if (this._ready) this._dispatch(req);
      else this._queue.push(req);
    });
  }

  /** Sends now, bypassing the queue (hello, rejoin, heartbeat). */
  _requestNow(frame, { internal = false, timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
      this._dispatch({
        frame,
        resolve,
        reject,
        internal,
        retry: false,
        timeoutMs: timeoutMs ?? this.options.requestTimeoutMs,
      });
    });
  }

  _dispatch(req) {
    const id = this._nextId++;
    req.timer = setTimeout(() => {
      if (this._pending.get(id) !== req) return;
      this._pending.delete(id);
      req.reject(new OutloudError('timeout', `no reply to ${req.frame.type} within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    this._pending.set(id, req);
    if (!this._write({ ...req.frame, id })) {
      // The socket is gone: the disconnect handler has run or will run; let it decide.
      this._pending.delete(id);
      clearTimeout(req.timer);
      if (req.internal) req.reject(new OutloudError('disconnected', 'not connected'));
      else if (req.retry) this._queue.push(req);
      else req.reject(new OutloudError('disconnected', 'not connected'));
    }
  }

  _flushQueue() {
    const queue = this._queue;
    this._queue = [];
    for (const req of queue) this._dispatch(req);
  }

  _failAll(err) {
    for (const req of this._pending.values()) {
      clearTimeout(req.timer);
      req.reject(err);
    }
    this._pending.clear();
    for (const req of this._queue) req.reject(err);
    this._queue = [];
  }

  /**
   * Sends a frame that has no reply (typing, status). Returns false when not connected: such
   * frames are not worth queueing.
   * @param {object} frame
   */
  notify(frame, evenIfNotReady = false) {
    if (!this._ready && !evenIfNotReady) return false;
    return this._write(frame);
  }

  // ---- protocol operations ------------------------------------------------------------------

  /** @returns {Promise<Array<object>>} the rooms, each with `online`. */
  async rooms() {
    const reply = await this.request({ type: 'rooms' }, { retry: true });
    return reply.rooms || [];
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
   * Joins a room afresh (latest `limit` messages) and keeps it joined across reconnects.
   * Emits `joined` with `rejoin: false`. Resolves with the joined frame.
   * @param {string} room
   * @param {{limit?: number}} [opts]
   */
  join(room, opts = {}) {
    const limit = Math.min(opts.limit ?? this.options.joinLimit, LIMITS.joinLimitMax);
    return this._whenReady(() => this._joinRoom(room, { rejoin: false, limit }));
  }

  _whenReady(fn) {
    if (this._ready) return fn();
    return new Promise((resolve, reject) => {
      const off = this.on('welcome', () => {
        off();
        fn().then(resolve, reject);
      });
      const offClosed = this.on('state', ({ state }) => {
        if (state !== 'closed') return;
        offClosed();
        off();
        reject(new OutloudError('closed', 'the client is closed'));
      });
    });
  }

  async _joinRoom(roomId, { rejoin, limit }) {
    let room = this._rooms.get(roomId);
    const frame = { type: 'join', room: roomId };
    if (rejoin && room) {
      frame.since = room.lastSeq;
      frame.limit = room.limit;
    } else {
      frame.limit = limit;
    }
    if (!room) {
      room = { lastSeq: 0, limit: frame.limit, joining: false, buffer: [] };
    }
    room.joining = true;
    room.buffer = [];
    let joined;
    try {
      joined = await this._requestNow(frame);
    } catch (err) {
      room.joining = false;
      room.buffer = [];
      throw err;
    }
    room.limit = frame.limit;
    this._rooms.set(roomId, room);
    const messages = Array.isArray(joined.messages) ? joined.messages : [];
    const head = typeof joined.head === 'number' ? joined.head : 0;
    const reset = rejoin && !joined.recovered;
    if (rejoin && !reset) {
      this._emit('joined', { room: roomId, frame: joined, rejoin: true, reset: false });
      for (const m of messages) this._deliver(room, m);
    } else {
      room.lastSeq = Math.max(head, messages.length ? messages[messages.length - 1].seq : 0);
      this._emit('joined', { room: roomId, frame: joined, rejoin, reset });
      if (reset) this._emit('reset', { room: roomId, frame: joined });
    }
    room.joining = false;
    const buffered = room.buffer;
    room.buffer = [];
    for (const m of buffered) this._deliver(room, m);
    return joined;
  }

  /**
   * Leaves a room and stops rejoining it.
   * @param {string} room
   */
  async leave(room) {
    this._rooms.delete(room);
    if (!this._ready) return { type: 'left', room };
    return this.request({ type: 'leave', room });
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

  // ---- facilitated sessions (facilitation.md) -------------------------------------------------
  // Each resolves with the server's reply (`ok`, or `export`) and rejects with an OutloudError
  // (`forbidden`, `conflict`, …). None is retried after a reconnect: the rejoin brings the room's
  // current session state, and the person decides again.

  /**
   * Gives a participant a role (owner and facilitators only).
   * @param {string} room
   * @param {string} user user id
   * @param {'facilitator'|'member'|'observer'} role
   */
  setRole(room, user, role) {
    return this.request({ type: 'role', room, user, role });
  }

  /** Raises (`up` true) or lowers one's hand. */
  hand(room, up) {
    return this.request({ type: 'hand', room, up: !!up });
  }

  /** Gives the floor to a user id, or with null to the next in the queue (nobody when it is empty). */
  floor(room, user = null) {
    return this.request({ type: 'floor', room, user });
  }

  /**
   * Starts the room's timer.
   * @param {string} room
   * @param {number} seconds 1 to 86400
   * @param {string} [label]
   */
  startTimer(room, seconds, label = '') {
    return this.request({ type: 'timer', room, action: 'start', seconds, label });
  }

  /** @param {string} room @param {'pause'|'resume'|'stop'} action */
  timer(room, action) {
    return this.request({ type: 'timer', room, action });
  }

  /**
   * Opens a poll (one open poll per room).
   * @param {string} room
   * @param {{question: string, options: string[], multi?: boolean, anonymous?: boolean}} poll
   */
  openPoll(room, { question, options, multi = false, anonymous = true }) {
    return this.request({ type: 'poll', room, action: 'open', question, options, multi, anonymous });
  }

  /** @param {string} room @param {string} poll the poll's id */
  closePoll(room, poll) {
    return this.request({ type: 'poll', room, action: 'close', poll });
  }

  /** Votes (again: the new ballot replaces the old). @param {number[]} choices option indexes */
  vote(room, poll, choices) {
    return this.request({ type: 'vote', room, poll, choices });
  }

  /**
   * Opens breakout groups.
   * @param {string} room
   * @param {{groups?: number, size?: number, strategy?: 'mix'|'random'|'manual',
   *   assign?: Object<string, number>, minutes?: number}} opts exactly one of groups and size
   */
  openBreakout(room, { groups, size, strategy = 'mix', assign, minutes } = {}) {
    const frame = { type: 'breakout', room, action: 'open', strategy };
    if (groups !== undefined) frame.groups = groups;
    if (size !== undefined) frame.size = size;
    if (assign && Object.keys(assign).length) frame.assign = assign;
    if (minutes) frame.minutes = minutes;
    return this.request(frame);
  }

  /** Posts a text into every open group room. */
  broadcast(room, text) {
    return this.request({ type: 'breakout', room, action: 'broadcast', text });
  }

  closeBreakout(room) {
    return this.request({ type: 'breakout', room, action: 'close' });
  }

  /** @param {string} room @param {Array<{title: string, minutes: number}>} items */
  setAgenda(room, items) {
    return this.request({ type: 'agenda', room, items });
  }

  /** @param {string} room @param {'next'|'prev'} action */
  moveAgenda(room, action) {
    return this.request({ type: 'agenda', room, action });
  }

  lock(room, locked) {
    return this.request({ type: 'lock', room, locked: !!locked });
  }

  /** The session record as Markdown. */
  async exportRecord(room) {
    const reply = await this.request({ type: 'export', room }, { retry: true });
    return reply.markdown;
  }

  // ---- accounts, organisations and access (access.md) ------------------------------------------
  // Like the facilitation requests, none is retried after a reconnect except plain reads.

  /** Every organisation: ORG {id, name, domains}. */
  async orgs() {
    const reply = await this.request({ type: 'orgs' }, { retry: true });
    return reply.orgs || [];
  }

  /** Creates or updates an organisation (administrators). @param {{id: string, name: string, domains: string[]}} org */
  saveOrg(org) {
    return this.request({ type: 'org', org });
  }

  /** Makes a person an administrator of their organisation, or no longer (administrators). */
  setOrgAdmin(user, admin) {
    return this.request({ type: 'org_admin', user, admin: !!admin });
  }

  /** Non-guest accounts, for adding to rooms; `query` narrows by name. */
  async people(query = '') {
    const frame = { type: 'people' };
    if (query) frame.query = query;
    const reply = await this.request(frame, { retry: true });
    return reply.people || [];
  }

  /**
   * Makes an invitation; resolves with {id, code, url, org, room, role, guest, uses_left, expires_at}.
   * @param {{org: string, room?: string, role?: string, guest?: boolean, uses?: number, hours?: number}} opts
   */
  async invite({ org, room, role, guest, uses, hours }) {
    const frame = { type: 'invite', org };
    if (room) frame.room = room;
    if (role) frame.role = role;
    if (guest) frame.guest = true;
    if (uses) frame.uses = uses;
    if (hours) frame.hours = hours;
    const reply = await this.request(frame);
    return reply.invitation;
  }

  /** The invitations one may revoke (without their codes). */
  async invitations() {
    const reply = await this.request({ type: 'invitations' }, { retry: true });
    return reply.invitations || [];
  }

  revokeInvitation(invitation) {
    return this.request({ type: 'revoke', invitation });
  }

  /**
   * Changes a room's settings (owner).
   * @param {string} room
   * @param {{visibility?: 'open'|'private', label?: string, retention_days?: number|null, title?: string}} changes
   */
  roomSettings(room, changes) {
    return this.request({ type: 'room', room, ...changes });
  }

  /** A room's members: [{user, role, sponsor, reason, since}]. */
  async members(room) {
    const reply = await this.request({ type: 'members', room }, { retry: true });
    return reply.members || [];
  }

  /** Adds a member (owner or facilitators); `reason` is needed for someone from another organisation. */
  addMember(room, user, { role, reason } = {}) {
    const frame = { type: 'add', room, user };
    if (role) frame.role = role;
    if (reason) frame.reason = reason;
    return this.request(frame);
  }

  removeMember(room, user) {
    return this.request({ type: 'remove', room, user });
  }

  /** Sessions: one's own, or (administrators) those of `user`. */
  async sessions(user) {
    const frame = { type: 'sessions' };
    if (user) frame.user = user;
    const reply = await this.request(frame, { retry: true });
    return reply.sessions || [];
  }

  endSession(session) {
    return this.request({ type: 'end_session', session });
  }

  /** A new session token for the command-line client. */
  async makeToken() {
    const reply = await this.request({ type: 'token' });
    return reply.token;
  }

  /** The audit log, newest first (administrators). */
  async audit({ before, limit } = {}) {
    const frame = { type: 'audit' };
    if (before !== undefined && before !== null) frame.before = before;
    if (limit) frame.limit = limit;
    const reply = await this.request(frame, { retry: true });
    return reply.events || [];
  }

  /** Round trip to the server. */
  ping() {
    return this.request({ type: 'ping' });
  }

  /** The last seq delivered for a room (0 if none or not joined). */
  lastSeq(room) {
    const r = this._rooms.get(room);
    return r ? r.lastSeq : 0;
  }

  /** Rooms this client keeps joined. */
  joinedRooms() {
    return [...this._rooms.keys()];
  }

  /** True if the room is kept joined. */
  isJoined(room) {
    return this._rooms.has(room);
  }
}

export default OutloudClient;
