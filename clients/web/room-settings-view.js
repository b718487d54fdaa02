// A room's settings, for its owner (access.md `room`): title, who sees it (open or private), its
// information-governance label, and how long its messages are kept.

import { h } from './dom.js';
import { Dialog } from './dialog.js';
import { DEFAULT_LABEL, labelBadge, visibilityBadge } from './rooms-view.js';

/** The server's default list of labels (`--labels`); a server may announce its own in `welcome.labels`. */
export const DEFAULT_LABELS = Object.freeze(['OFFICIAL', 'OFFICIAL-SENSITIVE']);
const RETENTION_MAX_DAYS = 36500;

export class RoomSettingsDialog {
  /** @param {{save: (room: string, changes: object) => Promise<any>}} actions */
  constructor(actions) {
    this.actions = actions;
    this.dialog = new Dialog('settings-dialog');
    this.room = null;
    this.labels = [...DEFAULT_LABELS];

    this.title = h('input', { id: 'settings-title', type: 'text', maxlength: '200', required: true });
    this.open_ = h('input', { type: 'radio', name: 'settings-visibility', id: 'settings-open', value: 'open' });
    this.private_ = h('input', { type: 'radio', name: 'settings-visibility', id: 'settings-private', value: 'private' });
    this.label = h('select', { id: 'settings-label', 'aria-describedby': 'settings-label-hint' });
    this.keepForever = h('input', { type: 'checkbox', id: 'settings-forever' });
    this.days = h('input', {
      id: 'settings-days',
      type: 'number',
      inputmode: 'numeric',
      min: '1',
      max: String(RETENTION_MAX_DAYS),
      'aria-describedby': 'settings-days-hint',
    });
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.done = h('p', { class: 'muted small', role: 'status' });
    this.form = h(
      'form',
      { id: 'settings-form', class: 'dialog-form', novalidate: true },
      h('div', { class: 'field' }, h('label', { for: 'settings-title', text: 'Title' }), this.title),
      h(
        'fieldset',
        { class: 'field' },
        h('legend', { text: 'Who can see it' }),
        h('label', { class: 'check' }, this.open_, ' Open: everyone in the partnership (not guests) can see and join it'),
        h('label', { class: 'check' }, this.private_, ' Private: only its members see it; you add them'),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'settings-label', text: 'Information-governance label' }),
        this.label,
        h('p', { id: 'settings-label-hint', class: 'field-hint', text: 'Shown on every screen of the room and at the top of its record.' }),
      ),
      h(
        'fieldset',
        { class: 'field' },
        h('legend', { text: 'Keep messages' }),
        h('label', { class: 'check' }, this.keepForever, ' For as long as the room exists'),
        h('div', { class: 'field field--num' }, h('label', { for: 'settings-days', text: 'Or for this many days' }), this.days),
        h('p', { id: 'settings-days-hint', class: 'field-hint', text: 'Older messages are deleted for good.' }),
      ),
      this.error,
      this.done,
      h('button', { type: 'submit', class: 'button button--primary', text: 'Save' }),
    );
    this.keepForever.addEventListener('change', () => {
      this.days.disabled = this.keepForever.checked;
      if (!this.keepForever.checked && !this.days.value) this.days.value = '365';
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    this.dialog.body.append(this.form);
    this.dialog.onClose = () => {
      this.room = null;
    };
  }

  /** The labels this server allows, when it says (welcome.labels). */
  setLabels(labels) {
    if (Array.isArray(labels) && labels.length && labels.every((l) => typeof l === 'string')) this.labels = [...labels];
  }

  /** @param {object} room ROOM */
  open(room) {
    this.room = room;
    this.fill(room);
    this.error.hidden = true;
    this.done.textContent = '';
    this.dialog.open(`Settings of ${room.title || room.id}`, [labelBadge(room), visibilityBadge(room)]);
  }

  fill(room) {
    this.title.value = room.title || '';
    (room.visibility === 'private' ? this.private_ : this.open_).checked = true;
    const current = room.label || DEFAULT_LABEL;
    const labels = this.labels.includes(current) ? this.labels : [current, ...this.labels];
    this.label.replaceChildren(...labels.map((l) => h('option', { value: l, text: l })));
    this.label.value = current;
    const days = room.retention_days;
    this.keepForever.checked = days === null || days === undefined;
    this.days.value = this.keepForever.checked ? '' : String(days);
    this.days.disabled = this.keepForever.checked;
  }

  /** Someone (maybe the owner elsewhere) changed the room: show its new badges. */
  roomChanged(room) {
    if (!this.room || this.room.id !== room.id) return;
    this.room = room;
    this.dialog.badges.replaceChildren(labelBadge(room), visibilityBadge(room));
  }

  async save() {
    const room = this.room;
    if (!room) return;
    const changes = {};
    const title = this.title.value.trim();
    if (!title) return this.fail('Give the room a title.', this.title);
    if (title !== (room.title || '')) changes.title = title;
    const visibility = this.private_.checked ? 'private' : 'open';
    if (visibility !== (room.visibility || 'open')) changes.visibility = visibility;
    if (this.label.value !== (room.label || DEFAULT_LABEL)) changes.label = this.label.value;
    let retention = null;
    if (!this.keepForever.checked) {
      retention = Number(this.days.value);
      if (!Number.isInteger(retention) || retention < 1 || retention > RETENTION_MAX_DAYS) {
        return this.fail(`Keep messages for 1 to ${RETENTION_MAX_DAYS} days, or for as long as the room exists.`, this.days);
      }
    }
    if (retention !== (room.retention_days ?? null)) changes.retention_days = retention;
    if (!Object.keys(changes).length) {
      this.done.textContent = 'Nothing to change.';
      return;
    }
    this.error.hidden = true;
    try {
      await this.actions.save(room.id, changes);
    } catch (err) {
      return this.fail(`Could not save: ${err.message}`);
    }
    this.room = { ...room, ...changes };
    this.roomChanged(this.room);
    this.done.textContent = 'Saved.';
  }

  fail(text, focus) {
    this.error.textContent = text;
    this.error.hidden = false;
    if (focus) focus.focus();
  }
}
