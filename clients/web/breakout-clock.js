// Breakout rounds that run themselves (protocol/README.md "Breakout rounds run themselves"): the
// countdown to `ends_at`, the one-minute warning, and the late joiners a facilitator places with
// one button. session-state.js, the session bar, the facilitator panel and the session controller
// call in here; nothing else of theirs changes. The state side (pure) is breakout-state.js.
import { h, replaceChildrenKeepingFocus } from './dom.js';

/** "4:05" (rounded up, so "0:01" until it is really over). */
export function formatLeft(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * A live countdown to `endsAt`: "4:05 left". Every such element on the page is updated by one
 * timer, so callers only create it and forget it.
 */
export function countdown(endsAt) {
  ensureTicking();
  const span = h('span', { class: 'countdown', dataset: { countdownEnds: String(endsAt) }, 'aria-live': 'off' });
  span.textContent = `${formatLeft(endsAt - Date.now())} left`;
  return span;
}

let ticking = null;
function ensureTicking() {
  if (ticking) return;
  ticking = setInterval(() => {
    const now = Date.now();
    for (const span of document.querySelectorAll('[data-countdown-ends]')) {
      const left = Number(span.dataset.countdownEnds) - now;
      const text = left > 0 ? `${formatLeft(left)} left` : 'time is up';
      if (span.textContent !== text) span.textContent = text;
      span.classList.toggle('is-low', left <= 60000);
    }
  }, 500);
}

const groupNumber = (id) => id.split('~').pop();

/**
 * The facilitator's list of people who joined after the groups opened, each with a choice of group
 * ("best fit" keeps organisations mixed) and a Place button. Lives in `live` (the panel's open
 * breakout section), created on first use.
 * @param {HTMLElement} live
 * @param {{open: boolean, groups: Array<{group: string}>, late?: Array<{id: string, name: string, org: string}>}} b
 * @param {(user: string, group?: number) => Promise<unknown>} place
 */
export function renderLateJoiners(live, b, place) {
  let section = live.querySelector('.late-joiners');
  if (!section) {
    section = h('section', { class: 'late-joiners', 'aria-labelledby': 'late-joiners-heading' },
      h('h4', { id: 'late-joiners-heading', class: 'small', text: 'Joined late' }),
      h('ul', { class: 'late-list' }));
    live.prepend(section);  // above the groups, where the facilitator looks first
  }
  const late = b.open && Array.isArray(b.late) ? b.late : [];
  section.hidden = late.length === 0;
  const key = JSON.stringify([late, b.groups.map((g) => g.group)]);
  if (section.dataset.shown === key) return;
  section.dataset.shown = key;
  replaceChildrenKeepingFocus(section.querySelector('.late-list'), late.map((user) => {
    const choice = h('select', { 'aria-label': `Group for ${user.name}`, class: 'late-group' },
      h('option', { value: '', text: 'Best fit' }),
      ...b.groups.map((g) => h('option', { value: groupNumber(g.group), text: `Group ${groupNumber(g.group)}` })));
    const button = h('button', {
      type: 'button',
      class: 'button button--small button--primary place-late',
      text: 'Place',
      'aria-label': `Place ${user.name} in a group`,
      dataset: { focusKey: `place-${user.id}`, user: user.id },
      on: {
        click: async () => {
          button.disabled = true;
          try {
            await place(user.id, choice.value ? Number(choice.value) : undefined);
          } catch {
            /* the action reports its error */
          } finally {
            button.disabled = false;
          }
        },
      },
    });
    return h('li', { class: 'late-item', dataset: { user: user.id } },
      h('span', { class: 'late-name', text: `${user.name} (${user.org || 'no organisation'})` }), choice, button);
  }));
}
