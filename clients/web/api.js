// The server's HTTP side (access.md): who am I, and the sign-in, invitation, setup and sign-out
// requests. The session lives in an HttpOnly cookie the page never sees; in jwt mode the token
// goes in an Authorization header.

/** How the server signs people in: 'accounts', 'open' or 'jwt'. */
export const AUTH_MODES = Object.freeze(['accounts', 'open', 'jwt']);

/** A failed request: `status` is the HTTP status (0: no answer), `body` the JSON answer if any. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

async function readJson(res) {
  const type = res.headers.get('content-type') || '';
  if (!type.includes('json')) return null;
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** A plain sentence for a failed request, from the server's answer when it gave one. */
function errorText(status, body) {
  // Bad, used and expired codes all answer 404 alike (access.md): one sentence for them all.
  if (status === 404) return 'This link is not valid any more: it may have been used already, or have expired.';
  if (status === 429) return 'Too many attempts from here. Wait a minute, then try again.';
  if (status === 0) return 'The server did not answer. Check your connection and try again.';
  if (body && typeof body.message === 'string' && body.message) return body.message;
  if (body && typeof body.error === 'string' && body.error) return body.error;
  if (status === 403) return 'The server refused this request.';
  if (status === 401) return 'You are not signed in.';
  return `The server answered ${status}.`;
}

/**
 * POSTs JSON to one of the /api endpoints; resolves with the JSON answer, rejects with an ApiError.
 * @param {string} path
 * @param {object} body
 */
export async function postJson(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, errorText(0, null), null);
  }
  const answer = await readJson(res);
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, answer), answer);
  return answer || {};
}

/**
 * Asks the server who this browser is signed in as, and how it signs people in.
 * Resolves with {user, auth} when signed in (the cookie, or `token` as a bearer), or
 * {user: null, auth, setup} when not. A server that predates accounts (no /api/me) is taken to be
 * in open mode: its hello then says whether that holds.
 * @param {string|null} [token] a jwt, sent as a bearer token
 */
export async function whoAmI(token = null) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch('/api/me', { credentials: 'same-origin', cache: 'no-store', headers });
  } catch {
    throw new ApiError(0, errorText(0, null), null);
  }
  const body = await readJson(res);
  if (res.ok && body && body.user) {
    return { user: body.user, auth: AUTH_MODES.includes(body.auth) ? body.auth : 'accounts', setup: false };
  }
  if (res.status === 401 && body) {
    return { user: null, auth: AUTH_MODES.includes(body.auth) ? body.auth : 'accounts', setup: !!body.setup };
  }
  // A wrong token from an address past its limit of them (someone guessing behind the same NAT):
  // this browser is not signed in either, and may still sign in (that has its own limit).
  if (res.status === 429 && body) return { user: null, auth: 'accounts', setup: false };
  if (res.status === 404) return { user: null, auth: 'open', setup: false, legacy: true };
  throw new ApiError(res.status, errorText(res.status, body), body);
}

/** POST /api/setup: the first organisation and its first administrator. */
export function setup({ code, name, org, orgName }) {
  return postJson('/api/setup', { code, name, org, org_name: orgName });
}

/** POST /api/redeem: a new account from an invitation. */
export function redeem({ code, name }) {
  return postJson('/api/redeem', { code, name });
}

/** POST /api/sign-in: asks for an email link (always the same answer, whoever asks). */
export function requestSignInLink(email) {
  return postJson('/api/sign-in', { email });
}

/** POST /api/sign-in/confirm: the code from the email link; `name` on a first sign-in. */
export function confirmSignIn({ code, name }) {
  const body = { code };
  if (name) body.name = name;
  return postJson('/api/sign-in/confirm', body);
}

/** POST /api/sign-out: ends this browser's session on every node. */
export function signOut() {
  return postJson('/api/sign-out', {});
}

/**
 * Downloads a file that needs a bearer token (jwt mode: no cookie carries it), as `filename`.
 * @param {string} path
 * @param {string} token
 * @param {string} filename
 */
export async function downloadWithToken(path, token, filename) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-store', headers: { Authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError(0, errorText(0, null), null);
  }
  if (!res.ok) {
    const text = res.status === 404 ? 'there is no such record' : errorText(res.status, await readJson(res));
    throw new ApiError(res.status, text, null);
  }
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
