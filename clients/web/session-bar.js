// The strip above the messages of a session: the agenda item, who has the floor, the timer, the
// person's own hand, their breakout group and the poll. In a breakout group room: which group
// this is, with whom, and the way back.

import { h, replaceChildrenKeepingFocus } from './dom.js';
import { countdown } from './breakout-clock.js';
import { orgBadge } from './messages-view.js';
import { PollView } from './poll-view.js';
import {
  currentPoll,
  formatClock,
  groupNumber,
  isLead,
  ordinal,
  queuePlace,
  timerRemaining,
} from './session-state.js';

const TIMER_STATUS = { paused: 'Paused', stopped: 'Stopped', done: "Time's up" };
/** How long a finished or stopped timer stays in the bar before it goes away. */
export const TIMER_ENDED_SHOWN_MS = 10000;

function personLabel(user) {
  return `${user.name} (${user.org || 'no organisation'})`;
}

/** "A org, B org and C org": each name stays with its badge; the line may break between people. */
function peopleList(users) {
  return users.flatMap((u, i) => [
    i ? (i === users.length - 1 ? ' and ' : ', ') : '',
    h('span', { class: 'person-inline' }, h('span', { dir: 'auto', text: u.name }), ' ', orgBadge(u.org || '?', 'org-badge--small')),
  ]);
}

export class SessionBar {
  /**
   * @param {object} els elements by id (camelCase)
   * @param {{hand: (up: boolean) => Promise<any>, joinGroup: (room: string) => void,
   *   backToMain: (room: string) => void, vote: Function, closePoll: Function}} actions
   */
  constructor(els, actions) {
    this.els = els;
    this.actions = actions;
    this.poll = new PollView(els.sbPoll, { vote: actions.vote, close: actions.closePoll });
    this.timer = null;
    /** The finished or stopped timer shown, and since when: {key, since}. */
    this.ended = null;
    this.handBusy = false;
    this.handUp = false;
    this.promptShown = null;
    this.groupShown = null;
    els.sbHandButton.addEventListener('click', async () => {
      if (this.handBusy) return;
      this.handBusy = true;
      els.sbHandButton.disabled = true;
      try {
        await this.actions.hand(!this.handUp);
      } catch {
        // reported by the action
      } finally {
        this.handBusy = false;
        els.sbHandButton.disabled = false;
      }
    });
  }

  /**
   * @param {object|null} model null: not a session room
   * @param {string} model.kind room kind
   * @param {object} model.session the room's Session
   * @param {object} model.me USER
   * @param {string} model.role own role
   * @param {object|null} model.group in a breakout room: {number, parentTitle, parent, members, closed, endsAt}
   * @param {(id: string) => object|null} model.nameOf
   */
  render(model) {
    const e = this.els;
    if (!model) {
      e.sessionBar.hidden = true;
      this.timer = null;
      return;
    }
    e.sessionBar.hidden = false;
    e.sessionBar.dataset.kind = model.kind;
    this.renderGroupBar(model);
    const isSession = model.kind === 'session';
    e.sessionStrip.hidden = !isSession;
    if (!isSession) {
      e.sbBreakout.hidden = true;
      this.poll.render(null, {});
      this.timer = null;
      return;
    }
    const s = model.session;
    const lead = isLead(model.role);

    // Agenda: the current item.
    const item = s.agenda.current >= 0 ? s.agenda.items[s.agenda.current] : null;
    e.sbAgenda.hidden = !item;
    if (item) {
      const minutes = item.minutes ? ` · ${item.minutes} min` : '';
      e.sbAgendaText.textContent = `${s.agenda.current + 1}/${s.agenda.items.length} ${item.title}${minutes}`;
    }

    // Floor.
    const floorText = s.floor
      ? s.floor.id === model.me.id
        ? `You have the floor`
        : personLabel(s.floor)
      : 'Open';
    if (e.sbFloorText.textContent !== floorText) e.sbFloorText.textContent = floorText;
    e.sbFloor.dataset.holder = s.floor ? s.floor.id : '';
    e.sbFloor.classList.toggle('is-mine', !!s.floor && s.floor.id === model.me.id);
    e.sbFloor.classList.toggle('is-open', !s.floor);

    // Timer.
    this.timer = s.timer;
    this.noteEnded(s.timer);
    e.sbTimer.hidden = !s.timer || this.endedLongAgo(Date.now());
    if (s.timer) {
      e.sbTimer.dataset.state = s.timer.state;
      e.sbTimerLabel.textContent = s.timer.label || 'Timer';
      const status = TIMER_STATUS[s.timer.state] || '';
      if (e.sbTimerStatus.textContent !== status) e.sbTimerStatus.textContent = status;
      this.tick(Date.now());
    }

    e.sbLocked.hidden = !s.locked;

    // Everyone sees how many hands are up, in the bar above the messages.
    e.sbHandsCount.textContent = String(s.hands.length);
    e.sbHands.classList.toggle('is-up', s.hands.length > 0);

    // Own hand: not for observers (the server refuses them) nor for leads (they run the queue).
    const canRaise = model.role === 'member';
    e.sbHand.hidden = !canRaise;
    const place = queuePlace(s, model.me.id);
    this.handUp = place > 0;
    e.sbHandButton.textContent = this.handUp ? 'Lower hand' : 'Raise hand';
    e.sbHandButton.setAttribute('aria-pressed', String(this.handUp));
    e.sbHandButton.classList.toggle('is-up', this.handUp);
    const placeText = this.handUp ? `${ordinal(place)} in the queue of ${s.hands.length}` : '';
    if (e.sbHandPlace.textContent !== placeText) e.sbHandPlace.textContent = placeText;

    this.renderBreakoutPrompt(s, model);
    this.poll.render(currentPoll(s), {
      meId: model.me.id,
      canVote: model.role !== 'observer',
      lead,
      nameOf: model.nameOf,
    });
  }

  /** Remembers when the timer shown finished or was stopped ("Time's up" goes away after a while). */
  noteEnded(t) {
    if (!t || (t.state !== 'done' && t.state !== 'stopped')) {
      this.ended = null;
      return;
    }
    const key = JSON.stringify([t.state, t.label, t.durationMs, t.endsAt]);
    if (!this.ended || this.ended.key !== key) this.ended = { key, since: Date.now() };
  }

  endedLongAgo(now) {
    return !!this.ended && now - this.ended.since >= TIMER_ENDED_SHOWN_MS;
  }

  /** Updates the countdown (called every half second while a timer shows). */
  tick(now) {
    const t = this.timer;
    if (!t) return;
    if (this.endedLongAgo(now)) {
      this.els.sbTimer.hidden = true;
      return;
    }
    const text = t.state === 'done' ? '0:00' : formatClock(timerRemaining(t, now));
    if (this.els.sbTimerClock.textContent !== text) this.els.sbTimerClock.textContent = text;
    this.els.sbTimer.classList.toggle('is-low', t.state === 'running' && timerRemaining(t, now) <= 10000);
  }

  renderBreakoutPrompt(s, model) {
    const e = this.els;
    const mine = s.breakouts.open ? s.breakouts.mine : null;
    e.sbBreakout.hidden = !mine;
    if (!mine) {
      e.sbBreakout.replaceChildren();
      return;
    }
    // Rebuilt only when it changes: the button must not be replaced under the pointer.
    const key = JSON.stringify([mine, s.breakouts.endsAt, model.me.id]);
    if (key === this.promptShown && e.sbBreakout.firstChild) return;
    this.promptShown = key;
    const others = mine.members.filter((u) => u.id !== model.me.id);
    e.sbBreakout.dataset.group = mine.group;
    replaceChildrenKeepingFocus(e.sbBreakout, [
      h(
        'p',
        { class: 'sb-breakout-text' },
        h('strong', { text: `You are in group ${groupNumber(mine.group)}` }),
        others.length ? [' with ', ...peopleList(others)] : ' on your own',
        s.breakouts.endsAt ? `, until ${new Date(s.breakouts.endsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} (` : '',
        s.breakouts.endsAt ? countdown(s.breakouts.endsAt) : '',
        s.breakouts.endsAt ? ')' : '',
        '.',
      ),
      h('button', {
        type: 'button',
        class: 'button button--primary button--small join-group',
        // The group's number, as the facilitator and the room list say it; its room id means nothing to people.
        text: `Join group ${groupNumber(mine.group)}`,
        dataset: { focusKey: 'join-group', group: mine.group },
        on: { click: () => this.actions.joinGroup(mine.group) },
      }),
    ]);
  }

  renderGroupBar(model) {
    const e = this.els;
    const g = model.group;
    e.groupBar.hidden = !g;
    if (!g) return;
    e.groupBarTitle.textContent = `Breakout group ${g.number}${g.parentTitle ? ` of ${g.parentTitle}` : ''}`;
    const others = (g.members || []).filter((u) => u.id !== model.me.id);
    const key = JSON.stringify(others);
    if (key !== this.groupShown) {
      this.groupShown = key;
      e.groupBarMembers.replaceChildren(...(others.length ? [' · with ', ...peopleList(others)] : []));
    }
    e.groupBarStatus.textContent = g.closed
      ? ' · The groups are closed; this room stays readable.'
      : g.endsAt
        ? ` · until ${new Date(g.endsAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
        : '';
    if (!g.closed && g.endsAt) e.groupBarStatus.append(' (', countdown(g.endsAt), ')');
    e.groupBarBack.hidden = !g.parent;
    e.groupBarBack.onclick = () => this.actions.backToMain(g.parent);
  }
}
