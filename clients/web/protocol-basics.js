// OutLoud protocol basics (protocol version 1): the contract's constants and limits, input
// validators, the error type and small helpers (nonce, throttle, backoff) shared by the
// reconnecting socket (reconnecting-socket.js) and the client (outloud.js). No state, no I/O.

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
export const FATAL_HELLO_CODES = new Set(['bad_request', 'unauthenticated', 'forbidden']);

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

export const DEFAULT_OPTIONS = {
  requestTimeoutMs: 10000,
  connectTimeoutMs: 10000,
  // A silent drop is noticed within heartbeatMs + heartbeatMs/3 + heartbeatTimeoutMs + 0.5 s (7.8 s): see _startHeartbeat.
  heartbeatMs: 2500,
  heartbeatTimeoutMs: 4000,
  typingIntervalMs: 3000,
  joinLimit: 50,
  reconnect: { initialDelayMs: 500, maxDelayMs: 15000, factor: 2, jitter: 0.5 },
};

