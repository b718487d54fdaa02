// The small form that opens in place of a message's text: Edit (a text area), Delete (a question and
// a button) and Remove (a reason). Like the composer, Enter saves and Shift+Enter makes a new line;
// Escape or Cancel closes it, and the keyboard focus goes back to where it was, not to the page.

import { h } from './dom.js';
import { el } from './app-context.js';

/**
 * Opens the form in message item `li`. `field`: 'multiline', 'line' or null (a question alone,
 * `label`, shown). `onSubmit(value)` resolves when done, or throws an error to show in the form.
 */
export function inlineForm(li, { label, value = '', field: kind = 'line', submitText, onSubmit }) {
  const body = li.querySelector('.msg-body');
  li.querySelector('.msg-inline-form')?.remove();
  const opener = document.activeElement;
  const field = kind === 'multiline'
    ? h('textarea', { class: 'msg-inline-input', rows: '3', 'aria-label': label })
    : kind === 'line'
      ? h('input', { class: 'msg-inline-input', type: 'text', maxlength: '500', 'aria-label': label, placeholder: label })
      : null;
  if (field) field.value = value;
  const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button--small', text: submitText });
  const form = h('form', { class: 'msg-inline-form', 'aria-label': label },
    field || h('p', { class: 'msg-inline-question', text: label }),
    h('div', { class: 'msg-inline-buttons' },
      submit,
      h('button', { type: 'button', class: 'button button--quiet button--small', text: 'Cancel', on: { click: () => close() } })),
    error);
  const close = () => {
    // The focus was in the form, or was lost with it when the saved message was drawn anew.
    const active = document.activeElement;
    const hadFocus = form.contains(active) || !active || active === document.body;
    form.remove();
    if (hadFocus) restoreFocus(opener);
  };
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.target === field && kind === 'multiline') {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await onSubmit(field ? field.value : '');
      close();
    } catch (err) {
      error.textContent = err.message || String(err);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  body.append(form);
  (field || submit).focus();
  // The last message's form opens at the bottom of the list: bring all of it into view.
  form.scrollIntoView({ block: 'nearest' });
}

/** Back to the button that opened the form if it is still there (the item may have been redrawn), else the message box. */
function restoreFocus(opener) {
  if (opener && opener.isConnected && opener !== document.body) opener.focus();
  else if (!el.composer.hidden) el.composerText.focus();
  else el.messages.focus();
}
