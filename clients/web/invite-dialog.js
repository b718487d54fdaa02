// "Invite people" (access.md `invite`): an organisation's administrators (and the deployment's)
// invite colleagues into it; a room's owner and facilitators invite guests (residents) into that
// room. The link is shown once, with a button that copies it.

import { h, clear, fullTime } from './dom.js';
import { Dialog } from './dialog.js';
import { labelBadge } from './rooms-view.js';

const MAX_USES = 1000;
const MAX_HOURS = 24 * 30;

/** Copies `text`; falls back to selecting it in `input` for the person to copy. */
async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

export class InviteDialog {
  /**
   * @param {{orgs: () => Promise<object[]>, invite: (opts: object) => Promise<object>}} actions
   */
  constructor(actions) {
    this.actions = actions;
    this.dialog = new Dialog('invite-dialog');
    this.ctx = null;
    this.orgList = [];

    this.kindColleague = h('input', { type: 'radio', name: 'invite-kind', id: 'invite-kind-colleague', value: 'colleague' });
    this.kindGuest = h('input', { type: 'radio', name: 'invite-kind', id: 'invite-kind-guest', value: 'guest' });
    this.kindField = h(
      'fieldset',
      { class: 'field' },
      h('legend', { text: 'Who' }),
      h('label', { class: 'check', id: 'invite-colleague-choice' }, this.kindColleague, ' A colleague, into their organisation'),
      h('label', { class: 'check', id: 'invite-guest-choice' }, this.kindGuest, ' A guest, such as a resident, into this room only'),
    );
    this.org = h('select', { id: 'invite-org', 'aria-describedby': 'invite-org-hint' });
    this.orgHint = h('p', { id: 'invite-org-hint', class: 'field-hint' });
    this.intoRoom = h('input', { type: 'checkbox', id: 'invite-into-room' });
    this.intoRoomField = h('label', { class: 'check' }, this.intoRoom, ' and into this room');
    this.role = h('select', { id: 'invite-role' });
    this.uses = h('input', { id: 'invite-uses', type: 'number', inputmode: 'numeric', min: '1', max: String(MAX_USES), value: '1' });
    this.hours = h('input', { id: 'invite-hours', type: 'number', inputmode: 'numeric', min: '1', max: String(MAX_HOURS), value: '72' });
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.form = h(
      'form',
      { id: 'invite-form', class: 'dialog-form', novalidate: true },
      this.kindField,
      h('div', { class: 'field' }, h('label', { for: 'invite-org', text: 'Organisation' }), this.org, this.orgHint),
      this.intoRoomField,
      h('div', { class: 'field' }, h('label', { for: 'invite-role', text: 'Role in the room' }), this.role),
      h(
        'div',
        { class: 'field-row' },
        h('div', { class: 'field field--num' }, h('label', { for: 'invite-uses', text: 'People it lets in' }), this.uses),
        h('div', { class: 'field field--num' }, h('label', { for: 'invite-hours', text: 'Valid for (hours)' }), this.hours),
      ),
      this.error,
      h('button', { type: 'submit', class: 'button button--primary', text: 'Make the link' }),
    );
    this.url = h('input', { id: 'invite-url', type: 'text', readonly: true, spellcheck: 'false', 'aria-describedby': 'invite-url-hint' });
    this.copyButton = h('button', { type: 'button', class: 'button button--primary', id: 'invite-copy', text: 'Copy the link' });
    this.copied = h('span', { class: 'muted small', role: 'status' });
    this.urlHint = h('p', { id: 'invite-url-hint', class: 'field-hint' });
    this.result = h(
      'section',
      { class: 'invite-result', 'aria-labelledby': 'invite-result-title', hidden: true },
      h('h3', { id: 'invite-result-title', text: 'The invitation link' }),
      h('label', { for: 'invite-url', class: 'sr-only', text: 'Invitation link' }),
      h('div', { class: 'input-row' }, this.url, this.copyButton),
      this.copied,
      this.urlHint,
      h('button', { type: 'button', class: 'button button--quiet button--small', text: 'Make another', on: { click: () => this.again() } }),
    );
    for (const input of [this.kindColleague, this.kindGuest, this.intoRoom]) input.addEventListener('change', () => this.sync());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.copyButton.addEventListener('click', async () => {
      const ok = await copyText(this.url.value, this.url);
      this.copied.textContent = ok ? 'Copied.' : 'Select the link and copy it.';
    });
    this.dialog.body.append(this.form, this.result);
  }

  /**
   * @param {object} ctx
   * @param {object} ctx.me USER of the person (admin, org_admin)
   * @param {object|null} ctx.room ROOM the person is in, when they may invite guests into it
   * @param {boolean} ctx.roomLead the person is the room's owner or a facilitator
   */
  async open(ctx) {
    this.ctx = ctx;
    const canColleague = !!(ctx.me.admin || ctx.me.org_admin);
    const canGuest = !!ctx.room && ctx.roomLead;
    this.kindColleague.closest('label').hidden = !canColleague;
    this.kindGuest.closest('label').hidden = !canGuest;
    this.kindField.hidden = !(canColleague && canGuest);
    (canGuest && !canColleague ? this.kindGuest : this.kindColleague).checked = true;
    this.intoRoom.checked = false;
    this.intoRoomField.hidden = true;
    this.uses.value = '1';
    this.hours.value = '72';
    this.error.hidden = true;
    this.result.hidden = true;
    // The last link is a secret shown once: it must not linger in the page for the next invitation.
    this.url.value = '';
    this.urlHint.textContent = '';
    this.form.hidden = false;
    this.dialog.open(ctx.room && canGuest ? `Invite people to ${ctx.room.title || ctx.room.id}` : 'Invite people', ctx.room ? [labelBadge(ctx.room)] : []);
    try {
      this.orgList = await this.actions.orgs();
    } catch (err) {
      this.orgList = [{ id: ctx.me.org, name: ctx.me.org, domains: [] }];
      this.fail(`Could not load the organisations: ${err.message}`);
    }
    this.sync();
  }

  /** Shows the choices that fit who is invited. */
  sync() {
    const ctx = this.ctx;
    if (!ctx) return;
    const guest = this.kindGuest.checked;
    // A colleague goes into the person's own organisation (any, for the deployment's administrators);
    // a guest into an organisation an administrator made for them, such as `resident`.
    const orgs = guest || ctx.me.admin ? this.orgList : this.orgList.filter((o) => o.id === ctx.me.org);
    const previous = this.org.value;
    this.org.replaceChildren(...orgs.map((o) => h('option', { value: o.id, text: `${o.name || o.id} (${o.id})` })));
    const preferred = guest ? orgs.find((o) => o.id === 'resident') : orgs.find((o) => o.id === ctx.me.org);
    if (orgs.some((o) => o.id === previous)) this.org.value = previous;
    else if (preferred) this.org.value = preferred.id;
    this.orgHint.textContent = guest
      ? 'The guest’s organisation, as others will see it. A guest sees only this room.'
      : 'Their account belongs to this organisation, which vouches for them.';
    this.intoRoomField.hidden = guest || !ctx.room;
    // A guest is always a plain member of their room: no role to choose.
    this.role.closest('.field').hidden = guest || !(this.intoRoom.checked && !!ctx.room);
    const roles = guest ? ['member'] : ['member', 'facilitator', 'observer'];
    const role = this.role.value;
    this.role.replaceChildren(...roles.map((r) => h('option', { value: r, text: r[0].toUpperCase() + r.slice(1) })));
    this.role.value = roles.includes(role) ? role : 'member';
  }

  fail(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  async submit() {
    const ctx = this.ctx;
    if (!ctx) return;
    const guest = this.kindGuest.checked;
    const org = this.org.value;
    if (!org) return this.fail('Pick an organisation. An administrator creates them on the administration page.');
    const uses = Number(this.uses.value);
    const hours = Number(this.hours.value);
    if (!Number.isInteger(uses) || uses < 1 || uses > MAX_USES) return this.fail(`An invitation lets in 1 to ${MAX_USES} people.`);
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_HOURS) return this.fail(`An invitation lasts 1 to ${MAX_HOURS} hours.`);
    const opts = { org, uses, hours };
    if (guest) {
      opts.guest = true;
      opts.room = ctx.room.id;
    } else if (this.intoRoom.checked && ctx.room) {
      opts.room = ctx.room.id;
      opts.role = this.role.value;
    }
    this.fail('');
    let invitation;
    try {
      invitation = await this.actions.invite(opts);
    } catch (err) {
      return this.fail(`Could not make the invitation: ${err.message}`);
    }
    this.show(invitation, opts);
  }

  show(invitation, opts) {
    this.form.hidden = true;
    this.result.hidden = false;
    this.url.value = invitation.url;
    this.copied.textContent = '';
    const who = opts.guest ? `a guest of ${opts.org}` : `someone of ${opts.org}`;
    const uses = invitation.uses_left ?? opts.uses;
    const expires = invitation.expires_at ? ` until ${fullTime(invitation.expires_at)}` : '';
    clear(this.urlHint);
    this.urlHint.textContent = `Lets in ${who} (${uses} ${uses === 1 ? 'person' : 'people'})${expires}. Send it to them yourself: this link is shown only now.`;
    this.url.focus();
    this.url.select();
  }

  again() {
    this.result.hidden = true;
    this.form.hidden = false;
    this.url.value = '';
    this.org.focus();
  }
}
