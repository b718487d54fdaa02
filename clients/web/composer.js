// The composer: topic, tag, reply, the text box, and sending. A message is shown at once as
// pending and sent with a nonce, so a message typed while the connection is down goes out once
// when it returns (the protocol client queues it); a failed one can be retried or dropped.

import { codePointLength, LIMITS } from './outloud.js';
import { preview } from './dom.js';
import { app, el, toast } from './app-context.js';

function currentTopic() {
  const topic = el.topicInput.value.trim();
  return topic || 'general';
}

function currentTag() {
  const checked = el.composer.querySelector('input[name="tag"]:checked');
  return checked && checked.value ? checked.value : null;
}

export function setReply(m) {
  app.replyTo = m;
  el.replyBarText.textContent = `${m.from.name} (${m.from.org}): ${preview(m.text, 90)}`;
  el.replyBar.hidden = false;
  if (m.topic) el.topicInput.value = m.topic;
  el.composerText.focus();
}

export function clearReply() {
  app.replyTo = null;
  el.replyBar.hidden = true;
  el.replyBarText.textContent = '';
}

function autoGrow() {
  const ta = el.composerText;
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight, 200)}px`;
}

function sendFromComposer() {
  const rs = app.current && app.rooms.get(app.current);
  if (!rs || !app.client || !app.me) return;
  const text = el.composerText.value;
  if (!text.trim()) return;
  if (codePointLength(text) > LIMITS.textMax) {
    toast(`A message can be at most ${LIMITS.textMax.toLocaleString()} characters.`);
    return;
  }
  const topic = currentTopic();
  if (codePointLength(topic) > LIMITS.topicMax) {
    toast(`A topic can be at most ${LIMITS.topicMax} characters.`);
    el.topicInput.focus();
    return;
  }
  const pending = {
    text,
    topic,
    tag: currentTag(),
    replyTo: app.replyTo ? app.replyTo.seq : null,
    from: app.me,
    nonce: null,
  };
  el.composerText.value = '';
  autoGrow();
  clearReply();
  // A tag marks one message; the topic carries on.
  el.composer.querySelector('#tag-none').checked = true;
  app.client.resetTyping(rs.id, topic);
  dispatchPending(rs, pending);
  el.composerText.focus();
}

function dispatchPending(rs, pending) {
  const promise = app.client.send(rs.id, pending.text, {
    topic: pending.topic,
    tag: pending.tag,
    replyTo: pending.replyTo,
    nonce: pending.nonce || undefined,
    timeoutMs: 30000,
  });
  pending.nonce = promise.nonce;
  const known = rs.pending.has(pending.nonce);
  rs.pending.set(pending.nonce, pending);
  if (app.current === rs.id && !known) app.view.addPending(pending);
  promise.then(
    (sent) => {
      // The echo normally arrives first; if it is already here, the pending copy goes.
      if (rs.messages.has(sent.seq) && rs.pending.delete(pending.nonce) && app.current === rs.id) {
        app.view.removePending(pending.nonce);
      }
    },
    (err) => {
      if (!rs.pending.has(pending.nonce) || err.code === 'closed') return;
      const reason = err.code === 'timeout' ? 'no answer from the server' : err.message;
      if (app.current === rs.id) {
        app.view.failPending(
          pending.nonce,
          reason,
          () => {
            app.view.removePending(pending.nonce);
            rs.pending.delete(pending.nonce);
            dispatchPending(rs, pending); // same nonce: stored at most once
          },
          () => {
            rs.pending.delete(pending.nonce);
            app.view.removePending(pending.nonce);
          },
        );
      } else {
        toast(`A message to ${rs.id} was not sent: ${reason}`);
      }
    },
  );
}

export function setupComposer() {
  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFromComposer();
  });
  el.composerText.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromComposer();
    } else if (event.key === 'Escape' && app.replyTo) {
      clearReply();
    }
  });
  el.composerText.addEventListener('input', () => {
    autoGrow();
    if (app.current && app.client && el.composerText.value.trim()) app.client.typing(app.current, currentTopic());
  });
  el.replyCancel.addEventListener('click', () => {
    clearReply();
    el.composerText.focus();
  });
}
