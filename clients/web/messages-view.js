// The message list of the room on screen: one <li> per seq, kept in seq order, plus the
// person's own messages still on their way (keyed by nonce) at the end.

import { h, clear, shortTime, fullTime, initials, preview } from './dom.js';
import { orgColourClass } from './identity.js';
import { messageText } from './message-text.js';

const TAG_LABELS = { learn: 'Learn', do: 'Do', reflect: 'Reflect', share: 'Share' };
const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 96;

/** The badge of an organisation, coloured the same everywhere. */
export function orgBadge(org, extraClass = '') {
  return h('span', { class: `org-badge ${orgColourClass(org)} ${extraClass}`.trim(), text: org });
}

/** A person's name with their organisation's badge, on one line. @param {{name: string, org: string}} user */
export function personInline(user) {
  return h('span', { class: 'person-inline' }, h('span', { class: 'person-name', dir: 'auto', text: user.name }), ' ', orgBadge(user.org, 'org-badge--small'));
}

export class MessageListView {
  /**
   * @param {object} opts
   * @param {HTMLOListElement} opts.list
   * @param {HTMLElement} opts.scroller
   * @param {HTMLElement} opts.jumpButton shown when new messages arrive while scrolled up
   * @param {(seq: number) => object|undefined} opts.lookup a loaded message by seq
   * @param {(message: object) => void} opts.onReply
   * @param {(li: HTMLLIElement, message: object) => void} [opts.decorate] adds marks and actions to an item
   */
  constructor({ list, scroller, jumpButton, lookup, onReply, decorate }) {
    this.decorate = decorate;
    this.list = list;
    this.scroller = scroller;
    this.jumpButton = jumpButton;
    this.lookup = lookup;
    this.onReply = onReply;
    this.jumpButton.addEventListener('click', () => this.scrollToBottom());
    /** Whether the reader is at the newest messages (kept there when the box changes size). */
    this.atBottom = true;
    /** The scroll position the last scroll event saw: below it, the reader has moved up since. */
    this.lastTop = this.scroller.scrollTop;
    this.scroller.addEventListener('scroll', () => {
      // Only a move up leaves the newest messages. A scroll event read after the box shrank (a poll,
      // a timer or the agenda appearing above it) is not one: the resize observer below scrolls on.
      const top = this.scroller.scrollTop;
      const near = this.isNearBottom();
      if (near || top < this.lastTop) this.atBottom = near;
      this.lastTop = top;
      if (this.atBottom) this.jumpButton.hidden = true;
    });
    // A poll, a timer or the agenda appearing above the list shrinks its box: a reader who was at
    // the newest messages stays there instead of having them pushed out of view.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        if (this.atBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
      }).observe(this.scroller);
    }
  }

  /** Replaces the whole list (room switch, reset, first join). */
  render(messages, pending = []) {
    clear(this.list);
    const frag = document.createDocumentFragment();
    for (const m of messages) frag.append(this._messageItem(m));
    for (const p of pending) frag.append(this._pendingItem(p));
    this.list.append(frag);
    for (const li of this.list.querySelectorAll('li.msg')) this._refreshContinuation(li);
    this.jumpButton.hidden = true;
    this.scrollToBottom();
  }

  /**
   * Inserts one message at its place by seq (normally the end). Ignores a seq already shown.
   * @returns {boolean} true if inserted
   */
  insert(message, { stickToBottom = false } = {}) {
    if (this.list.querySelector(`li[data-seq="${message.seq}"]`)) return false;
    // At the newest: near the end, or there before the box shrank — unless the reader has just
    // moved up (its scroll event not dispatched yet).
    const wasNearBottom = this.isNearBottom() || (this.atBottom && this.scroller.scrollTop >= this.lastTop);
    const li = this._messageItem(message);
    const before = this._findInsertionPoint(message.seq);
    this.list.insertBefore(li, before);
    this._refreshContinuation(li);
    const next = this._nextMessageItem(li);
    if (next) this._refreshContinuation(next);
    if (stickToBottom || wasNearBottom) this.scrollToBottom();
    else this.jumpButton.hidden = false;
    return true;
  }

  /** Shows a message again in its place (edited, deleted or removed); false if it is not shown. */
  refresh(message) {
    const old = this.list.querySelector(`li[data-seq="${message.seq}"]`);
    if (!old) return false;
    const li = this._messageItem(message);
    old.replaceWith(li);
    this._refreshContinuation(li);
    return true;
  }

  /** Adds older messages above the first one, keeping the reader's place. */
  prependOlder(messages) {
    if (!messages.length) return 0;
    const oldHeight = this.scroller.scrollHeight;
    const oldTop = this.scroller.scrollTop;
    let added = 0;
    for (const m of messages) {
      if (this.list.querySelector(`li[data-seq="${m.seq}"]`)) continue;
      const li = this._messageItem(m);
      this.list.insertBefore(li, this._findInsertionPoint(m.seq));
      added++;
    }
    for (const li of this.list.querySelectorAll('li.msg')) this._refreshContinuation(li);
    this.scroller.scrollTop = oldTop + (this.scroller.scrollHeight - oldHeight);
    return added;
  }

  /** Shows a message of one's own that is not yet stored. */
  addPending(pending) {
    this.list.append(this._pendingItem(pending));
    this.scrollToBottom();
  }

  /** Removes the pending copy (its stored message is, or will be, inserted by seq). */
  removePending(nonce) {
    const li = this.list.querySelector(`li[data-nonce="${CSS.escape(nonce)}"]`);
    if (li) li.remove();
  }

  /** Marks a pending message as failed, with a way to try again or discard it. */
  failPending(nonce, reason, onRetry, onDiscard) {
    const li = this.list.querySelector(`li[data-nonce="${CSS.escape(nonce)}"]`);
    if (!li) return;
    li.classList.add('msg--failed');
    const status = li.querySelector('.msg-status');
    if (status) {
      clear(status);
      status.append(
        h('span', { text: `Not sent: ${reason}. ` }),
        h('button', { type: 'button', class: 'link-button', text: 'Try again', on: { click: onRetry } }),
        ' · ',
        h('button', { type: 'button', class: 'link-button', text: 'Discard', on: { click: onDiscard } }),
      );
    }
  }

  isNearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.atBottom = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jumpButton.hidden = true;
  }

  /** Scrolls to a message and highlights it briefly; false if it is not loaded. */
  reveal(seq) {
    const li = this.list.querySelector(`li[data-seq="${seq}"]`);
    if (!li) return false;
    li.scrollIntoView({ block: 'center', behavior: 'smooth' });
    li.classList.remove('msg--flash');
    void li.offsetWidth; // restart the animation
    li.classList.add('msg--flash');
    li.focus({ preventScroll: true });
    return true;
  }

  // ---- building items -------------------------------------------------------------------------

  _messageItem(m) {
    const orgClass = orgColourClass(m.from.org);
    const time = h('time', { datetime: new Date(m.ts).toISOString(), title: fullTime(m.ts), text: shortTime(m.ts) });
    const head = h(
      'div',
      { class: 'msg-head' },
      h('span', { class: 'msg-author', dir: 'auto', text: m.from.name }),
      orgBadge(m.from.org),
      time,
      m.topic && m.topic !== 'general' ? h('span', { class: 'topic-chip', text: `#${m.topic}` }) : null,
      m.tag && TAG_LABELS[m.tag] ? h('span', { class: `tag-badge tag-${m.tag}`, text: TAG_LABELS[m.tag] }) : null,
    );
    const body = h('div', { class: 'msg-body' }, head);
    if (m.reply_to !== null && m.reply_to !== undefined) body.append(this._replyRef(m.reply_to));
    body.append(...messageText(m.text));
    const actions = h(
      'div',
      { class: 'msg-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'msg-action',
          'aria-label': `Reply to ${m.from.name}`,
          on: { click: () => this.onReply(m) },
        },
        h('span', { class: 'msg-action-icon', 'aria-hidden': 'true', text: '↩' }),
        h('span', { class: 'msg-action-label', text: 'Reply' }),
      ),
    );
    const li = h(
      'li',
      {
        class: 'msg',
        id: `msg-${m.seq}`,
        tabindex: '-1',
        dataset: { seq: String(m.seq), user: m.from.id, topic: m.topic || 'general', ts: String(m.ts) },
      },
      h('div', { class: `avatar ${orgClass}`, 'aria-hidden': 'true', text: initials(m.from.name) }),
      body,
      actions,
    );
    if (m.tag) li.dataset.tag = m.tag;
    if (this.decorate) this.decorate(li, m);
    return li;
  }

  _replyRef(seq) {
    const target = this.lookup(seq);
    const label = target ? `${target.from.name}: ${preview(target.text, 70)}` : `message #${seq}`;
    return h(
      'button',
      {
        type: 'button',
        class: 'msg-reply-ref',
        'aria-label': `In reply to ${label}`,
        on: {
          click: () => {
            if (!this.reveal(seq)) this.jumpButton.dispatchEvent(new CustomEvent('outloud:not-loaded', { detail: seq }));
          },
        },
      },
      h('span', { class: 'reply-arrow', 'aria-hidden': 'true', text: '↪' }),
      h('span', { text: label }),
    );
  }

  _pendingItem(p) {
    const body = h(
      'div',
      { class: 'msg-body' },
      h(
        'div',
        { class: 'msg-head' },
        h('span', { class: 'msg-author', dir: 'auto', text: p.from.name }),
        orgBadge(p.from.org),
        p.topic && p.topic !== 'general' ? h('span', { class: 'topic-chip', text: `#${p.topic}` }) : null,
        p.tag && TAG_LABELS[p.tag] ? h('span', { class: `tag-badge tag-${p.tag}`, text: TAG_LABELS[p.tag] }) : null,
      ),
      p.replyTo != null ? this._replyRef(p.replyTo) : null,
      ...messageText(p.text),
      h('p', { class: 'msg-status', text: 'Sending…' }),
    );
    return h(
      'li',
      { class: 'msg msg--pending', dataset: { nonce: p.nonce, user: p.from.id } },
      h('div', { class: `avatar ${orgColourClass(p.from.org)}`, 'aria-hidden': 'true', text: initials(p.from.name) }),
      body,
    );
  }

  // ---- ordering and grouping --------------------------------------------------------------------

  /** The node before which a message of this seq belongs. */
  _findInsertionPoint(seq) {
    // Messages normally arrive at the end: search from there.
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.dataset.seq === undefined) continue; // pending ones stay last
      if (Number(node.dataset.seq) < seq) return node.nextElementSibling;
    }
    return this.list.firstElementChild;
  }

  _nextMessageItem(li) {
    const next = li.nextElementSibling;
    return next && next.dataset.seq !== undefined ? next : null;
  }

  _refreshContinuation(li) {
    if (li.dataset.seq === undefined) return;
    const prevLi = li.previousElementSibling;
    const cur = { user: li.dataset.user, topic: li.dataset.topic, ts: Number(li.dataset.ts), tag: li.dataset.tag };
    const prev =
      prevLi && prevLi.dataset.seq !== undefined
        ? { user: prevLi.dataset.user, topic: prevLi.dataset.topic, ts: Number(prevLi.dataset.ts) }
        : null;
    const cont =
      prev &&
      prev.user === cur.user &&
      prev.topic === cur.topic &&
      cur.ts - prev.ts < GROUP_WINDOW_MS &&
      !cur.tag &&
      !li.querySelector('.msg-reply-ref');
    li.classList.toggle('msg--cont', !!cont);
  }
}
