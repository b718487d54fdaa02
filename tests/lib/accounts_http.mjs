// Helpers for the HTTP side of accounts (access.md): a server in accounts mode, its first-run setup
// link, JSON requests with exact headers (Origin, Host, Cookie, Authorization), and the session cookie.
import http from 'node:http';
import { scaled, startServer } from './server.mjs';
import { waitUntil } from './cluster.mjs';

export const SESSION_COOKIE = 'outloud_session';

/** Starts outloud-server with --auth accounts (and `args`). */
export function startAccountsServer({ args = [], ...options } = {}) {
  return startServer({ args: ['--auth', 'accounts', ...args], ...options });
}

/**
 * The setup links the server printed so far: [{url, code}] in order. A full URL on its own address.
 */
export function setupLinks(server) {
  const out = [];
  for (const m of server.stderr.matchAll(/first run: open (\S+\/setup\?code=([A-Za-z0-9_-]+))/g)) out.push({ url: m[1], code: m[2] });
  return out;
}

/** Waits for the `n`-th setup link this process printed (1-based) and answers it. */
export async function waitForSetupLink(server, n = 1) {
  await waitUntil(() => setupLinks(server).length >= n, { what: `setup link #${n} in the server output`, timeoutMs: scaled(10000) });
  return setupLinks(server)[n - 1];
}

/**
 * One HTTP request with exactly these headers (node:http sets nothing else but Host, which
 * `host` overrides). body: an object (sent as JSON) or a string. localAddress: the address to connect
 * from (another 127.x.y.z is another client address to the server). Resolves {status, headers, text, json()}.
 */
export function request(server, path, { method = 'GET', headers = {}, body, token, cookie, origin, host, localAddress,
  timeoutMs = scaled(5000) } = {}) {
  const all = { ...headers };
  let payload = null;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(all).some((k) => k.toLowerCase() === 'content-type')) all['Content-Type'] = 'application/json';
  }
  if (token) all.Authorization = `Bearer ${token}`;
  if (cookie) all.Cookie = cookie;
  if (origin !== undefined) all.Origin = origin;
  if (host !== undefined) all.Host = host;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: server.host, port: server.port, path, method, headers: all, localAddress,
      timeout: timeoutMs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text, json() { return JSON.parse(text); } });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== null) req.write(payload);
    req.end();
  });
}

/** POST `path` with a JSON body. */
export function post(server, path, body = {}, options = {}) {
  return request(server, path, { method: 'POST', body, ...options });
}

/** The outloud_session cookie a response set: {value, attributes (lower-case names), header}, or null. */
export function sessionCookie(res) {
  const headers = [].concat(res.headers['set-cookie'] ?? []);
  for (const header of headers) {
    const [pair, ...attrs] = header.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) !== SESSION_COOKIE) continue;
    const attributes = {};
    for (const a of attrs) {
      const i = a.indexOf('=');
      attributes[(i < 0 ? a : a.slice(0, i)).toLowerCase()] = i < 0 ? true : a.slice(i + 1);
    }
    return { value: pair.slice(eq + 1), attributes, header };
  }
  return null;
}

/**
 * Runs the first-run setup with the printed link: resolves {user, token, cookie (Cookie header value), res}.
 */
export async function setupAdmin(server, { name = 'Ada Admin', org = 'essex-cc', orgName = 'Essex County Council' } = {}) {
  const { code } = await waitForSetupLink(server);
  const res = await post(server, '/api/setup', { code, name, org, org_name: orgName });
  if (res.status !== 200) throw new Error(`setup answered ${res.status}: ${res.text}`);
  const body = res.json();
  return { user: body.user, token: body.token, cookie: `${SESSION_COOKIE}=${sessionCookie(res).value}`, res };
}
