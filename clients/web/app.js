// OutLoud reference web client: starts the page. The work is done by the modules it wires:
// app-context.js (shared state, elements, toasts), connection.js (sign-in, the protocol client,
// connection state), room-store.js (what is held of each room), room-directory.js (the room list
// and forms), room-screen.js (the open room), composer.js (writing and sending),
// session-controller.js (facilitated sessions), page-chrome.js (status, drawers, admin).
// The protocol client itself is outloud.js (reconnecting-socket.js underneath, the requests in
// facilitation-commands.js and access-commands.js). A new feature goes in a module of its own:
// its setup called from boot() below, its server events subscribed in connection.js start(),
// its rendering hooked into room-screen.js (showRoom, onMessage) with one line each.

import { saveIdentity } from './identity.js';
import { MessageListView } from './messages-view.js';
import { takeLinkFromAddress } from './signin-view.js';
import { OpenSignIn } from './open-signin.js';
import { app, el, collectElements } from './app-context.js';
import { decideStart, start } from './connection.js';
import { setupRoomForms } from './room-directory.js';
import { setupSession } from './session-controller.js';
import { setReply, setupComposer } from './composer.js';
import { setupStatus, setupDrawers, setupAccess } from './page-chrome.js';
import { decorateMessage, setupMessageTools } from './message-tools.js';
import { setupThreads } from './threads.js';
import { setupMentionSuggestions } from './mention-suggest.js';

function boot() {
  collectElements();
  app.view = new MessageListView({
    list: el.messageList,
    scroller: el.messages,
    jumpButton: el.jumpLatest,
    lookup: (seq) => (app.current ? app.rooms.get(app.current)?.messages.get(seq) : undefined),
    onReply: setReply,
    decorate: decorateMessage,
  });
  app.openSignIn = new OpenSignIn((identity) => {
    saveIdentity(identity);
    start({ identity });
  });
  setupComposer();
  setupMentionSuggestions();
  setupRoomForms();
  setupStatus();
  setupDrawers();
  setupSession();
  setupAccess();
  setupMessageTools();
  setupThreads();
  app.link = takeLinkFromAddress();
  decideStart();
}

boot();
