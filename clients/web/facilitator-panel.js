// The session tools in the side panel. Everyone in a session sees the hand queue and the agenda;
// the owner and facilitators also get the floor, timer, poll, breakout, agenda, role, lock and
// record controls. Only what the person's role allows is shown: the server would refuse the rest.

import { h, clear, replaceChildrenKeepingFocus } from './dom.js';
import { countdown, renderLateJoiners } from './breakout-clock.js';
import { recordHref, printableRecordLink } from './record-links.js';
import { orgBadge } from './messages-view.js';
import {
  GIVABLE_ROLES,
  ROLE_LABELS,
  formatClock,
  groupNumber,
  isLead,
  openPoll,
  timerRemaining,
} from './session-state.js';

const MAX_OPTIONS = 10;
const MIN_OPTIONS = 2;

function showError(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

function intValue(input) {
  const text = input.value.trim();
  if (!/^\d+$/.test(text)) return null;
  return Number(text);
}

/** Name, "(you)" and organisation of a person, as one wrapping group. */
function personRow(user, meId) {
  return h(
    'span',
    { class: 'person-line' },
    h('span', { class: 'person-name', dir: 'auto', text: user.name }),
    user.id === meId ? h('span', { class: 'you', text: '(you)' }) : null,
    orgBadge(user.org || '?', 'org-badge--small'),
  );
}

export class FacilitatorPanel {
  /**
   * @param {object} els elements by id (camelCase)
   * @param {object} actions {setRole, floor, startTimer, timer, openPoll, openBreakout, broadcast,
   *   closeBreakout, setAgenda, moveAgenda, lock, openGroup} each returning a Promise (errors are
   *   reported by the action and rethrown)
   */
  constructor(els, actions) {
    this.els = els;
    this.actions = actions;
    this.model = null;
    /** What each list last showed: a list is rebuilt only when that changes, so that a control
     *  is not replaced under the pointer (or an open select closed) by an unrelated event. */
    this.shown = new Map();
    this.setupHands();
    this.setupTimer();
    this.setupPoll();
    this.setupBreakout();
    this.setupAgenda();
    this.setupRoom();
  }

  get room() {
    return this.model ? this.model.room : null;
  }

  /** True (and remembered) when `data` differs from what list `name` shows. */
  differs(name, data) {
    const key = JSON.stringify(data);
    if (this.shown.get(name) === key) return false;
    this.shown.set(name, key);
    return true;
  }

  /** Runs an action with its button disabled meanwhile; swallows the (already reported) error. */
  async run(button, fn) {
    if (button) button.disabled = true;
    try {
      return await fn();
    } catch (err) {
      return err;
    } finally {
      if (button) button.disabled = false;
    }
  }

  // ---- hands and floor ---------------------------------------------------------------------

  setupHands() {
    const e = this.els;
    e.floorNext.addEventListener('click', () => this.run(e.floorNext, () => this.actions.floor(null)));
    e.floorClear.addEventListener('click', () => this.run(e.floorClear, () => this.actions.floor(null)));
  }

  renderHands(s, lead, meId) {
    const e = this.els;
    e.handsCount.textContent = String(s.hands.length);
    e.handsFloor.replaceChildren(s.floor ? personRow(s.floor, meId) : h('span', { class: 'muted', text: 'open' }));
    e.handsEmpty.hidden = s.hands.length > 0;
    if (this.differs('hands', [this.room, s.hands, lead, meId])) replaceChildrenKeepingFocus(
      e.handsList,
      s.hands.map((user, i) =>
        h(
          'li',
          { class: `queue-item${user.id === meId ? ' is-me' : ''}`, dataset: { user: user.id } },
          h('span', { class: 'queue-place', text: `${i + 1}.` }),
          personRow(user, meId),
          lead
            ? h('button', {
                type: 'button',
                class: 'button button--small give-floor',
                text: 'Give the floor',
                'aria-label': `Give the floor to ${user.name} (${user.org})`,
                dataset: { focusKey: `floor-${user.id}` },
                on: { click: (event) => this.run(event.currentTarget, () => this.actions.floor(user.id)) },
              })
            : null,
        ),
      ),
    );
    e.handsLead.hidden = !lead;
    e.floorNext.hidden = s.hands.length === 0;
    e.floorClear.hidden = s.hands.length > 0 || !s.floor;
    if (lead && s.hands.length) e.floorNext.textContent = `Next: ${s.hands[0].name}`;
  }

  // ---- timer -------------------------------------------------------------------------------

  setupTimer() {
    const e = this.els;
    e.timerForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const minutes = intValue(e.timerMinutes);
      const seconds = intValue(e.timerSeconds);
      if (minutes === null || seconds === null || seconds > 59) {
        return showError(e.timerError, 'Give whole minutes and 0 to 59 seconds.');
      }
      const total = minutes * 60 + seconds;
      if (total < 1 || total > 86400) return showError(e.timerError, 'A timer runs from 1 second to 24 hours.');
      showError(e.timerError, '');
      this.run(e.timerStart, () => this.actions.startTimer(total, e.timerLabel.value.trim()));
    });
    for (const [button, action] of [
      [e.timerPause, 'pause'],
      [e.timerResume, 'resume'],
      [e.timerStop, 'stop'],
    ]) {
      button.addEventListener('click', () => this.run(button, () => this.actions.timer(action)));
    }
  }

  renderTimer(s) {
    const e = this.els;
    const state = s.timer ? s.timer.state : 'none';
    e.timerPause.hidden = state !== 'running';
    e.timerResume.hidden = state !== 'paused';
    e.timerStop.hidden = state !== 'running' && state !== 'paused';
    e.timerStart.textContent = state === 'running' || state === 'paused' ? 'Restart' : 'Start';
    this.tick(Date.now());
  }

  /** The summary line of the timer card, every half second while it runs. */
  tick(now) {
    const s = this.model && this.model.session;
    if (!s || !this.model.lead) return;
    const t = s.timer;
    const text = !t
      ? ''
      : t.state === 'running'
        ? `${formatClock(timerRemaining(t, now))} left`
        : t.state === 'paused'
          ? `paused, ${formatClock(t.remainingMs)} left`
          : t.state === 'done'
            ? "time's up"
            : 'stopped';
    if (this.els.timerSummary.textContent !== text) this.els.timerSummary.textContent = text;
  }

  // ---- poll --------------------------------------------------------------------------------

  setupPoll() {
    const e = this.els;
    this.resetPollForm();
    e.pollAddOption.addEventListener('click', () => {
      if (e.pollOptions.children.length >= MAX_OPTIONS) return;
      const input = this.addOptionRow('');
      input.focus();
    });
    e.pollForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const question = e.pollQuestion.value.trim();
      const options = [...e.pollOptions.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
      if (!question) {
        showError(e.pollError, 'Write the question.');
        return e.pollQuestion.focus();
      }
      if (options.length < MIN_OPTIONS) return showError(e.pollError, 'Give at least two options.');
      if (new Set(options).size !== options.length) return showError(e.pollError, 'Two options are the same.');
      showError(e.pollError, '');
      const submit = e.pollForm.querySelector('button[type="submit"]');
      const err = await this.run(submit, () =>
        this.actions.openPoll({ question, options, multi: e.pollMulti.checked, anonymous: e.pollAnonymous.checked }),
      );
      if (!(err instanceof Error)) this.resetPollForm();
    });
    e.pollClose.addEventListener('click', () => {
      const poll = this.model && openPoll(this.model.session);
      if (poll) this.run(e.pollClose, () => this.actions.closePoll(poll.id));
    });
  }

  resetPollForm() {
    const e = this.els;
    e.pollQuestion.value = '';
    e.pollMulti.checked = false;
    e.pollAnonymous.checked = true;
    clear(e.pollOptions);
    for (let i = 0; i < MIN_OPTIONS; i++) this.addOptionRow('');
  }

  addOptionRow(value) {
    const e = this.els;
    const n = e.pollOptions.children.length + 1;
    const id = `poll-option-${Date.now().toString(36)}-${n}`;
    const input = h('input', { type: 'text', id, maxlength: '200', value, placeholder: `Option ${n}` });
    const row = h(
      'li',
      { class: 'option-row' },
      h('label', { for: id, class: 'sr-only', text: `Option ${n}` }),
      input,
      h('button', {
        type: 'button',
        class: 'icon-button icon-button--small remove-row',
        'aria-label': `Remove option ${n}`,
        text: '×',
        on: {
          click: () => {
            if (e.pollOptions.children.length <= MIN_OPTIONS) return;
            row.remove();
            this.renumberOptions();
            const last = e.pollOptions.querySelector('li:last-child input');
            if (last) last.focus();
          },
        },
      }),
    );
    e.pollOptions.append(row);
    this.renumberOptions();
    return input;
  }

  renumberOptions() {
    const e = this.els;
    const rows = [...e.pollOptions.children];
    rows.forEach((row, i) => {
      row.querySelector('label').textContent = `Option ${i + 1}`;
      row.querySelector('input').placeholder = `Option ${i + 1}`;
      const remove = row.querySelector('.remove-row');
      remove.setAttribute('aria-label', `Remove option ${i + 1}`);
      remove.hidden = rows.length <= MIN_OPTIONS;
    });
    e.pollAddOption.hidden = rows.length >= MAX_OPTIONS;
  }

  renderPoll(s) {
    const e = this.els;
    const poll = openPoll(s);
    e.pollForm.hidden = !!poll;
    e.pollLive.hidden = !poll;
    e.pollSummary.textContent = poll ? `open · ${poll.voters} voted` : s.polls.length ? `${s.polls.length} ${s.polls.length === 1 ? 'poll' : 'polls'} so far` : '';
    if (poll) e.pollLiveText.textContent = `“${poll.question}” is open: ${poll.voters} voted. Results show above the messages.`;
  }

  // ---- breakout groups ---------------------------------------------------------------------

  setupBreakout() {
    const e = this.els;
    const syncBy = () => {
      const bySize = e.breakoutBySize.checked;
      e.breakoutCountLabel.textContent = bySize ? 'People per group' : 'Groups';
      e.breakoutCount.max = bySize ? '200' : '50';
    };
    e.breakoutByGroups.addEventListener('change', syncBy);
    e.breakoutBySize.addEventListener('change', syncBy);
    e.breakoutStrategy.addEventListener('change', () => {
      e.breakoutManual.hidden = e.breakoutStrategy.value !== 'manual';
      if (!e.breakoutManual.hidden) this.renderAssignRows();
    });
    e.breakoutForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const count = intValue(e.breakoutCount);
      const bySize = e.breakoutBySize.checked;
      const max = bySize ? 200 : 50;
      if (count === null || count < 1 || count > max) {
        return showError(e.breakoutError, bySize ? 'People per group: 1 to 200.' : 'Groups: 1 to 50.');
      }
      const minutesText = e.breakoutMinutes.value.trim();
      const minutes = minutesText ? intValue(e.breakoutMinutes) : undefined;
      if (minutes === null || (minutes !== undefined && (minutes < 1 || minutes > 600))) {
        return showError(e.breakoutError, 'Minutes: 1 to 600, or leave it empty.');
      }
      const strategy = e.breakoutStrategy.value;
      const assign = {};
      if (strategy === 'manual') {
        for (const input of e.breakoutAssign.querySelectorAll('input')) {
          const text = input.value.trim();
          if (!text) continue;
          const group = intValue(input);
          if (group === null || group < 1 || (!bySize && group > count)) {
            return showError(e.breakoutError, `Group numbers run from 1 to ${bySize ? 'the number of groups' : count}.`);
          }
          assign[input.dataset.user] = group;
        }
      }
      showError(e.breakoutError, '');
      const submit = e.breakoutForm.querySelector('button[type="submit"]');
      this.run(submit, () =>
        this.actions.openBreakout({
          ...(bySize ? { size: count } : { groups: count }),
          strategy,
          assign,
          minutes,
        }),
      );
    });
    e.broadcastForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = e.broadcastText.value.trim();
      if (!text) return;
      const submit = e.broadcastForm.querySelector('button[type="submit"]');
      const err = await this.run(submit, () => this.actions.broadcast(text));
      if (!(err instanceof Error)) e.broadcastText.value = '';
    });
    e.breakoutClose.addEventListener('click', () => this.run(e.breakoutClose, () => this.actions.closeBreakout()));
  }

  /** Rows for the manual strategy: every member present, with a group number box. */
  renderAssignRows() {
    const e = this.els;
    if (!this.model) return;
    const kept = new Map([...e.breakoutAssign.querySelectorAll('input')].map((i) => [i.dataset.user, i.value]));
    const members = this.model.participants.filter((p) => p.role === 'member' && p.present);
    if (!this.differs('assign', [this.room, members.map((p) => p.user)])) return;
    replaceChildrenKeepingFocus(
      e.breakoutAssign,
      members.length
        ? members.map((p) => {
            const id = `assign-${p.user.id}`;
            return h(
              'li',
              { class: 'assign-row' },
              h('label', { for: id }, personRow(p.user, this.model.me.id)),
              h('input', {
                type: 'number',
                id,
                min: '1',
                max: '50',
                inputmode: 'numeric',
                value: kept.get(p.user.id) || '',
                dataset: { user: p.user.id, focusKey: id },
              }),
            );
          })
        : [h('li', { class: 'muted small', text: 'No members are here to place.' })],
    );
  }

  renderBreakout(s) {
    const e = this.els;
    const b = s.breakouts;
    e.breakoutForm.hidden = b.open;
    e.breakoutLive.hidden = !b.open;
    e.breakoutSummary.textContent = b.open ? `${b.groups.length} open` : '';
    if (b.open && b.endsAt) e.breakoutSummary.append(' · ', countdown(b.endsAt));
    renderLateJoiners(e.breakoutLive, b, (user, group) => this.actions.placeInGroup(user, group));
    if (!e.breakoutManual.hidden) this.renderAssignRows();
    if (!b.open || !this.differs('groups', [this.room, b.groups])) return;
    replaceChildrenKeepingFocus(
      e.breakoutGroups,
      b.groups.map((g) =>
        h(
          'li',
          { class: 'group-item', dataset: { group: g.group, size: String(g.members.length) } },
          h(
            'div',
            { class: 'group-head' },
            h('span', { class: 'group-name', text: `Group ${groupNumber(g.group)}`, title: g.group }),
            h('span', { class: 'muted small', text: `${g.members.length} ${g.members.length === 1 ? 'person' : 'people'}` }),
            h('button', {
              type: 'button',
              class: 'button button--small button--quiet open-group',
              text: 'Visit',
              'aria-label': `Visit group ${groupNumber(g.group)}`,
              dataset: { focusKey: `visit-${g.group}` },
              on: { click: () => this.actions.openGroup(g.group) },
            }),
          ),
          h(
            'ul',
            { class: 'people-list group-members' },
            g.members.map((u) => h('li', { class: 'person', dataset: { user: u.id, org: u.org } }, personRow(u, this.model.me.id))),
          ),
        ),
      ),
    );
  }

  // ---- agenda ------------------------------------------------------------------------------

  setupAgenda() {
    const e = this.els;
    e.agendaPrev.addEventListener('click', () => this.run(e.agendaPrev, () => this.actions.moveAgenda('prev')));
    e.agendaNext.addEventListener('click', () => this.run(e.agendaNext, () => this.actions.moveAgenda('next')));
    e.agendaEdit.addEventListener('toggle', () => {
      if (e.agendaEdit.open) this.fillAgendaRows();
    });
    e.agendaAdd.addEventListener('click', () => {
      if (e.agendaRows.children.length >= 50) return;
      this.addAgendaRow({ title: '', minutes: 10 }).focus();
    });
    e.agendaForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const items = [];
      for (const row of e.agendaRows.children) {
        const title = row.querySelector('input[type="text"]').value.trim();
        const minutesInput = row.querySelector('input[type="number"]');
        if (!title) continue;
        const minutes = minutesInput.value.trim() ? intValue(minutesInput) : 0;
        if (minutes === null || minutes > 600) return showError(e.agendaError, `“${title}”: minutes from 0 to 600.`);
        items.push({ title, minutes });
      }
      showError(e.agendaError, '');
      const submit = e.agendaForm.querySelector('button[type="submit"]');
      const err = await this.run(submit, () => this.actions.setAgenda(items));
      if (!(err instanceof Error)) e.agendaEdit.open = false;
    });
  }

  fillAgendaRows() {
    const e = this.els;
    clear(e.agendaRows);
    const items = this.model ? this.model.session.agenda.items : [];
    for (const item of items) this.addAgendaRow(item);
    if (!items.length) this.addAgendaRow({ title: '', minutes: 10 });
  }

  addAgendaRow(item) {
    const e = this.els;
    const n = e.agendaRows.children.length + 1;
    const stamp = `${Date.now().toString(36)}-${n}`;
    const title = h('input', { type: 'text', id: `agenda-title-${stamp}`, maxlength: '200', value: item.title, placeholder: 'Check-in' });
    const minutes = h('input', {
      type: 'number',
      id: `agenda-minutes-${stamp}`,
      class: 'minutes-input',
      min: '0',
      max: '600',
      inputmode: 'numeric',
      value: String(item.minutes ?? 0),
    });
    const row = h(
      'li',
      { class: 'option-row agenda-row' },
      h('label', { for: title.id, class: 'sr-only', text: `Item ${n} title` }),
      title,
      h('label', { for: minutes.id, class: 'sr-only', text: `Item ${n} minutes` }),
      minutes,
      h('span', { class: 'unit', 'aria-hidden': 'true', text: 'min' }),
      h('button', {
        type: 'button',
        class: 'icon-button icon-button--small remove-row',
        'aria-label': `Remove item ${n}`,
        text: '×',
        on: { click: () => row.remove() },
      }),
    );
    e.agendaRows.append(row);
    return title;
  }

  renderAgenda(s, lead) {
    const e = this.els;
    const { items, current } = s.agenda;
    e.agendaEmpty.hidden = items.length > 0;
    if (this.differs('agenda', [this.room, items, current])) replaceChildrenKeepingFocus(
      e.agendaList,
      items.map((item, i) =>
        h(
          'li',
          {
            class: `agenda-item${i === current ? ' is-current' : ''}${i < current ? ' is-done' : ''}`,
            'aria-current': i === current ? 'step' : null,
          },
          h('span', { class: 'agenda-title', text: item.title }),
          item.minutes ? h('span', { class: 'agenda-minutes', text: `${item.minutes} min` }) : null,
        ),
      ),
    );
    e.agendaLead.hidden = !lead;
    e.agendaPrev.disabled = current <= 0;
    e.agendaNext.disabled = current < 0 || current >= items.length - 1;
    e.agendaPrev.hidden = e.agendaNext.hidden = items.length === 0;
  }

  // ---- participants and roles ----------------------------------------------------------------

  renderRoles(model) {
    const e = this.els;
    const people = model.participants;
    const orgs = new Set(people.map((p) => p.user.org));
    e.rolesCount.textContent = String(people.length);
    e.rolesSummary.textContent = `${orgs.size} organisation${orgs.size === 1 ? '' : 's'}`;
    if (!this.differs('roles', [this.room, people, model.me.id])) return;
    replaceChildrenKeepingFocus(
      e.rolesList,
      people.map((p) => {
        const id = `role-${p.user.id}`;
        const control =
          p.role === 'owner'
            ? h('span', { class: 'role-tag role-tag--owner', text: ROLE_LABELS.owner })
            : h(
                'select',
                {
                  id,
                  class: 'role-select',
                  'aria-label': `Role of ${p.user.name} (${p.user.org})`,
                  dataset: { focusKey: id, user: p.user.id },
                  on: {
                    change: async (event) => {
                      const select = event.currentTarget;
                      const err = await this.run(select, () => this.actions.setRole(p.user.id, select.value));
                      if (err instanceof Error) select.value = p.role;
                    },
                  },
                },
                GIVABLE_ROLES.map((role) => h('option', { value: role, selected: role === p.role, text: ROLE_LABELS[role] })),
              );
        return h(
          'li',
          { class: `role-row${p.present ? '' : ' is-absent'}`, dataset: { user: p.user.id, role: p.role } },
          h('span', { class: `status-dot status-dot--${p.present ? p.state : 'offline'}`, 'aria-hidden': 'true' }),
          personRow(p.user, model.me.id),
          p.present ? null : h('span', { class: 'sr-only', text: 'not here' }),
          control,
        );
      }),
    );
  }

  // ---- room: lock and record -----------------------------------------------------------------

  setupRoom() {
    const e = this.els;
    e.lockButton.addEventListener('click', () => {
      const s = this.model && this.model.session;
      if (s) this.run(e.lockButton, () => this.actions.lock(!s.locked));
    });
  }

  renderRoom(model) {
    const e = this.els;
    const locked = model.session.locked;
    e.lockButton.textContent = locked ? 'Unlock the room' : 'Lock the room';
    e.lockButton.setAttribute('aria-pressed', String(locked));
    e.lockNote.textContent = locked
      ? 'Locked: only facilitators and the owner can write.'
      : 'Everyone but observers can write.';
    e.recordLink.href = recordHref(model.room, 'md');
    e.recordLink.setAttribute('download', `${model.room}.md`);
    printableRecordLink(e.recordLink, model.room);
  }

  // ---- the whole panel -----------------------------------------------------------------------

  /**
   * @param {object|null} model null: no room open
   * @param {string} model.room
   * @param {string} model.kind
   * @param {object} model.session
   * @param {object} model.me
   * @param {string} model.role
   * @param {Array<{user, role, present, state}>} model.participants
   */
  render(model) {
    const e = this.els;
    this.model = model ? { ...model, lead: isLead(model.role) } : null;
    if (!model) {
      e.facilitationPanel.hidden = true;
      e.handsCard.hidden = true; // pinned above the panel, outside it
      return;
    }
    const lead = this.model.lead;
    const isSession = model.kind === 'session';
    e.facilitationPanel.hidden = !isSession && !lead;
    e.facilitationPanel.classList.toggle('is-lead', lead);
    e.facilitationPanel.dataset.kind = model.kind;
    if (e.facilitationPanel.hidden) {
      e.handsCard.hidden = true;
      return;
    }
    const s = model.session;

    for (const card of e.facilitationPanel.querySelectorAll('.lead-only')) card.hidden = !lead;
    // Sessions get the whole toolkit; other rooms only roles, lock and the record.
    e.handsCard.hidden = !isSession;
    e.agendaCard.hidden = !isSession;
    if (!isSession) e.timerCard.hidden = e.pollCard.hidden = e.breakoutCard.hidden = true;

    e.facRoleNote.hidden = !(lead || model.role === 'observer');
    e.facRoleNote.textContent =
      model.role === 'owner'
        ? 'You run this room as its owner.'
        : model.role === 'facilitator'
          ? 'You are a facilitator here.'
          : model.role === 'observer'
            ? 'You are observing: you can read and follow along, but not write, vote or raise a hand.'
            : '';

    if (isSession) {
      this.renderHands(s, lead, model.me.id);
      this.renderAgenda(s, lead);
    }
    if (!lead) return;
    if (isSession) {
      this.renderTimer(s);
      this.renderPoll(s);
      this.renderBreakout(s);
    }
    this.renderRoles(this.model);
    this.renderRoom(this.model);
  }
}
