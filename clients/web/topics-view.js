// Topics as threads, in the room on screen: the "Topics" button opens the room's topic list (each
// topic with its message count and, for the person, its unread count); choosing one opens its
// thread — just that topic's messages, read from the server by topic, live ones added as they come
// — and the composer writes into it until "All messages" closes it.

import { h, clear } from './dom.js';
import { MessageListView } from './messages-view.js';
import { app, el, toast, announce } from './app-context.js';
import { setReply } from './composer.js';
import { flushRead, readingTopic } from './unread.js';

const TOPICS_PAGE = 100;
const THREAD_PAGE = 50;

let button;
let listBox;
let topicList;
let pane;
let title;
let view;
/** The open thread: {room, topic, messages: Map<seq, MESSAGE>, topicBefore: string} */
let thread = null;
let refreshTimer = null;

export function setupTopicsView() {
  button = h('button', {
    type: 'button',
    id: 'topics-button',
    class: 'button button--quiet',
    'aria-expanded': 'false',
    'aria-controls': 'topics-box',
    text: 'Topics',
    on: { click: toggleTopicList },
  });
  el.membersButton.before(button);
  topicList = h('ul', { id: 'topic-list', class: 'topic-list' });
  listBox = h(
    'section',
    { id: 'topics-box', class: 'topics-box', 'aria-label': 'Topics of this room', hidden: true },
    topicList,
  );
  const list = h('ol', { id: 'thread-list', class: 'message-list' });
  const scroller = h('div', { class: 'messages thread-messages', tabindex: '0', 'aria-label': 'Messages of this topic' }, list);
  const jump = h('button', { type: 'button', class: 'jump-latest', hidden: true, text: 'New messages ↓' });
  title = h('h2', { id: 'thread-title', class: 'thread-title' });
  pane = h(
    'section',
    { id: 'thread-pane', class: 'thread-pane', 'aria-labelledby': 'thread-title', hidden: true },
    h(
      'header',
      { class: 'thread-head' },
      title,
      h('button', { type: 'button', id: 'thread-close', class: 'button button--quiet button--small', text: 'All messages', on: { click: closeThread } }),
    ),
    scroller,
    jump,
  );
  el.messages.before(listBox, pane);
  view = new MessageListView({ list, scroller, jumpButton: jump, lookup: (seq) => thread?.messages.get(seq), onReply: setReply });
}

async function toggleTopicList() {
  if (!listBox.hidden) return hideTopicList();
  listBox.hidden = false;
  button.setAttribute('aria-expanded', 'true');
  await renderTopicList();
}

function hideTopicList() {
  listBox.hidden = true;
  button.setAttribute('aria-expanded', 'false');
}

async function renderTopicList() {
  const room = app.current;
  if (!room || !app.client) return;
  let page;
  try {
    await flushRead();  // what was just read or written here is not listed as unread
    page = await app.client.topics(room, { limit: TOPICS_PAGE });
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not load the topics: ${err.message}`);
    return;
  }
  if (app.current !== room) return;
  clear(topicList);
  if (!page.topics.length) topicList.append(h('li', { class: 'muted small', text: 'No topics yet: every message starts one.' }));
  for (const t of page.topics) {
    const unread = thread && thread.room === room && thread.topic === t.topic ? 0 : t.unread;
    // The button's name is its visible text, with the words the figures stand for for screen readers.
    topicList.append(
      h(
        'li',
        { class: 'topic-item', dataset: { topic: t.topic } },
        h(
          'button',
          { type: 'button', class: 'topic-button', on: { click: () => openThread(room, t.topic) } },
          h('span', { class: 'topic-name', text: `# ${t.topic}` }),
          h('span', { class: 'topic-count muted small' }, String(t.count),
            h('span', { class: 'sr-only', text: ` ${t.count === 1 ? 'message' : 'messages'}` })),
          unread ? h('span', { class: 'unread' }, unread > 999 ? '999+' : String(unread), h('span', { class: 'sr-only', text: ' unread' })) : null,
        ),
      ),
    );
  }
  if (page.next) topicList.append(h('li', { class: 'muted small', text: 'Older topics are not shown.' }));
}

export async function openThread(room, topic) {
  if (!app.client) return;
  hideTopicList();
  thread = { room, topic, messages: new Map(), topicBefore: thread ? thread.topicBefore : el.topicInput.value };
  readingTopic(room, topic);
  title.textContent = `# ${topic}`;
  pane.hidden = false;
  el.messages.hidden = true;
  el.jumpLatest.hidden = true;
  el.topicInput.value = topic;
  let messages;
  try {
    messages = await app.client.topicHistory(room, topic, { limit: THREAD_PAGE });
  } catch (err) {
    if (err.code !== 'closed') toast(`Could not load the topic: ${err.message}`);
    return closeThread();
  }
  if (!thread || thread.room !== room || thread.topic !== topic) return;
  for (const m of messages) thread.messages.set(m.seq, m);
  view.render(messages);
  announce(`Topic ${topic}: ${messages.length} messages`);
  markThreadRead();
}

export function closeThread() {
  if (!thread) return;
  el.topicInput.value = thread.topicBefore || 'general';
  thread = null;
  pane.hidden = true;
  el.messages.hidden = false;
  readingTopic(null);
}

function markThreadRead() {
  if (!thread || !app.client || document.visibilityState !== 'visible') return;
  const last = Math.max(0, ...thread.messages.keys());
  if (last > 0) app.client.markRead(thread.room, last, thread.topic).catch(() => {});
}

/** A live message: into the open thread if it is of its topic; the open topic list counts it. */
export function threadMessage(m) {
  if (thread && m.room === thread.room && m.topic === thread.topic && !thread.messages.has(m.seq)) {
    thread.messages.set(m.seq, m);
    view.insert(m, { stickToBottom: m.from.id === app.me?.id });
    markThreadRead();
  }
  if (!listBox.hidden && m.room === app.current) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(renderTopicList, 300);
  }
}

/** Another room came on screen: the thread and the list belong to the previous one. */
export function roomShown(room) {
  if (thread && thread.room !== room) closeThread();
  if (!listBox.hidden) hideTopicList();
  button.hidden = !room;
}
