// The reconnecting socket of the OutLoud protocol client: one WebSocket kept open with capped,
// jittered backoff; hello said again after each reconnect; requests correlated by `id` with
// timeouts (idempotent ones queued across drops); an application heartbeat; every joined room
// rejoined with `since` = its last seq, live messages de-duplicated and kept in seq order.
// It knows no chat or facilitation frame beyond hello, join, leave and ping: OutloudClient
// (outloud.js) adds the operations on top of it. No dependencies; works in browsers and Node.

import { SUBPROTOCOL, LIMITS, FATAL_HELLO_CODES, DEFAULT_OPTIONS, OutloudError, backoffDelay } from './protocol-basics.js';

// After a heartbeat timeout, how long queued events get to show that the connection is alive.
const HEARTBEAT_GRACE_MS = 500;

/**
 * @typedef {{id: string, name: string, org: string}} User
 * @typedef {{type: 'message', room: string, seq: number, ts: number, from: User, topic: string,
 *   text: string, tag: string|null, reply_to: number|null, nonce: string|null}} Message
 * @typedef {'idle'|'connecting'|'online'|'reconnecting'|'closed'} ConnectionState
 */

/**
 * The connection and room-resumption half of the client; see OutloudClient for the events.
 */
export class ReconnectingSocket {
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
   * @param {number} [options.presenceLimit] join large rooms with paged presence (protocol/README.md "Large rooms").
   * @param {boolean} [options.messageBatches] a busy room's round of messages comes as one
   *   `message_batch` frame; each message is still emitted as its own `message` event.
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
    this._lastHeardAt = 0; // when the last frame came from the server
    this._ready = false; // hello answered and rooms rejoined on the current socket
    this._closedByUser = false;
    this._status = 'online';
    this._connectWaiters = [];
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
      this._lastHeardAt = Date.now();
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

  /**
   * The application heartbeat: when nothing has come from the server for `heartbeatMs`, a `ping`
   * goes out; no `pong` within `heartbeatTimeoutMs` means the connection died silently (a half-open
   * TCP connection, a network that went away) and the client reconnects. A connection that carries
   * frames needs no ping. With the defaults a silent drop is noticed within 2.5 + 0.8 + 4 + 0.5 = 7.8 s.
   */
  _startHeartbeat() {
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = null;
    if (!this.options.heartbeatMs) return;
    const ws = this._ws;
    let pinging = false;
    this._lastHeardAt = Date.now();
    this._heartbeatTimer = setInterval(() => {
      if (pinging || this._ws !== ws || Date.now() - this._lastHeardAt < this.options.heartbeatMs) return;
      pinging = true;
      const sentAt = Date.now();
      this._requestNow({ type: 'ping' }, { internal: true, timeoutMs: this.options.heartbeatTimeoutMs }).then(
        () => {
          pinging = false;
        },
        (err) => {
          if (err.code !== 'timeout' || this._ws !== ws) {
            pinging = false;
            return;
          }
          // A page that was busy (a long script, a throttled tab) runs this timeout late, with the
          // pong perhaps still queued behind it: look again once queued events have run. Anything
          // heard since the ping means the connection is alive.
          setTimeout(() => {
            pinging = false;
            if (this._ws === ws && this._lastHeardAt < sentAt) this._dropSocket(4000, 'heartbeat timeout', 'schedule');
          }, HEARTBEAT_GRACE_MS);
        },
      );
    }, Math.max(100, Math.min(1000, Math.floor(this.options.heartbeatMs / 3))));
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
      case 'message_batch':
        // A round of `message` events in one frame (joined with `message_batches`), in seq order.
        if (Array.isArray(frame.messages)) for (const message of frame.messages) this._onLiveMessage(message);
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

  // ---- rooms kept joined across reconnects ---------------------------------------------------

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
    // Large rooms (protocol/README.md): a first page of presence, the rest paged, changes batched.
    if (this.options.presenceLimit) frame.presence_limit = this.options.presenceLimit;
    if (this.options.messageBatches) frame.message_batches = true;
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
