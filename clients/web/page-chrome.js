// The page around the rooms: the status menu and automatic away, the phone drawers, and the
// accounts and access dialogs (members, settings, invitations) and the administration view.

import * as api from './api.js';
import { SignInScreens, loadToken } from './signin-view.js';
import { AdminView } from './admin-view.js';
import { MembersDialog } from './members-view.js';
import { RoomSettingsDialog } from './room-settings-view.js';
import { InviteDialog } from './invite-dialog.js';
import { app, el, toast } from './app-context.js';
import { start, signOut } from './connection.js';
import { roomLead } from './room-directory.js';
import { renderPeoplePanel } from './room-screen.js';

const AUTO_AWAY_MS = 30000;

function applyStatus(state) {
  if (!app.client) return;
  app.client.setStatus(state);
  if (!app.me) return;
  for (const rs of app.rooms.values()) {
    const mine = rs.presence.get(app.me.id);
    if (mine) mine.state = state;
  }
  const rs = app.current && app.rooms.get(app.current);
  if (rs) renderPeoplePanel(rs);
}

export function setupStatus() {
  el.statusSelect.addEventListener('change', () => {
    app.manualStatus = el.statusSelect.value;
    app.autoAway = false;
    applyStatus(app.manualStatus);
  });
  document.addEventListener('visibilitychange', () => {
    clearTimeout(app.awayTimer);
    if (document.hidden) {
      app.awayTimer = setTimeout(() => {
        if (app.manualStatus === 'online') {
          app.autoAway = true;
          applyStatus('away');
        }
      }, AUTO_AWAY_MS);
    } else if (app.autoAway) {
      app.autoAway = false;
      applyStatus(app.manualStatus);
    }
  });
  el.signout.addEventListener('click', signOut);
  el.connRetry.addEventListener('click', () => app.client && app.client.reconnectNow());
}

export function closeDrawers() {
  for (const [button, panel] of [
    [el.toggleRooms, el.roomsPanel],
    [el.togglePeople, el.peoplePanel],
  ]) {
    panel.classList.remove('is-open');
    button.setAttribute('aria-expanded', 'false');
  }
  el.scrim.hidden = true;
}

/** On a phone the top bar is as tall as its rows (style.css): the drawers and the scrim start below it. */
function trackTopbarHeight() {
  const bar = el.appView.querySelector('.topbar');
  const phone = window.matchMedia('(max-width: 760px)');
  if (!bar || !('ResizeObserver' in window)) return;
  const update = () => {
    // Only where the bar's row is sized by its content: elsewhere the row is --topbar-h itself.
    if (phone.matches) document.documentElement.style.setProperty('--topbar-h', `${Math.ceil(bar.getBoundingClientRect().height)}px`);
    else document.documentElement.style.removeProperty('--topbar-h');
  };
  new ResizeObserver(update).observe(bar);
  phone.addEventListener('change', update);
}

export function setupDrawers() {
  trackTopbarHeight();
  for (const [button, panel, other] of [
    [el.toggleRooms, el.roomsPanel, el.peoplePanel],
    [el.togglePeople, el.peoplePanel, el.roomsPanel],
  ]) {
    button.addEventListener('click', () => {
      const open = !panel.classList.contains('is-open');
      closeDrawers();
      other.classList.remove('is-open');
      panel.classList.toggle('is-open', open);
      button.setAttribute('aria-expanded', String(open));
      el.scrim.hidden = !open;
      if (open) {
        const focusable = panel.querySelector('button, input, summary');
        if (focusable) focusable.focus();
      }
    });
  }
  // The welcome card's button (phones only) opens the rooms drawer as the menu button does.
  el.emptyShowRooms.addEventListener('click', () => el.toggleRooms.click());
  el.scrim.addEventListener('click', closeDrawers);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !el.scrim.hidden) closeDrawers();
  });
}

export function showAdmin() {
  if (!app.me || app.me.guest || app.auth !== 'accounts') return;
  if (location.hash !== '#/admin') history.replaceState(null, '', '#/admin');
  el.roomView.hidden = true;
  el.appView.classList.add('is-admin');
  closeDrawers();
  app.admin.show(app.me);
}

export function hideAdmin() {
  if (el.adminView.hidden) return;
  app.admin.hide();
  el.roomView.hidden = false;
  el.appView.classList.remove('is-admin');
}

export function setupAccess() {
  app.screens = new SignInScreens(el.authView, {
    onSignedIn: (user) => start({ user }),
    onToken: (token) => start({ token }),
  });
  app.admin = new AdminView(el.adminView, { client: () => app.client, toast });
  app.members = new MembersDialog({
    members: (room) => app.client.members(room),
    people: (query) => app.client.people(query),
    add: (room, user, opts) => app.client.addMember(room, user, opts),
    remove: (room, user) => app.client.removeMember(room, user),
  });
  app.settings = new RoomSettingsDialog({ save: (room, changes) => app.client.roomSettings(room, changes) });
  app.invite = new InviteDialog({
    orgs: () => app.client.orgs(),
    invite: (opts) => app.client.invite(opts),
  });
  const currentRoom = () => (app.current ? app.rooms.get(app.current) : null);
  el.membersButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.members.open(rs.info, { meId: app.me.id, lead: roomLead(rs) });
  });
  el.roomSettingsButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.settings.open(rs.info);
  });
  el.roomInviteButton.addEventListener('click', () => {
    const rs = currentRoom();
    if (rs && rs.info && app.client) app.invite.open({ me: app.me, room: rs.info, roomLead: roomLead(rs) });
  });
  el.inviteButton.addEventListener('click', () => {
    if (app.client && app.me) app.invite.open({ me: app.me, room: null, roomLead: false });
  });
  // In jwt mode no cookie carries the person to GET …/export.md or export.html: the token goes in
  // a header. Both records are attachments, so both download; the printable one is made next to
  // the Markdown link (record-links.js), hence one listener on their parent.
  el.recordLink.parentElement.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('#record-link, .record-printable') : null;
    const token = link && app.auth === 'jwt' ? loadToken() : null;
    if (!token) return;
    event.preventDefault();
    const href = link.getAttribute('href');
    const file = link.getAttribute('download') || (/export\.html/.test(href) ? 'record.html' : 'record.md');
    api.downloadWithToken(href, token, file).catch((err) => toast(`Could not download the record: ${err.message}`));
  });
  el.adminButton.addEventListener('click', (event) => {
    event.preventDefault();
    showAdmin();
  });
}
