// Small DOM helpers. User data only ever reaches the page through textContent and attribute
// values set one by one: never through innerHTML.

/**
 * Creates an element. `props`: `class`, `text` (textContent), `dataset`, `on` ({event: fn}),
 * `hidden`, and any other attribute (value `true` for a boolean attribute, null/false skipped).
 * @param {string} tag
 * @param {object} [props]
 * @param {...(Node|string|null|false|undefined)} children strings become text nodes
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'hidden') el.hidden = !!value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Removes every child of an element. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** Short time of a message: "14:02" today, "12 Nov, 14:02" on another day. */
export function shortTime(ms, now = Date.now()) {
  const d = new Date(ms);
  const today = new Date(now);
  const sameDay =
    d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? timeFormat.format(d) : dayTimeFormat.format(d);
}

/** Full date and time, for a tooltip. */
export function fullTime(ms) {
  return fullFormat.format(new Date(ms));
}

/** Initials of a display name, for an avatar. */
export function initials(name) {
  const words = String(name).trim().split(/\s+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters
    .map((w) => Array.from(w)[0] || '')
    .join('')
    .toUpperCase();
}

/** Cuts a text to `max` characters for a one-line preview. */
export function preview(text, max = 80) {
  const flat = String(text).replace(/\s+/gu, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

/**
 * Replaces a container's children with `nodes`, keeping the keyboard focus: an element that had
 * focus and carries `data-focus-key` is focused again in the new content when its key is there.
 * @param {HTMLElement} container
 * @param {Array<Node|null|false|undefined>} nodes
 */
export function replaceChildrenKeepingFocus(container, nodes) {
  const active = document.activeElement;
  const key = active && active !== container && container.contains(active) ? active.dataset.focusKey : undefined;
  container.replaceChildren(...nodes.filter(Boolean));
  if (key !== undefined) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}
