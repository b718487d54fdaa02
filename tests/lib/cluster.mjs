// A throwaway OutLoud cluster for tests: one real redis-server (tests/lib/redis.mjs, append-only
// file with fsync always) and N real outloud-server nodes started with --redis and --node-id.
// Everything is killed when the test process exits (the helpers track their children).
import { after } from 'node:test';
import { connectAs } from './client.mjs';
import { startRedis } from './redis.mjs';
import { UNTHROTTLED, killAll, scaled, sleep, startServer } from './server.mjs';

/**
 * Starts Redis and `nodes` server nodes on it. options: nodes (default 3), args (extra server
 * arguments; default: unthrottled), name (node id prefix).
 * Returns {redis, nodes: [server…], stop()}.
 */
export async function startCluster({ nodes = 3, args = UNTHROTTLED, name = 'cluster' } = {}) {
  const redis = await startRedis();
  const servers = [];
  try {
    for (let i = 1; i <= nodes; i++) {
      servers.push(await startServer({
        nodeId: `${name}-node${i}`,
        args: ['--redis', redis.url, ...args],
      }));
    }
    await untilNodesHearEachOther(servers);
  } catch (e) {
    await killAll();
    throw e;
  }
  return {
    redis,
    nodes: servers,
    // SIGTERM to every node still running, then Redis; SIGKILL whatever is left.
    async stop() {
      await Promise.allSettled(servers.filter((s) => s.running).map((s) => s.stop()));
      if (this.redis.running) await this.redis.stop().catch(() => {});
      await killAll();
    },
  };
}

// For a file that starts its own nodes on Redis URLs of its choosing: node(url, name) and
// person(server, name, org) start a node and connect someone to it; `cleanups` takes anything
// else to stop. Everything is stopped, newest first, after the file.
export function ownNodes() {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await killAll();
  });
  return {
    cleanups,
    async node(url, name) {
      const server = await startServer({ nodeId: name, args: ['--redis', url, ...UNTHROTTLED] });
      cleanups.push(() => server.stop());
      return server;
    },
    async person(server, name, org = 'essex-cc') {
      const c = await connectAs(server.wsUrl, name, org);
      cleanups.push(() => c.close());
      return c;
    },
  };
}

// Short presence timings for tests, through the test-only flags, so that expiry takes seconds
// instead of the real 25 s TTL. The rule checked stays the same: a dead node's entries vanish
// within ttl + sweep after its last refresh.
export const FAST_PRESENCE = { ttlMs: scaled(3000), refreshMs: scaled(1000), sweepMs: scaled(250) };
export const FAST_PRESENCE_ARGS = ['--presence-ttl-ms', String(FAST_PRESENCE.ttlMs),
  '--presence-refresh-ms', String(FAST_PRESENCE.refreshMs), '--presence-sweep-ms', String(FAST_PRESENCE.sweepMs)];
// After a Redis outage a node sweeps no entry until every node had the time to reconnect (its
// reconnection backoff is capped at 5 s) and refresh.
export const RECONNECT_SPREAD_MS = 5000;

// GET /healthz of a node, parsed ({status, node, redis}); null if it does not answer 200.
export async function health(server) {
  try {
    const res = await server.get('/healthz', { timeoutMs: scaled(2000) });
    return res.status === 200 ? res.json() : null;
  } catch {
    return null;
  }
}

// Resolves once every node's /healthz says "redis":"up": connected, and subscribed to its own
// channels (notices, sign-outs). What other nodes publish there before is lost to it, as pub/sub
// keeps nothing, so a test must not start sooner. Resolves with the ms it waited.
export function untilNodesHearEachOther(nodes, { timeoutMs = scaled(15000) } = {}) {
  return waitUntil(async () => (await Promise.all(nodes.map(health))).every((h) => h?.redis === 'up'),
    { timeoutMs, what: `${nodes.map((n) => n.nodeId).join(', ')} to reach Redis and subscribe to their own channels` });
}

// Polls `check` (async, truthy when done) every `everyMs` until it holds or `timeoutMs` passes.
// Resolves with the elapsed ms; rejects with `what` on timeout.
export async function waitUntil(check, { timeoutMs = scaled(10000), everyMs = 50, what = 'a condition' } = {}) {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// Checks that `messages` (message events, in arrival order) are exactly seqs from..to, in order,
// each once. Returns a description of the first problem, or null.
export function sequenceProblem(messages, from, to) {
  if (messages.length !== to - from + 1) {
    const seen = new Set(messages.map((m) => m.seq));
    const missing = [];
    for (let s = from; s <= to && missing.length < 10; s++) if (!seen.has(s)) missing.push(s);
    return `expected ${to - from + 1} messages (seq ${from}..${to}), got ${messages.length}; first missing: ${missing.join(',') || 'none'}`;
  }
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].seq !== from + i) return `position ${i}: seq ${messages[i].seq}, expected ${from + i}`;
  }
  return null;
}

export const isMessage = (room) => (f) => f.type === 'message' && !('re' in f) && f.room === room;
export const isPresence = (room, userId) => (f) => f.type === 'presence' && !('re' in f) && f.room === room
  && (userId === undefined || f.user?.id === userId);

// A figure for the test log: one line, easy to grep ("[figure] …").
export function figure(text) {
  process.stdout.write(`[figure] ${text}\n`);
}
