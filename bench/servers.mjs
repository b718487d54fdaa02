// Starts each system's server on free loopback ports, pinned to the server's cores, and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const running = new Set();

// The command line that runs `command` on `cores` (the pid stays the program's: taskset execs it).
export function pinned(cores, command, commandArgs) {
  return ['taskset', ['-c', cores, command, ...commandArgs]];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function accepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

// Spawns `command` pinned to `cores`; resolves once `ready(output)` returns a URL.
async function launch(name, cores, command, commandArgs, ready, env = {}) {
  const child = spawn(...pinned(cores, command, commandArgs), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  let output = '';
  let exited = false;
  child.on('exit', () => { exited = true; running.delete(child); });
  // Always drained (a server blocked on a full log pipe would stall), and only the tail is kept.
  const keep = (data) => { output = (output + data).slice(-65536); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const until = Date.now() + 15000;
  while (Date.now() < until) {
    if (exited) throw new Error(`${name} exited at start:\n${output}`);
    const url = await ready(output);
    if (url) return { name, pid: child.pid, url, child, log: () => output };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start in 15 s:\n${output}`);
}

export function startOutLoud({ bin, cores, extraArgs = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'outloud-bench-'));
  // A default that OUTLOUD_ARGS names is left to it: the server refuses an option given twice.
  const unlessGiven = (option, value) => (extraArgs.includes(option) ? [] : [option, value]);
  const args = ['--listen', '127.0.0.1:0', '--data', join(dir, 'outloud.db'), '--node-id', 'bench', '--auth', 'open',
    ...unlessGiven('--threads', '1'), '--rate-limit', '0', '--max-requests-in-flight', '100000', '--create-rate', '0',
    '--max-connections', '30000', '--max-connections-per-address', '30000',
    ...unlessGiven('--log-level', 'warn'), ...extraArgs];
  return launch('outloud', cores, bin, args, async (output) => {
    const port = /listening on https?:\/\/[^ ]*:(\d+)/.exec(output)?.[1];
    return port && (await accepts(Number(port))) ? `ws://127.0.0.1:${port}/ws` : null;
  }).then((server) => ({ ...server, cleanup: () => rmSync(dir, { recursive: true, force: true }) }));
}

export function startSocketIo({ cores }) {
  return launch('socketio', cores, process.execPath, [join(HERE, 'servers', 'socketio.mjs'), '0'], async (output) => {
    const port = /listening on (\d+)/.exec(output)?.[1];
    return port ? `ws://127.0.0.1:${port}` : null;
  });
}

// NATS with its WebSocket listener (no TLS, no compression) from a generated config; one Go
// thread per core it may use, like the others.
export async function startNats({ cores }) {
  const dir = mkdtempSync(join(tmpdir(), 'nats-bench-'));
  const [port, wsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'nats.conf');
  writeFileSync(config, `listen: "127.0.0.1:${port}"\nmax_connections: 65536\nmax_payload: 1048576\n`
    + `websocket {\n  listen: "127.0.0.1:${wsPort}"\n  no_tls: true\n  compression: false\n}\n`);
  const server = await launch('nats', cores, 'nats-server', ['-c', config], async () =>
    ((await accepts(wsPort)) ? `ws://127.0.0.1:${wsPort}` : null), { GOMAXPROCS: String(cores.split(',').length) });
  return { ...server, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function stop(server) {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  server.cleanup?.();
}

// Last resort on exit: nothing started here outlives the run.
export function killAll() {
  for (const child of running) child.kill('SIGKILL');
}
