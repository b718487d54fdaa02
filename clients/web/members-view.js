// A room's members (access.md): who, from which organisation, with which role, and — for anyone
// from another organisation than the room's — who gave that permission and why. The owner and
// facilitators add people (a reason is needed across organisations) and remove them.

import { h, clear, fullTime } from './dom.js';
import { Dialog } from './dialog.js';
import { personInline as person } from './messages-view.js';
import { labelBadge, visibilityBadge } from './rooms-view.js';
import { ROLE_LABELS } from './session-state.js';

const PEOPLE_SEARCH_DELAY_MS = 250;
const REASON_MAX = 1000;

export class MembersDialog {
  /**
   * @param {{members: (room: string) => Promise<object[]>, people: (query: string) => Promise<object[]>,
   *   add: (room: string, user: string, opts: {role?: string, reason?: string}) => Promise<any>,
   *   remove: (room: string, user: string) => Promise<any>}} actions
   */
  constructor(actions) {
    this.actions = actions;
    this.dialog = new Dialog('members-dialog');
    this.room = null;
    this.meId = '';
    this.lead = false;
    this.members = [];
    this.chosen = null;
    this.searchTimer = null;
    this.loadSeq = 0;

    this.status = h('p', { class: 'muted small', role: 'status' });
    this.list = h('ul', { class: 'member-list', id: 'member-list' });
    this.buildAddForm();
    this.dialog.body.append(
      h('section', { 'aria-labelledby': 'members-list-title' }, h('h3', { id: 'members-list-title', text: 'Members' }), this.status, this.list),
      this.addSection,
    );
    this.dialog.onClose = () => {
      this.room = null;
      clearTimeout(this.searchTimer);
    };
  }

  buildAddForm() {
    this.search = h('input', { id: 'add-search', type: 'search', autocomplete: 'off', maxlength: '80', placeholder: 'Name' });
    this.results = h('ul', { id: 'add-results', class: 'pick-list', 'aria-label': 'People found' });
    this.reasonField = h('div', { class: 'field', hidden: true });
    this.reason = h('textarea', { id: 'add-reason', rows: '2', maxlength: String(REASON_MAX), 'aria-describedby': 'add-reason-hint' });
    this.reasonHint = h('p', { id: 'add-reason-hint', class: 'field-hint' });
    this.reasonField.append(h('label', { for: 'add-reason', text: 'Why they should be here' }), this.reason, this.reasonHint);
    this.role = h(
      'select',
      { id: 'add-role' },
      ['member', 'facilitator', 'observer'].map((r) => h('option', { value: r, text: ROLE_LABELS[r] })),
    );
    this.addError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.addButton = h('button', { type: 'submit', class: 'button button--primary', text: 'Add to the room', disabled: true });
    this.form = h(
      'form',
      { id: 'add-form', class: 'dialog-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'add-search', text: 'Find a person' }), this.search),
      this.results,
      this.reasonField,
      h('div', { class: 'field' }, h('label', { for: 'add-role', text: 'Role' }), this.role),
      this.addError,
      this.addButton,
    );
    this.addSection = h('section', { class: 'dialog-section', 'aria-labelledby': 'add-title' }, h('h3', { id: 'add-title', text: 'Add someone' }), this.form);
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.findPeople(), PEOPLE_SEARCH_DELAY_MS);
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.add();
    });
  }

  /**
   * Opens the members of `room` (ROOM). `lead`: the person may add and remove.
   * @param {object} room
   * @param {{meId: string, lead: boolean}} who
   */
  open(room, { meId, lead }) {
    this.room = room;
    this.meId = meId;
    this.lead = lead;
    this.addSection.hidden = !lead;
    this.resetAdd();
    this.dialog.open(`Members of ${room.title || room.id}`, [labelBadge(room), visibilityBadge(room)]);
    this.load();
  }

  /** The room's settings changed while the dialog is open: keep its label in step. */
  roomChanged(room) {
    if (!this.room || this.room.id !== room.id) return;
    this.room = room;
    this.dialog.badges.replaceChildren(labelBadge(room), visibilityBadge(room));
  }

  /** A `member` event: reload the list if it is the room shown. */
  memberChanged(ev) {
    if (this.room && ev.room === this.room.id) this.load();
  }

  async load() {
    const room = this.room;
    if (!room) return;
    const seq = ++this.loadSeq;
    this.status.textContent = 'Loading…';
    let members;
    try {
      members = await this.actions.members(room.id);
    } catch (err) {
      if (seq === this.loadSeq) this.status.textContent = `Could not load the members: ${err.message}`;
      return;
    }
    if (seq !== this.loadSeq || this.room !== room) return;
    this.members = members;
    this.status.textContent = `${members.length} ${members.length === 1 ? 'member' : 'members'}.`;
    this.render();
  }

  render() {
    clear(this.list);
    const sorted = [...this.members].sort(
      (a, b) => (a.role === 'owner' ? -1 : 0) - (b.role === 'owner' ? -1 : 0) || a.user.name.localeCompare(b.user.name),
    );
    for (const m of sorted) {
      const you = m.user.id === this.meId;
      const sponsor = m.sponsor
        ? h(
            'p',
            { class: 'member-sponsor' },
            'Permission given by ',
            person(m.sponsor),
            m.reason ? [': ', h('q', { class: 'member-reason', text: m.reason })] : null,
          )
        : null;
      const remove =
        this.lead && !you && m.role !== 'owner'
          ? h('button', {
              type: 'button',
              class: 'button button--small button--quiet',
              text: 'Remove',
              'aria-label': `Remove ${m.user.name}`,
              on: { click: (event) => this.remove(m, event.currentTarget) },
            })
          : null;
      this.list.append(
        h(
          'li',
          { class: 'member', dataset: { user: m.user.id, role: m.role } },
          h(
            'div',
            { class: 'member-main' },
            person(m.user),
            you ? h('span', { class: 'you', text: '(you)' }) : null,
            h('span', { class: `role-tag role-tag--${m.role}`, text: ROLE_LABELS[m.role] || m.role }),
            m.user.guest ? h('span', { class: 'guest-tag', text: 'Guest' }) : null,
            m.since ? h('span', { class: 'muted small', text: `since ${fullTime(m.since)}` }) : null,
            remove,
          ),
          sponsor,
        ),
      );
    }
  }

  resetAdd() {
    this.chosen = null;
    this.search.value = '';
    this.reason.value = '';
    this.role.value = 'member';
    clear(this.results);
    this.reasonField.hidden = true;
    this.addError.hidden = true;
    this.addButton.disabled = true;
  }

  async findPeople() {
    const query = this.search.value.trim();
    const room = this.room;
    if (!room) return;
    let people;
    try {
      people = await this.actions.people(query);
    } catch (err) {
      this.showAddError(`Could not search: ${err.message}`);
      return;
    }
    if (this.room !== room || this.search.value.trim() !== query) return;
    const members = new Set(this.members.map((m) => m.user.id));
    const candidates = people.filter((p) => !members.has(p.id));
    clear(this.results);
    if (!candidates.length) {
      this.results.append(h('li', { class: 'muted small', text: query ? 'Nobody found who is not a member already.' : 'Type a name.' }));
    }
    for (const p of candidates.slice(0, 20)) {
      const input = h('input', { type: 'radio', name: 'add-person', id: `add-person-${p.id}`, value: p.id });
      input.addEventListener('change', () => this.choose(p));
      this.results.append(h('li', { class: 'pick' }, input, h('label', { for: input.id }, person(p))));
    }
  }

  choose(p) {
    this.chosen = p;
    this.addButton.disabled = false;
    const across = this.room && p.org !== this.room.org;
    this.reasonField.hidden = !across;
    this.reasonHint.textContent = across
      ? `${p.name} is from ${p.org}, another organisation than this room’s (${this.room.org}). Adding them is a permission you give: it is recorded with your name and this reason, on the record.`
      : '';
  }

  showAddError(text) {
    this.addError.textContent = text;
    this.addError.hidden = !text;
  }

  async add() {
    const room = this.room;
    const p = this.chosen;
    if (!room || !p) return this.showAddError('Pick a person first.');
    const across = p.org !== room.org;
    const reason = this.reason.value.trim();
    if (across && !reason) {
      this.showAddError('Give a reason: they are from another organisation.');
      return this.reason.focus();
    }
    this.showAddError('');
    this.addButton.disabled = true;
    try {
      await this.actions.add(room.id, p.id, { role: this.role.value, reason: across ? reason : undefined });
    } catch (err) {
      this.addButton.disabled = false;
      return this.showAddError(`Could not add ${p.name}: ${err.message}`);
    }
    this.resetAdd();
    this.status.textContent = `${p.name} is now a member.`;
    this.search.focus();
    this.load();
  }

  async remove(member, button) {
    if (!this.room) return;
    button.disabled = true;
    try {
      await this.actions.remove(this.room.id, member.user.id);
    } catch (err) {
      button.disabled = false;
      this.status.textContent = `Could not remove ${member.user.name}: ${err.message}`;
      return;
    }
    this.status.textContent = `${member.user.name} is no longer a member.`;
    this.search.focus();
    this.load();
  }
}
