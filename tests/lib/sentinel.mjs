// A throwaway Redis Sentinel setup for failover tests: a master and replicas (tests/lib/redis.mjs,
// append-only file with fsync always) and sentinels — the same redis-server binary run with
// --sentinel, as Debian's redis-sentinel does — each on a free 127.0.0.1 port with its own temp dir.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnRedisServer, startRedis } from './redis.mjs';
import { freePort, scaled, sleep, tmpDir } from './server.mjs';

// Sends one command (an array of arguments) and resolves with the parsed RESP reply: strings,
// numbers, null, arrays; an error reply as {error: 'MESSAGE'}.
export function redisQuery(port, argv, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`redis ${argv.join(' ')}: timeout`)); }, timeoutMs);
    sock.on('connect', () => {
      sock.write(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
    });
    sock.on('data', (d) => {
      data = Buffer.concat([data, d]);
      const parsed = parseResp(data, 0);
      if (!parsed) return;
      clearTimeout(timer);
      sock.end();
      resolve(parsed.value);
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// {value, end} or null if `buf` holds no complete reply from `at`.
function parseResp(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  if (kind === '+') return { value: line, end: next };
  if (kind === '-') return { value: { error: line }, end: next };
  if (kind === ':') return { value: Number(line), end: next };
  if (kind === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, end: next };
    if (buf.length < next + n + 2) return null;
    return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
  }
  if (kind === '*') {
    const n = Number(line);
    if (n < 0) return { value: null, end: next };
    const items = [];
    let pos = next;
    for (let i = 0; i < n; i++) {
      const item = parseResp(buf, pos);
      if (!item) return null;
      items.push(item.value);
      pos = item.end;
    }
    return { value: items, end: pos };
  }
  throw new Error(`unexpected RESP reply: ${buf.toString('utf8', at, Math.min(buf.length, at + 40))}`);
}

// A flat [key, value, key, value…] reply (SENTINEL MASTER) as an object.
export const fields = (flat) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

/**
 * Starts one sentinel monitoring `masterName` at 127.0.0.1:masterPort with quorum 2.
 * Returns {port, process, output, stop(signal), kill9(), query(argv)}.
 */
export async function startSentinel({ masterPort, masterName, downAfterMs, failoverTimeoutMs, readyTimeoutMs = scaled(10000) }) {
  const port = await freePort();
  const dir = tmpDir('outloud-sentinel-');
  const config = path.join(dir, 'sentinel.conf');  // a sentinel rewrites its config: it must be its own file
  fs.writeFileSync(config, [
    `port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, 'loglevel warning',
    `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
    `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
    `sentinel parallel-syncs ${masterName} 2`,
    '',
  ].join('\n'));
  const sentinel = await spawnRedisServer([config, '--sentinel'],
    async () => await redisQuery(port, ['PING'], 500) === 'PONG', 'sentinel', readyTimeoutMs,
    { port, query(argv) { return redisQuery(port, argv); } });
  return sentinel;
}

/**
 * A master, `replicas` replicas and `sentinels` sentinels (serverArgs: extra arguments for the
 * master and every replica, which may become master), ready for a failover: every replica
 * in sync and every sentinel aware of every replica and of the other sentinels.
 * Returns {master, replicas, sentinels, masterName, url(db), masterPort(), stop()}.
 */
export async function startSentinelSetup({ replicas = 1, sentinels = 3, masterName = 'outloud-master',
  downAfterMs = 1000, failoverTimeoutMs = 5000, serverArgs = [] } = {}) {
  const master = await startRedis({ args: serverArgs });
  const replicaServers = [];
  for (let i = 0; i < replicas; i++) {
    replicaServers.push(await startRedis({ args: [...serverArgs, '--replicaof', '127.0.0.1', String(master.port)] }));
  }
  await waitFor(async () => {
    for (const r of replicaServers) {
      const role = await redisQuery(r.port, ['ROLE']);
      if (role[0] !== 'slave' || role[3] !== 'connected') return false;
    }
    return true;
  }, 'every replica in sync with the master');
  const sentinelServers = [];
  for (let i = 0; i < sentinels; i++) {
    sentinelServers.push(await startSentinel({ masterPort: master.port, masterName, downAfterMs, failoverTimeoutMs }));
  }
  await waitFor(async () => {
    for (const s of sentinelServers) {
      const info = fields(await s.query(['SENTINEL', 'MASTER', masterName]));
      if (Number(info['num-slaves']) !== replicas || Number(info['num-other-sentinels']) !== sentinels - 1) return false;
    }
    return true;
  }, 'every sentinel to know every replica and the other sentinels', scaled(30000));
  const setup = {
    master,
    replicas: replicaServers,
    sentinels: sentinelServers,
    masterName,
    url: (db = 0) => `redis-sentinel://${sentinelServers.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}${db ? `/${db}` : ''}`,
    // The master as the first sentinel that answers names it: "HOST:PORT", or null.
    async namedMaster() {
      for (const s of sentinelServers) {
        try {
          const addr = await s.query(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
          if (Array.isArray(addr)) return `${addr[0]}:${addr[1]}`;
        } catch { /* try the next one */ }
      }
      return null;
    },
    async stop() {
      await Promise.allSettled(sentinelServers.map((s) => s.stop()));
      await Promise.allSettled([master, ...replicaServers].map((r) => r.stop()));
    },
  };
  return setup;
}

async function waitFor(check, what, timeoutMs = scaled(15000)) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
