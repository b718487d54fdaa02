// Signing in on an accounts or jwt server (access.md): the first-run setup, the email link, the
// invitation ("choose the name people will see"), and the token of a jwt server. Each screen is
// one card in #auth-view with its own heading; the keyboard focus goes to its first field.

import { h, clear } from './dom.js';
import { isValidName, isValidSlug } from './outloud.js';
import * as api from './api.js';

const TOKEN_KEY = 'outloud.token';

/**
 * Reads a one-time link the page was opened with, and takes secrets out of the address bar at
 * once (they would otherwise stay in the history and be shown to anyone looking at the screen).
 * `/setup?code=…` stays until the setup is done: it is what the server printed, and a reload
 * should still work.
 * @returns {{kind: 'setup'|'sign-in'|'invite'|'token', code: string}|null}
 */
export function takeLinkFromAddress() {
  const hash = location.hash.replace(/^#/, '');
  const fragment = /^(sign-in|invite|token)=(.+)$/.exec(hash);
  if (fragment) {
    history.replaceState(null, '', location.pathname + location.search);
    let code;
    try {
      code = decodeURIComponent(fragment[2]);
    } catch {
      return null;
    }
    return { kind: fragment[1], code };
  }
  if (location.pathname.replace(/\/+$/, '') === '/setup') {
    const code = new URLSearchParams(location.search).get('code');
    if (code) return { kind: 'setup', code };
  }
  return null;
}

/** Back to the plain address of the client once a link has done its work. */
export function clearSetupAddress() {
  if (location.pathname !== '/' || location.search) history.replaceState(null, '', '/');
}

/** The jwt kept for this tab (sessionStorage: gone when the tab closes), or null. */
export function loadToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // no storage: the token lasts as long as the page
  }
}

export function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing kept
  }
}

let fieldCounter = 0;

/** A labelled field with its hint and error; `input` gets aria-describedby for both. */
function field({ label, input, hint }) {
  const id = input.id || `auth-field-${++fieldCounter}`;
  input.id = id;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintNode = hint ? h('p', { class: 'field-hint', id: `${id}-hint`, text: hint }) : null;
  input.setAttribute('aria-describedby', [hintNode ? hintNode.id : null, error.id].filter(Boolean).join(' '));
  const node = h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hintNode, error);
  return {
    node,
    input,
    setError(text) {
      error.textContent = text || '';
      error.hidden = !text;
      input.toggleAttribute('aria-invalid', !!text);
    },
  };
}

function nameField(label = 'The name people will see', hint = 'Your full name, as colleagues know you. Up to 80 characters.') {
  return field({
    label,
    hint,
    input: h('input', { type: 'text', name: 'name', autocomplete: 'name', maxlength: '80', required: true }),
  });
}

function checkName(f) {
  const name = f.input.value.trim();
  if (!isValidName(name)) {
    f.setError('Enter a name of 1 to 80 characters.');
    f.input.focus();
    return null;
  }
  f.setError('');
  return name;
}

/**
 * The sign-in screens. `onSignedIn(user, mode)` is called once the server has set the session
 * cookie (accounts) or a token is known (jwt: `onToken(token)`).
 */
export class SignInScreens {
  /**
   * @param {HTMLElement} root the <main> that holds the card
   * @param {{onSignedIn: (user: object) => void, onToken: (token: string) => void}} actions
   */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.busy = false;
  }

  hide() {
    this.root.hidden = true;
    clear(this.root);
  }

  /** Replaces the card: a heading, an optional lead paragraph, then `content`. */
  card(title, lead, ...content) {
    clear(this.root);
    const heading = h('h1', { class: 'auth-title', id: 'auth-title', tabindex: '-1', text: title });
    this.root.append(
      h(
        'div',
        { class: 'signin-card', role: 'region', 'aria-labelledby': 'auth-title' },
        h('div', { class: 'brand brand--large', 'aria-hidden': 'true' }, h('span', { class: 'brand-mark' }), 'OutLoud'),
        heading,
        lead ? h('p', { class: 'signin-lead', text: lead }) : null,
        ...content,
      ),
    );
    this.root.hidden = false;
    document.title = `${title} · OutLoud`;
    return heading;
  }

  /** Focuses the first field of the card, or its heading. */
  focusFirst() {
    const target = this.root.querySelector('input, textarea, select') || this.root.querySelector('h1');
    if (target) target.focus();
  }

  /**
   * Runs a request for a form: disables its button meanwhile, shows the error in `errorNode`.
   * Resolves with {answer} or {failed: ApiError}; null when a request is already running.
   */
  async submit(form, errorNode, fn) {
    if (this.busy) return null;
    this.busy = true;
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    errorNode.hidden = true;
    try {
      return { answer: await fn() };
    } catch (err) {
      errorNode.textContent = err.message || String(err);
      errorNode.hidden = false;
      return { failed: err };
    } finally {
      this.busy = false;
      if (button) button.disabled = false;
    }
  }

  // ---- first run --------------------------------------------------------------------------------

  showSetup(code) {
    const name = nameField('Your name');
    const orgId = field({
      label: 'Organisation id',
      hint: 'A short id, lowercase, such as essex-cc. It cannot be changed later.',
      input: h('input', { type: 'text', name: 'org', autocapitalize: 'none', spellcheck: 'false', maxlength: '64', required: true }),
    });
    const orgName = field({
      label: 'Organisation name',
      hint: 'As people know it, such as Essex County Council.',
      input: h('input', { type: 'text', name: 'org_name', autocomplete: 'organization', maxlength: '200', required: true }),
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: 'setup-form', novalidate: true },
      name.node,
      orgId.node,
      orgName.node,
      error,
      h('button', { type: 'submit', class: 'button button--primary button--block', text: 'Set up OutLoud' }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const n = checkName(name);
      if (!n) return;
      const org = orgId.input.value.trim();
      if (!isValidSlug(org)) {
        orgId.setError('Use 1 to 64 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit.');
        return orgId.input.focus();
      }
      orgId.setError('');
      const title = orgName.input.value.trim();
      if (!title) {
        orgName.setError('Give the organisation its name.');
        return orgName.input.focus();
      }
      orgName.setError('');
      const result = await this.submit(form, error, () => api.setup({ code, name: n, org, orgName: title }));
      if (result && result.answer) {
        clearSetupAddress();
        this.actions.onSignedIn(result.answer.user);
      }
    });
    this.card(
      'Set up OutLoud',
      'You are its first administrator. Name yourself and your organisation; then invite colleagues from other organisations.',
      form,
    );
    this.focusFirst();
  }

  /** The server has no administrator yet and the page was not opened with the setup link. */
  showNotSetUp() {
    this.card(
      'OutLoud is not set up yet',
      'Open the setup link that the server printed when it started (it ends in /setup?code=…). It works once, for the first administrator.',
    );
    this.root.querySelector('h1').focus();
  }

  /** /api/me did not answer: say so, with a way to try again. */
  showUnreachable(reason, retry) {
    const again = h('button', { type: 'button', class: 'button button--primary button--block', text: 'Try again', on: { click: retry } });
    this.card('Cannot reach OutLoud', reason, again);
    again.focus();
  }

  // ---- email link ------------------------------------------------------------------------------

  /** @param {string} [notice] why the person is here again (signed out, session ended) */
  showEmail(notice = '') {
    const email = field({
      label: 'Your work email',
      hint: 'We send you a link to sign in. It works for 15 minutes.',
      input: h('input', { type: 'email', name: 'email', autocomplete: 'email', maxlength: '254', required: true }),
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: 'email-form', novalidate: true },
      notice ? h('p', { class: 'auth-notice', role: 'status', text: notice }) : null,
      email.node,
      error,
      h('button', { type: 'submit', class: 'button button--primary button--block', text: 'Email me a link' }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const address = email.input.value.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
        email.setError('Enter an email address, such as name@example.org.');
        return email.input.focus();
      }
      email.setError('');
      const result = await this.submit(form, error, () => api.requestSignInLink(address));
      if (result && result.answer) this.showCheckEmail(address);
    });
    this.card(
      'Sign in to OutLoud',
      'Your organisation vouches for you: sign in with your work email, or open the invitation link someone sent you.',
      form,
    );
    this.focusFirst();
  }

  showCheckEmail(address) {
    const again = h('button', { type: 'button', class: 'button button--block', text: 'Use another address' });
    again.addEventListener('click', () => this.showEmail());
    const heading = this.card(
      'Check your email',
      null,
      h(
        'p',
        { class: 'signin-lead' },
        'If ',
        h('strong', { text: address }),
        ' belongs to an organisation on OutLoud, a link to sign in is on its way. Open it in this browser within 15 minutes.',
      ),
      again,
    );
    heading.focus();
  }

  /** Landing on `/#sign-in=<code>`: nothing is used up until the person confirms. */
  showConfirm(code) {
    const name = nameField(
      'The name people will see (first sign-in only)',
      'First time here? Choose it now. Signed in before? Leave it empty: your account keeps its name.',
    );
    name.input.removeAttribute('required');
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: 'confirm-form', novalidate: true },
      name.node,
      error,
      h('button', { type: 'submit', class: 'button button--primary button--block', text: 'Sign in' }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const typed = name.input.value.trim();
      if (typed && !checkName(name)) return;
      const result = await this.submit(form, error, () => api.confirmSignIn({ code, name: typed || undefined }));
      if (!result) return;
      if (result.failed) {
        // A first sign-in without a name: the server asks for one (the code is not used up).
        if (result.failed.status === 400 && !typed) {
          error.hidden = true;
          name.input.setAttribute('required', '');
          name.setError('This is your first sign-in: choose the name people will see.');
          name.input.focus();
        }
        return;
      }
      this.actions.onSignedIn(result.answer.user);
    });
    this.card('Sign in', 'You opened a sign-in link from your email.', form);
    this.focusFirst();
  }

  // ---- invitation ------------------------------------------------------------------------------

  /**
   * Landing on `/#invite=<code>`. `signedInAs`: the person this browser is signed in as, who may
   * carry on as themself instead.
   */
  showInvite(code, { signedInAs = null, onContinue = null } = {}) {
    const name = nameField('Choose the name people will see');
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: 'invite-form', novalidate: true },
      name.node,
      error,
      h('button', { type: 'submit', class: 'button button--primary button--block', text: 'Join OutLoud' }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const n = checkName(name);
      if (!n) return;
      const result = await this.submit(form, error, () => api.redeem({ code, name: n }));
      if (result && result.answer) this.actions.onSignedIn(result.answer.user);
    });
    const already =
      signedInAs && onContinue
        ? h(
            'div',
            { class: 'auth-note' },
            h('p', { text: `This browser is signed in as ${signedInAs.name} (${signedInAs.org}). Joining makes a new account for someone else.` }),
            h('button', {
              type: 'button',
              class: 'button button--block',
              text: `Continue as ${signedInAs.name}`,
              on: { click: onContinue },
            }),
          )
        : null;
    this.card(
      'You are invited',
      'Your organisation, and the room you are invited to, come with the invitation.',
      form,
      already,
    );
    this.focusFirst();
  }

  // ---- jwt --------------------------------------------------------------------------------------

  /** @param {string} [notice] why the person is here again (token refused, signed out) */
  showToken(notice = '') {
    const token = field({
      label: 'Sign-in token',
      hint: 'Paste the token your organisation’s sign-in service gave you. It is kept in this tab only.',
      input: h('textarea', { name: 'token', rows: '3', spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off', required: true }),
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: 'token-form', novalidate: true },
      notice ? h('p', { class: 'auth-notice', role: 'status', text: notice }) : null,
      token.node,
      error,
      h('button', { type: 'submit', class: 'button button--primary button--block', text: 'Sign in' }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = token.input.value.trim();
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value)) {
        token.setError('That does not look like a token: three parts separated by dots.');
        return token.input.focus();
      }
      token.setError('');
      saveToken(value);
      this.actions.onToken(value);
    });
    this.card('Sign in to OutLoud', 'This server signs people in through their organisation’s sign-in service.', form);
    this.focusFirst();
  }
}
