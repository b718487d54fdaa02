// The facilitator's tools, one at a time: in a session a lead gets a row of toggle buttons
// (Timer, Poll, Groups, Agenda, People, Room) above the tools, and only the chosen tool's cards
// show, so the hand queue and "not heard from yet" (pinned above, see index.html) stay in view.
// Everyone else, and leads in plain rooms, see the cards as a list. Only classes are toggled
// here: the `hidden` attribute of each card stays the facilitator panel's (facilitator-panel.js).

import { h } from './dom.js';

const CHOSEN_KEY = 'outloud.tool';
const TOOLS = [
  { key: 'timer', label: 'Timer', cards: ['timer-card'] },
  { key: 'poll', label: 'Poll', cards: ['poll-card'] },
  { key: 'groups', label: 'Groups', cards: ['breakout-card'] },
  { key: 'agenda', label: 'Agenda', cards: ['agenda-card'] },
  { key: 'people', label: 'People', cards: ['present-card', 'roles-card'] },
  { key: 'room', label: 'Room', cards: ['room-card', 'fac-role-note'] },
];
const ALL_CARDS = TOOLS.flatMap((t) => t.cards);

export class ToolTabs {
  /** @param {HTMLElement} bar the (empty) button row @param {HTMLElement} root where the cards are */
  constructor(bar, root) {
    this.bar = bar;
    this.root = root;
    this.enabled = false;
    let chosen = null;
    try {
      chosen = localStorage.getItem(CHOSEN_KEY);
    } catch {
      // no storage
    }
    // Who is here comes first; a facilitator's choice is kept for the next session.
    this.chosen = TOOLS.some((t) => t.key === chosen) ? chosen : 'people';
    this.buttons = new Map();
    for (const tool of TOOLS) {
      const button = h('button', {
        type: 'button',
        class: 'tool-tab',
        text: tool.label,
        'aria-pressed': 'false',
        'aria-controls': tool.cards.join(' '),
        dataset: { tool: tool.key },
        on: { click: () => this.choose(tool.key) },
      });
      this.buttons.set(tool.key, button);
      bar.append(button);
    }
    bar.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Tabs on (a lead in a session) or off (every card in a list). */
  render(enabled) {
    this.enabled = enabled;
    this.bar.hidden = !enabled;
    this.root.classList.toggle('is-tabbed', enabled);
    this.apply();
  }

  choose(key) {
    this.chosen = key;
    try {
      localStorage.setItem(CHOSEN_KEY, key);
    } catch {
      // no storage
    }
    this.apply();
    const tool = TOOLS.find((t) => t.key === key);
    for (const id of tool.cards) {
      const card = document.getElementById(id);
      if (card && card.tagName === 'DETAILS') card.open = true; // a chosen tool shows its content
    }
  }

  apply() {
    const tool = TOOLS.find((t) => t.key === this.chosen);
    for (const [key, button] of this.buttons) button.setAttribute('aria-pressed', String(key === this.chosen));
    for (const id of ALL_CARDS) {
      const card = document.getElementById(id);
      if (card) card.classList.toggle('is-tab-hidden', this.enabled && !tool.cards.includes(id));
    }
  }

  /** Arrow keys move between the buttons, as in a toolbar. */
  onKey(event) {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const list = [...this.buttons.values()];
    const at = list.indexOf(document.activeElement);
    if (at < 0) return;
    event.preventDefault();
    list[(at + (event.key === 'ArrowRight' ? 1 : list.length - 1)) % list.length].focus();
  }
}
