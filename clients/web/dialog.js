// A modal dialog (the native <dialog>): a heading, the room's label when it is about a room, a
// close button; Escape closes it and the keyboard focus goes back to what opened it.

import { h } from './dom.js';

let dialogCounter = 0;

export class Dialog {
  /** @param {string} className extra class of the <dialog> */
  constructor(className) {
    const id = `dialog-title-${++dialogCounter}`;
    this.heading = h('h2', { id, class: 'dialog-title', tabindex: '-1' });
    this.badges = h('div', { class: 'dialog-badges' });
    this.body = h('div', { class: 'dialog-body' });
    this.closeButton = h('button', {
      type: 'button',
      class: 'icon-button icon-button--small dialog-close',
      'aria-label': 'Close',
      text: '×',
      on: { click: () => this.close() },
    });
    this.node = h(
      'dialog',
      { class: `dialog ${className}`, 'aria-labelledby': id },
      h('header', { class: 'dialog-head' }, h('div', { class: 'dialog-head-main' }, this.heading, this.badges), this.closeButton),
      this.body,
    );
    this.opener = null;
    this.onClose = null;
    this.node.addEventListener('close', () => {
      const opener = this.opener;
      this.opener = null;
      if (this.onClose) this.onClose();
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(this.node);
  }

  get isOpen() {
    return this.node.open;
  }

  /**
   * Shows the dialog with `title` and, optionally, badges (nodes) under it.
   * @param {string} title
   * @param {Node[]} [badges]
   */
  open(title, badges = []) {
    this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.heading.textContent = title;
    this.badges.replaceChildren(...badges.filter(Boolean));
    if (!this.node.open) this.node.showModal();
    this.focusFirst();
  }

  /** Focuses the first field or button that shows, else the heading. */
  focusFirst() {
    const first = [...this.body.querySelectorAll('input:not([type="hidden"]), select, textarea, button')].find(
      (node) => !node.closest('[hidden]') && !node.disabled,
    );
    (first || this.heading).focus();
  }

  close() {
    if (this.node.open) this.node.close();
  }
}
