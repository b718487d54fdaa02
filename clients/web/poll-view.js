// The poll everyone sees in a session: the question, a ballot while it is open, and the results
// as a bar chart whose numbers are text too (screen readers read the counts, not the bars).

import { h, replaceChildrenKeepingFocus } from './dom.js';
import { pollShares } from './session-state.js';
import { orgBadge } from './messages-view.js';

/** How long a closed poll's result shows before it puts itself away. */
export const POLL_RESULT_SHOWN_MS = 30000;

function votesText(count) {
  return `${count} vote${count === 1 ? '' : 's'}`;
}

export class PollView {
  /**
   * @param {HTMLElement} container
   * @param {{vote: (pollId: string, choices: number[]) => Promise<any>,
   *   close: (pollId: string) => Promise<any>}} actions
   */
  constructor(container, actions) {
    this.container = container;
    this.actions = actions;
    /** @type {Map<string, Set<number>>} choices ticked but not yet sent, by poll id */
    this.drafts = new Map();
    /** @type {Map<string, number[]>} the person's own ballot, by poll id (anonymous polls do not say) */
    this.ballots = new Map();
    /** Poll ids whose ballot is being changed. */
    this.changing = new Set();
    /** Closed poll ids the person put away. */
    this.dismissed = new Set();
    /** Timers that put a closed poll's result away by themselves, by poll id. */
    this.autoHide = new Map();
    this.busy = false;
    this.last = null;
    this.parts = null;
  }

  /** Forgets the own ballots (another person signs in). */
  reset() {
    this.drafts.clear();
    this.ballots.clear();
    this.changing.clear();
    this.dismissed.clear();
    for (const timer of this.autoHide.values()) clearTimeout(timer);
    this.autoHide.clear();
  }

  /**
   * @param {object|null} poll the open poll, or the latest closed one
   * @param {{meId: string, canVote: boolean, lead: boolean, nameOf: (id: string) => object|null}} ctx
   */
  render(poll, ctx) {
    this.last = { poll, ctx };
    if (!poll || (!poll.open && this.dismissed.has(poll.id))) {
      this.container.hidden = true;
      this.container.replaceChildren();
      this.parts = null;
      return;
    }
    this.container.hidden = false;
    // A closed poll's result stays a while for people to read, then goes away by itself, so that it
    // does not keep the newest messages out of view.
    if (!poll.open && !this.autoHide.has(poll.id)) {
      this.autoHide.set(
        poll.id,
        setTimeout(() => {
          this.dismissed.add(poll.id);
          this.rerender();
        }, POLL_RESULT_SHOWN_MS),
      );
    }
    const mine = this.myBallot(poll, ctx.meId);
    // Leads see the results and vote only when they choose to; others get the ballot first.
    const voting = poll.open && ctx.canVote && (this.changing.has(poll.id) || (!mine && !ctx.lead));
    const showResults = !voting || ctx.lead;
    // Each part is rebuilt only when what it shows changes: a vote arriving from someone else
    // must not replace the ballot (or a button) under the person's pointer.
    if (!this.parts || this.parts.pollId !== poll.id) this.parts = this.skeleton(poll);
    const p = this.parts;
    p.state.className = `poll-state poll-state--${poll.open ? 'open' : 'closed'}`;
    p.state.textContent = poll.open ? 'Poll open' : 'Poll closed';
    const kinds = [poll.multi ? 'several choices' : 'one choice', poll.anonymous ? 'anonymous' : 'names shown'];
    const meta = `${poll.voters} voted · ${kinds.join(' · ')}`;
    if (p.meta.textContent !== meta) p.meta.textContent = meta;

    const ballotKey = voting ? JSON.stringify([mine, this.changing.has(poll.id)]) : '';
    if (ballotKey !== p.ballotKey) {
      p.ballotKey = ballotKey;
      replaceChildrenKeepingFocus(p.ballot, voting ? [this.ballotForm(poll, mine)] : []);
    }
    if (showResults) this.updateResults(p.results, poll, ctx);
    else p.results.replaceChildren();

    const actionsKey = JSON.stringify([poll.open, voting, mine, ctx.lead, ctx.canVote]);
    if (actionsKey !== p.actionsKey) {
      p.actionsKey = actionsKey;
      const actions = this.actionNodes(poll, { mine, voting, ctx });
      p.actions.hidden = actions.length === 0;
      replaceChildrenKeepingFocus(p.actions, actions);
    }
    this.container.dataset.poll = poll.id;
    this.container.dataset.state = poll.open ? 'open' : 'closed';
  }

  skeleton(poll) {
    const parts = {
      pollId: poll.id,
      state: h('span', { class: 'poll-state' }),
      meta: h('span', { class: 'poll-meta', 'aria-live': 'polite' }),
      ballot: h('div', { class: 'poll-ballot' }),
      results: h('div', { class: 'poll-results-slot' }),
      actions: h('div', { class: 'poll-actions' }),
      ballotKey: null,
      actionsKey: null,
    };
    this.container.replaceChildren(
      h(
        'div',
        { class: 'poll-head' },
        parts.state,
        h('h3', { id: 'sb-poll-question', class: 'poll-question', text: poll.question }),
        parts.meta,
      ),
      parts.ballot,
      parts.results,
      parts.actions,
    );
    return parts;
  }

  actionNodes(poll, { mine, voting, ctx }) {
    const nodes = [];
    if (poll.open && !voting && ctx.canVote) {
      if (mine) nodes.push(h('span', { class: 'poll-mine', text: `You voted: ${mine.map((i) => poll.options[i]).join(', ')}.` }));
      nodes.push(
        h('button', {
          type: 'button',
          class: 'link-button poll-change',
          text: mine ? 'Change your vote' : 'Cast your own vote',
          dataset: { focusKey: 'poll-change' },
          on: {
            click: () => {
              this.changing.add(poll.id);
              this.drafts.set(poll.id, new Set(mine || []));
              this.rerender();
              const first = this.container.querySelector('input[name="poll-choice"]');
              if (first) first.focus();
            },
          },
        }),
      );
    }
    if (poll.open && ctx.lead) {
      nodes.push(
        h('button', {
          type: 'button',
          class: 'button button--small poll-close',
          text: 'Close the poll',
          dataset: { focusKey: 'poll-close' },
          on: { click: () => this.actions.close(poll.id).catch(() => {}) },
        }),
      );
    }
    if (!poll.open) {
      nodes.push(
        h('button', {
          type: 'button',
          class: 'link-button poll-dismiss',
          text: 'Hide the result',
          on: {
            click: () => {
              this.dismissed.add(poll.id);
              this.rerender();
            },
          },
        }),
      );
    }
    return nodes;
  }

  rerender() {
    if (this.last) this.render(this.last.poll, this.last.ctx);
  }

  myBallot(poll, meId) {
    if (poll.ballots && Array.isArray(poll.ballots[meId])) return poll.ballots[meId];
    return this.ballots.get(poll.id) || null;
  }

  ballotForm(poll, mine) {
    let draft = this.drafts.get(poll.id);
    if (!draft) {
      draft = new Set(mine || []);
      this.drafts.set(poll.id, draft);
    }
    const type = poll.multi ? 'checkbox' : 'radio';
    const options = poll.options.map((option, i) => {
      const id = `poll-${poll.id}-choice-${i}`;
      return h(
        'li',
        { class: 'ballot-option' },
        h('input', {
          type,
          id,
          name: 'poll-choice',
          value: String(i),
          checked: draft.has(i),
          dataset: { focusKey: `choice-${i}` },
          on: {
            change: (event) => {
              if (!poll.multi) draft.clear();
              if (event.target.checked) draft.add(i);
              else draft.delete(i);
              const submit = this.container.querySelector('.ballot-submit');
              if (submit) submit.disabled = draft.size === 0;
            },
          },
        }),
        h('label', { for: id, text: option }),
      );
    });
    const submit = h('button', {
      type: 'submit',
      class: 'button button--small button--primary ballot-submit',
      text: mine ? 'Change my vote' : 'Vote',
      disabled: draft.size === 0 || this.busy,
      dataset: { focusKey: 'ballot-submit' },
    });
    return h(
      'form',
      {
        class: 'ballot',
        novalidate: true,
        on: {
          submit: async (event) => {
            event.preventDefault();
            const choices = [...draft].sort((a, b) => a - b);
            if (!choices.length || this.busy) return;
            this.busy = true;
            submit.disabled = true;
            try {
              await this.actions.vote(poll.id, choices);
              this.ballots.set(poll.id, choices);
              this.changing.delete(poll.id);
            } catch {
              // the action reported it
            } finally {
              this.busy = false;
            }
            this.rerender();
            const change = this.container.querySelector('[data-focus-key="poll-change"]');
            if (change) change.focus({ preventScroll: true });
          },
        },
      },
      h(
        'fieldset',
        {},
        h('legend', { class: 'sr-only', text: `${poll.question} (${poll.multi ? 'choose one or more' : 'choose one'})` }),
        h('ul', { class: 'ballot-options' }, options),
      ),
      h('div', { class: 'ballot-row' }, submit, this.changing.has(poll.id) ? this.cancelChange(poll, mine) : null),
    );
  }

  cancelChange(poll, mine) {
    return h('button', {
      type: 'button',
      class: 'link-button',
      text: mine ? 'Keep my vote' : 'Cancel',
      on: {
        click: () => {
          this.changing.delete(poll.id);
          this.drafts.delete(poll.id);
          this.rerender();
        },
      },
    });
  }

  /** Shows the counts: updated in place, so that the bars move rather than flash. */
  updateResults(slot, poll, ctx) {
    let list = slot.firstElementChild;
    if (!list || list.children.length !== poll.options.length) {
      list = h(
        'ol',
        { class: 'poll-results' },
        poll.options.map((option, i) =>
          h(
            'li',
            { class: 'poll-result', dataset: { index: String(i) } },
            h(
              'div',
              { class: 'poll-result-text' },
              h('span', { class: 'poll-option', text: option }),
              h('span', { class: 'poll-count' }),
            ),
            h('span', { class: 'poll-bar', 'aria-hidden': 'true' }, h('span', { class: 'poll-bar-fill' })),
            h('span', { class: 'poll-voters', hidden: true }),
          ),
        ),
      );
      slot.replaceChildren(list);
    }
    list.setAttribute('aria-label', `Results: ${poll.voters} voted`);
    const shares = pollShares(poll);
    const max = Math.max(0, ...shares.map((x) => x.count));
    const voters = new Map();
    if (poll.ballots) {
      for (const [userId, choices] of Object.entries(poll.ballots)) {
        for (const choice of choices) {
          if (!voters.has(choice)) voters.set(choice, []);
          voters.get(choice).push(ctx.nameOf(userId) || { id: userId, name: userId, org: '' });
        }
      }
    }
    shares.forEach((share, i) => {
      const row = list.children[i];
      row.dataset.count = String(share.count);
      row.dataset.percent = String(share.percent);
      row.classList.toggle('is-leading', share.count > 0 && share.count === max);
      row.querySelector('.poll-count').textContent = `${votesText(share.count)} · ${share.percent}%`;
      // Set through the CSSOM: the page's policy allows no inline style attributes.
      row.querySelector('.poll-bar-fill').style.width = `${(share.width * 100).toFixed(1)}%`;
      const names = voters.get(i) || [];
      const who = row.querySelector('.poll-voters');
      who.hidden = names.length === 0;
      who.replaceChildren(
        ...names.map((u, k) => h('span', { class: 'poll-voter' }, k ? ', ' : '', u.name, ' ', orgBadge(u.org || '?', 'org-badge--small'))),
      );
    });
  }
}
