// Starts the real outloud-server built in $OUTLOUD_BIN on 127.0.0.1 for a test, and makes sure it
// never outlives the test process (exit and signal hooks kill whatever is still running).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// ASan/UBSan builds run about 3x slower: every timeout in the test helpers is stretched by this.
export const SANITIZE = /^(1|on|true|yes)$/i.test(process.env.OUTLOUD_SANITIZE ?? '');
export const TIME_SCALE = SANITIZE ? 4 : 1;
export const scaled = (ms) => Math.round(ms * TIME_SCALE);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Environment for one server of an ASan build: ASAN_OPTIONS with `options` (e.g.
// 'quarantine_size_mb=0') after those of the test run; nothing on other builds.
export function asanEnv(options) {
  if (!SANITIZE) return {};
  return { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}${options}` };
}

// Resolves with what `promise` resolves to, or with `fallback` after `ms`; the timer is cleared
// either way, so a finished test does not keep the process alive.
export function within(promise, ms, fallback = null) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(fallback), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Server arguments that lift the per-connection rate limit (default 30 frames/s, burst 60) and the
// cap on requests in flight (default 32), for tests that send many frames quickly and are not about
// rate limiting (0: unlimited).
export const UNTHROTTLED = ['--rate-limit', '0', '--max-requests-in-flight', '100000'];

const running = new Set();  // servers (and other children) not yet known to have exited
const tempDirs = new Set();

function killAllSync() {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  running.clear();
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  tempDirs.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAllSync(); process.exit(128 + os.constants.signals[sig]); });
}

// Registers a child process spawned by a helper so it is killed when the test process ends.
export function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function binPath(program) {
  const dir = process.env.OUTLOUD_BIN;
  if (!dir) throw new Error('OUTLOUD_BIN is not set: point it at <build>/bin (e.g. OUTLOUD_BIN=build/bin node --test ...)');
  const file = path.join(dir, program);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: build the ${program} target first`);
  return file;
}

// A fresh temporary directory, removed when the test process exits.
export function tmpDir(prefix = 'outloud-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// GET (or another method) on a server; resolves {status, headers, text, json()}.
export async function httpRequest(url, { method = 'GET', headers, body, timeoutMs = scaled(5000) } = {}) {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json() { return JSON.parse(text); },
  };
}

let nodeCounter = 0;

/**
 * Starts outloud-server and waits until GET /healthz answers 200.
 *  args      extra command-line arguments (e.g. ['--rate-limit', '5']); without an `--auth` of its
 *            own the server runs with `--auth open` (the suites written before accounts rely on it)
 *  dataPath  database file (default: <fresh temp dir>/outloud.db) — pass the old one to restart
 *  port      listen port (default 0: the server picks one and prints it)
 *  nodeId    --node-id (default test-node-<n>)
 *  env       extra environment variables
 *  noData    pass no --data (the server's default file, relative to `cwd`)
 *  cwd       working directory of the process
 * Returns {url, wsUrl, port, dataPath, nodeId, process, stderr, exited, stop(signal), kill9(),
 *          restart(options), get(path)}.
 */
export async function startServer({ args = [], dataPath, env = {}, port = 0, nodeId, host = '127.0.0.1',
  readyTimeoutMs = scaled(15000), program = 'outloud-server', noData = false, cwd } = {}) {
  const bin = binPath(program);
  nodeId ??= `test-node-${process.pid}-${++nodeCounter}`;
  if (!noData) dataPath ??= path.join(tmpDir(), 'outloud.db');
  const argv = ['--listen', `${host}:${port}`];
  if (!noData) argv.push('--data', dataPath);
  argv.push('--node-id', nodeId, ...args);
  if (!args.includes('--auth')) argv.push('--auth', 'open');

  const child = track(spawn(bin, argv, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const startedAt = Date.now();
  let output = '';
  const MAX_OUTPUT = 4 * 1024 * 1024;
  const append = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stderr.on('data', append);
  child.stdout.on('data', append);

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal, at: Date.now() };
      resolve(exitInfo);
    });
  });

  const describe = () => `${bin} ${argv.join(' ')}\n--- server output ---\n${output.slice(-4000)}`;

  // Wait for "listening on http://HOST:PORT" (or the process dying first).
  const boundPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`server did not print "listening on" within ${readyTimeoutMs} ms: ${describe()}`));
    }, readyTimeoutMs);
    const check = () => {
      const m = /listening on https?:\/\/\[?([^\s\]]+?)\]?:(\d+)/.exec(output);
      if (m) { cleanup(); resolve(Number(m[2])); }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening: ${describe()}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stderr.off('data', check);
      child.stdout.off('data', check);
      child.off('exit', onExit);
    }
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.once('exit', onExit);
    check();
  });

  const url = `http://${host}:${boundPort}`;
  const deadline = startedAt + readyTimeoutMs;
  for (;;) {
    if (exitInfo) throw new Error(`server exited before /healthz answered: ${describe()}`);
    try {
      const res = await httpRequest(`${url}/healthz`, { timeoutMs: 1000 });
      if (res.status === 200) break;
    } catch { /* not ready yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`GET /healthz did not answer 200 within ${readyTimeoutMs} ms: ${describe()}`);
    }
    await sleep(50);
  }

  // From here on the child must not keep the test process alive on its own; the helpers that wait
  // for it (stop, kill9, exited) hold a reference while they wait.
  const unref = () => { child.unref(); child.stdout.unref?.(); child.stderr.unref?.(); };
  const ref = () => { child.ref(); child.stdout.ref?.(); child.stderr.ref?.(); };
  unref();

  const server = {
    url,
    wsUrl: `ws://${host}:${boundPort}/ws`,
    host,
    port: boundPort,
    dataPath,
    nodeId,
    args,
    process: child,
    get pid() { return child.pid; },
    get stderr() { return output; },
    get exitInfo() { return exitInfo; },
    get running() { return exitInfo === null; },
    async exited() { ref(); try { return await exited; } finally { unref(); } },

    // Sends `signal` and resolves {code, signal, ms} when the process has exited (ms: time from the
    // signal to the exit). Kills with SIGKILL after timeoutMs and rejects then.
    async stop(signal = 'SIGTERM', { timeoutMs = scaled(10000) } = {}) {
      if (exitInfo) return { code: exitInfo.code, signal: exitInfo.signal, ms: 0 };
      ref();
      const sentAt = Date.now();
      child.kill(signal);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`server did not exit within ${timeoutMs} ms of ${signal}: ${describe()}`));
        }, timeoutMs);
      });
      try {
        const info = await Promise.race([exited, timeout]);
        return { code: info.code, signal: info.signal, ms: info.at - sentAt };
      } finally {
        clearTimeout(timer);
        unref();
      }
    },
    kill9() { return server.stop('SIGKILL'); },

    // Starts a new server on the same data file and port (the old one must have exited).
    restart(overrides = {}) {
      return startServer({ args, dataPath, env, port: boundPort, nodeId, host, readyTimeoutMs, program, noData, cwd, ...overrides });
    },
    get(p, options) { return httpRequest(url + p, options); },
    describe,
  };
  return server;
}

// Stops every server still running (SIGKILL); for `after` hooks of tests that start many.
export async function killAll() {
  const waits = [];
  for (const child of running) {
    waits.push(new Promise((resolve) => { child.once('exit', resolve); }));
    // Children are unreferenced while they run; the wait for their exit must keep the loop alive.
    child.ref?.();
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
  await Promise.all(waits);
}
