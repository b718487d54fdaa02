// Starts a throwaway /usr/bin/redis-server on a free 127.0.0.1 port with its own temp directory,
// for tests of `--redis` (several server nodes on one Redis). Killed when the test process exits.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { freePort, scaled, sleep, tmpDir, track } from './server.mjs';

export const REDIS_SERVER = process.env.OUTLOUD_REDIS_SERVER ?? '/usr/bin/redis-server';

// Sends one inline command and resolves with the reply: a status/error/integer line as sent
// ("+PONG", "-ERR …", ":3"), or a bulk string's value (null for a missing key).
export function redisCommand(port, command, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`redis ${command}: timeout`)); }, timeoutMs);
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (d) => {
      data += d.toString();
      const lines = data.split('\r\n');
      if (lines.length < 2) return;
      const first = lines[0];
      if (first.startsWith('$')) {
        if (first === '$-1') { finish(null); return; }
        if (lines.length < 3) return;
        finish(lines[1]);
        return;
      }
      finish(first);
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    function finish(value) { clearTimeout(timer); sock.end(); resolve(value); }
  });
}

/**
 * Starts redis-server. options: port (default: a free one), dir (default: a fresh temp dir; pass the
 * old one to restart on the same data), persistence ('aof' — appendonly with fsync always, the
 * default, so acknowledged writes survive a restart — or 'none'), args (extra redis-server
 * arguments, e.g. ['--requirepass', 'pw']; a server that answers NOAUTH counts as ready).
 * Returns {url, port, dir, process, output, stop(signal), kill9(), restart()}.
 */
export async function startRedis({ port, dir, persistence = 'aof', readyTimeoutMs = scaled(10000), args: extra = [] } = {}) {
  port ??= await freePort();
  dir ??= tmpDir('outloud-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  if (persistence === 'aof') args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  args.push(...extra);
  const redis = await spawnRedisServer(args, async () => {
    const pong = await redisCommand(port, 'PING', 500);
    return pong === '+PONG' || pong.startsWith('-NOAUTH');
  }, 'redis-server', readyTimeoutMs, {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    restart(overrides = {}) { return startRedis({ port, dir, persistence, readyTimeoutMs, args: extra, ...overrides }); },
    command(cmd) { return redisCommand(port, cmd); },
  });
  return redis;
}

/**
 * Spawns REDIS_SERVER with `args` and waits until `ready()` (async) is true or it exits.
 * Returns {process, output, running, stop(signal), kill9(), ...fields}; stop sends SIGKILL after 10 s.
 */
export async function spawnRedisServer(args, ready, what, readyTimeoutMs, fields = {}) {
  const child = track(spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let exitInfo = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { exitInfo = { code, signal }; resolve(exitInfo); }));

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitInfo) throw new Error(`${what} exited (${JSON.stringify(exitInfo)}): ${output}`);
    try {
      if (await ready()) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${what} not ready: ${output}`); }
    await sleep(30);
  }
  child.unref(); child.stdout.unref?.(); child.stderr.unref?.();
  const handle = {
    process: child,
    get output() { return output; },
    get running() { return exitInfo === null; },
    async stop(signal = 'SIGTERM') {
      if (exitInfo) return exitInfo;
      child.ref();
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), scaled(10000));
      try { return await exited; } finally { clearTimeout(timer); child.unref(); }
    },
    kill9() { return handle.stop('SIGKILL'); },
  };
  return Object.assign(handle, fields);
}
