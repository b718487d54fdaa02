// The administration page (access.md): organisations and their email domains, people and the
// organisations' administrators, invitations, sessions, and the audit log with its download.
// Everyone who is not a guest sees their own sessions here; administrators see the rest.

import { h, clear, fullTime } from './dom.js';
import { isValidSlug } from './outloud.js';
import { orgBadge, personInline } from './messages-view.js';

const AUDIT_PAGE = 50;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function person(user) {
  return user ? personInline(user) : h('span', { class: 'muted', text: 'the server' });
}

/** A value of an audit event's target or detail, as text (it may be a string or an object). */
function plain(value) {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value.name && value.org) return `${value.name} (${value.org})`;
  return JSON.stringify(value);
}

function when(value) {
  if (value === null || value === undefined) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : fullTime(d.getTime());
}

function section(id, title, ...content) {
  return h('section', { class: 'card admin-card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title`, text: title }), ...content);
}

function status() {
  return h('p', { class: 'muted small admin-status', role: 'status' });
}

export class AdminView {
  /**
   * @param {HTMLElement} root the <main> of the page
   * @param {{client: () => import('./outloud.js').OutloudClient|null, toast: (text: string, kind?: string) => void}} deps
   */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.me = null;
    this.sessionsOf = null; // the person whose sessions are listed (null: one's own)
    this.auditEvents = [];
    this.heading = h('h1', { id: 'admin-title', tabindex: '-1' });
    this.build();
  }

  get client() {
    return this.deps.client();
  }

  build() {
    // Organisations
    this.orgList = h('tbody');
    this.orgStatus = status();
    this.orgId = h('input', { id: 'org-id', type: 'text', maxlength: '64', autocapitalize: 'none', spellcheck: 'false', required: true });
    this.orgName = h('input', { id: 'org-name', type: 'text', maxlength: '200', required: true });
    this.orgDomains = h('input', { id: 'org-domains', type: 'text', maxlength: '2000', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': 'org-domains-hint' });
    this.orgError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.orgForm = h(
      'form',
      { id: 'org-form', class: 'admin-form', novalidate: true },
      h('h3', { id: 'org-form-title', text: 'Add or change an organisation' }),
      h(
        'div',
        { class: 'field-row' },
        h('div', { class: 'field' }, h('label', { for: 'org-id', text: 'Id' }), this.orgId),
        h('div', { class: 'field field--grow' }, h('label', { for: 'org-name', text: 'Name' }), this.orgName),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'org-domains', text: 'Email domains' }),
        this.orgDomains,
        h('p', { id: 'org-domains-hint', class: 'field-hint', text: 'Separated by commas, such as essex.gov.uk. People with these addresses sign in as this organisation. Leave empty for residents.' }),
      ),
      this.orgError,
      h('button', { type: 'submit', class: 'button button--primary', text: 'Save the organisation' }),
    );
    this.orgForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.saveOrg();
    });
    this.orgsSection = section(
      'admin-orgs',
      'Organisations',
      this.orgStatus,
      h(
        'div',
        // Like the audit log: on a phone the table scrolls sideways inside its card, not the whole page.
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Organisations' },
        h(
          'table',
          { class: 'admin-table', id: 'org-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Id' }), h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Email domains' }), h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: 'Actions' })))),
          this.orgList,
        ),
      ),
      this.orgForm,
    );

    // People
    this.peopleQuery = h('input', { id: 'people-query', type: 'search', maxlength: '80', autocomplete: 'off' });
    this.peopleList = h('ul', { class: 'admin-list', id: 'people-list' });
    this.peopleStatus = status();
    const peopleForm = h(
      'form',
      { class: 'input-row', novalidate: true, role: 'search' },
      h('label', { for: 'people-query', class: 'sr-only', text: 'Find people by name' }),
      this.peopleQuery,
      h('button', { type: 'submit', class: 'button', text: 'Find' }),
    );
    peopleForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.loadPeople();
    });
    this.peopleSection = section('admin-people', 'People', peopleForm, this.peopleStatus, this.peopleList);

    // Invitations
    this.invitationList = h('ul', { class: 'admin-list', id: 'invitation-list' });
    this.invitationStatus = status();
    this.invitationsSection = section('admin-invitations', 'Open invitations', this.invitationStatus, this.invitationList);

    // Sessions
    this.sessionsTitle = h('p', { class: 'small' });
    this.sessionList = h('ul', { class: 'admin-list', id: 'session-list' });
    this.sessionStatus = status();
    this.ownSessionsButton = h('button', { type: 'button', class: 'button button--small button--quiet', text: 'Show my own', on: { click: () => this.showSessions(null) } });
    this.tokenOut = h('div', { class: 'token-out', hidden: true });
    const tokenButton = h('button', { type: 'button', class: 'button button--small', id: 'make-token', text: 'Make a token for the command-line client' });
    tokenButton.addEventListener('click', () => this.makeToken(tokenButton));
    this.sessionsSection = section('admin-sessions', 'Sessions', this.sessionsTitle, this.ownSessionsButton, this.sessionStatus, this.sessionList, h('div', { class: 'button-row' }, tokenButton), this.tokenOut);

    // Audit
    this.auditBody = h('tbody');
    this.auditStatus = status();
    this.auditMore = h('button', { type: 'button', class: 'button button--small', text: 'Load older events', on: { click: () => this.loadAudit(true) } });
    this.auditSection = section(
      'admin-audit',
      'Audit log',
      h(
        'div',
        { class: 'button-row' },
        h('a', { class: 'button button--small', id: 'audit-download', href: '/api/audit', download: 'outloud-audit.json', text: 'Download the audit log' }),
        h('button', { type: 'button', class: 'button button--small button--quiet', text: 'Refresh', on: { click: () => this.loadAudit(false) } }),
      ),
      this.auditStatus,
      h(
        'div',
        // Scrolls sideways on narrow screens: focusable and named, so keyboard users can scroll it too.
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Audit log entries' },
        h(
          'table',
          { class: 'admin-table', id: 'audit-table' },
          h('thead', {}, h('tr', {}, ...['When', 'Who', 'What', 'About', 'Detail'].map((t) => h('th', { scope: 'col', text: t })))),
          this.auditBody,
        ),
      ),
      this.auditMore,
    );

    this.root.append(
      h('div', { class: 'admin-page' }, h('header', { class: 'admin-head' }, this.heading), this.orgsSection, this.peopleSection, this.invitationsSection, this.sessionsSection, this.auditSection),
    );
  }

  /** Shows the page for `me` (USER with admin / org_admin) and loads what it may see. */
  show(me) {
    this.me = me;
    const admin = !!me.admin;
    const orgAdmin = admin || !!me.org_admin;
    this.heading.textContent = orgAdmin ? 'Administration' : 'Your account';
    document.title = `${this.heading.textContent} · OutLoud`;
    this.orgsSection.hidden = !orgAdmin;
    this.orgForm.hidden = !admin;
    this.peopleSection.hidden = !orgAdmin;
    this.invitationsSection.hidden = !orgAdmin;
    this.auditSection.hidden = !admin;
    this.root.hidden = false;
    this.heading.focus();
    if (orgAdmin) {
      this.loadOrgs();
      this.loadPeople();
      this.loadInvitations();
    }
    this.showSessions(null);
    if (admin) this.loadAudit(false);
  }

  hide() {
    this.root.hidden = true;
  }

  async run(statusNode, what, fn) {
    const client = this.client;
    if (!client) return null;
    try {
      return { value: await fn(client) };
    } catch (err) {
      if (statusNode) statusNode.textContent = `Could not ${what}: ${err.message}`;
      else this.deps.toast(`Could not ${what}: ${err.message}`);
      return null;
    }
  }

  // ---- organisations -----------------------------------------------------------------------------

  async loadOrgs() {
    this.orgStatus.textContent = 'Loading…';
    const result = await this.run(this.orgStatus, 'load the organisations', (c) => c.orgs());
    if (!result) return;
    const orgs = [...result.value].sort((a, b) => a.id.localeCompare(b.id));
    this.orgStatus.textContent = `${orgs.length} ${orgs.length === 1 ? 'organisation' : 'organisations'}.`;
    clear(this.orgList);
    for (const org of orgs) {
      const edit = this.me.admin
        ? h('button', {
            type: 'button',
            class: 'button button--small button--quiet',
            text: 'Change',
            'aria-label': `Change ${org.name || org.id}`,
            on: { click: () => this.editOrg(org) },
          })
        : null;
      this.orgList.append(
        h(
          'tr',
          { dataset: { org: org.id } },
          h('td', {}, orgBadge(org.id, 'org-badge--small')),
          h('td', { text: org.name || '' }),
          h('td', { text: (org.domains || []).join(', ') || '—' }),
          h('td', {}, edit),
        ),
      );
    }
  }

  editOrg(org) {
    this.orgId.value = org.id;
    this.orgName.value = org.name || '';
    this.orgDomains.value = (org.domains || []).join(', ');
    this.orgName.focus();
  }

  async saveOrg() {
    const id = this.orgId.value.trim();
    const name = this.orgName.value.trim();
    const domains = this.orgDomains.value
      .split(/[\s,]+/)
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean);
    const fail = (text, node) => {
      this.orgError.textContent = text;
      this.orgError.hidden = false;
      node.focus();
    };
    if (!isValidSlug(id)) return fail('The id needs 1 to 64 lowercase letters, digits, dots, dashes or underscores.', this.orgId);
    if (!name) return fail('Give the organisation its name.', this.orgName);
    const bad = domains.find((d) => !DOMAIN_PATTERN.test(d));
    if (bad) return fail(`“${bad}” is not an email domain (such as essex.gov.uk).`, this.orgDomains);
    this.orgError.hidden = true;
    const result = await this.run(null, 'save the organisation', (c) => c.saveOrg({ id, name, domains }));
    if (!result) return;
    this.orgStatus.textContent = `Saved ${name}.`;
    this.orgForm.reset();
    this.orgId.focus();
    this.loadOrgs();
  }

  // ---- people ------------------------------------------------------------------------------------

  async loadPeople() {
    this.peopleStatus.textContent = 'Loading…';
    const query = this.peopleQuery.value.trim();
    const result = await this.run(this.peopleStatus, 'load the people', (c) => c.people(query));
    if (!result) return;
    const people = [...result.value].sort((a, b) => a.name.localeCompare(b.name));
    this.peopleStatus.textContent = `${people.length} ${people.length === 1 ? 'person' : 'people'}${query ? ` matching “${query}”` : ''}.`;
    clear(this.peopleList);
    for (const p of people) {
      const actions = [];
      if (this.me.admin) {
        // The one change that applies: the server tells administrators who administers what.
        for (const admin of [!p.org_admin]) {
          actions.push(
            h('button', {
              type: 'button',
              class: 'button button--small button--quiet',
              text: admin ? 'Make administrator of their organisation' : 'No longer administrator',
              // The visible words first, then whom they are about (WCAG 2.5.3).
              'aria-label': `${admin ? 'Make administrator of their organisation' : 'No longer administrator'}: ${p.name}, ${p.org}`,
              dataset: { orgAdmin: String(admin) },
              on: { click: (event) => this.setOrgAdmin(p, admin, event.currentTarget) },
            }),
          );
        }
        actions.push(
          h('button', {
            type: 'button',
            class: 'button button--small button--quiet',
            text: 'Sessions',
            'aria-label': `Sessions of ${p.name}`,
            on: { click: () => this.showSessions(p) },
          }),
        );
      }
      this.peopleList.append(
        h(
          'li',
          { class: 'admin-item', dataset: { user: p.id } },
          person(p),
          p.admin ? h('span', { class: 'role-tag', text: 'Administrator' }) : null,
          p.org_admin ? h('span', { class: 'role-tag', text: 'Organisation administrator' }) : null,
          h('span', { class: 'admin-actions' }, ...actions),
        ),
      );
    }
  }

  async setOrgAdmin(p, admin, button) {
    button.disabled = true;
    const result = await this.run(this.peopleStatus, 'change the administrators', (c) => c.setOrgAdmin(p.id, admin));
    button.disabled = false;
    if (result) {
      // The list shows the change (its tag, and the one button that now applies, kept in focus).
      await this.loadPeople();
      this.peopleList.querySelector(`li[data-user="${CSS.escape(p.id)}"] button[data-org-admin]`)?.focus();
      this.peopleStatus.textContent = admin
        ? `${p.name} is now an administrator of ${p.org}: they may invite colleagues into it.`
        : `${p.name} is no longer an administrator of ${p.org}.`;
    }
  }

  // ---- invitations -------------------------------------------------------------------------------

  async loadInvitations() {
    const result = await this.run(this.invitationStatus, 'load the invitations', (c) => c.invitations());
    if (!result) return;
    const list = result.value;
    this.invitationStatus.textContent = list.length ? '' : 'No open invitations.';
    clear(this.invitationList);
    for (const inv of list) {
      const revoke = h('button', { type: 'button', class: 'button button--small', text: 'Revoke' });
      revoke.addEventListener('click', async () => {
        revoke.disabled = true;
        const done = await this.run(this.invitationStatus, 'revoke the invitation', (c) => c.revokeInvitation(inv.id));
        if (done) {
          this.invitationStatus.textContent = 'Revoked: the link no longer works.';
          this.loadInvitations();
        } else revoke.disabled = false;
      });
      const what = [
        inv.guest ? 'Guest of ' : 'Into ',
        orgBadge(inv.org, 'org-badge--small'),
        inv.room ? ` in room ${inv.room}` : '',
        inv.role && inv.room ? ` as ${inv.role}` : '',
        `, ${inv.uses_left ?? '?'} left`,
        inv.expires_at ? `, until ${when(inv.expires_at)}` : '',
      ];
      this.invitationList.append(h('li', { class: 'admin-item', dataset: { invitation: String(inv.id) } }, h('span', {}, ...what), revoke));
    }
  }

  // ---- sessions ----------------------------------------------------------------------------------

  async showSessions(user) {
    this.sessionsOf = user;
    this.sessionsTitle.textContent = user ? `Sessions of ${user.name} (${user.org})` : 'Your sessions: every browser and command-line client signed in as you.';
    this.ownSessionsButton.hidden = !user;
    const result = await this.run(this.sessionStatus, 'load the sessions', (c) => c.sessions(user ? user.id : undefined));
    if (!result || this.sessionsOf !== user) return;
    const list = result.value;
    this.sessionStatus.textContent = list.length ? '' : 'No sessions.';
    clear(this.sessionList);
    for (const s of list) {
      const end = h('button', {
        type: 'button',
        class: 'button button--small',
        text: s.current ? 'End (signs out here)' : 'End',
      });
      end.addEventListener('click', async () => {
        end.disabled = true;
        const done = await this.run(this.sessionStatus, 'end the session', (c) => c.endSession(s.id));
        if (done) {
          this.sessionStatus.textContent = 'Session ended: it is signed out everywhere.';
          this.showSessions(this.sessionsOf);
        } else end.disabled = false;
      });
      const parts = [
        s.current ? 'This browser' : s.kind || s.agent || s.user_agent || 'Session',
        s.created_at || s.created ? ` · signed in ${when(s.created_at ?? s.created)}` : '',
        s.last_seen || s.last_used ? ` · last used ${when(s.last_seen ?? s.last_used)}` : '',
        s.expires_at ? ` · until ${when(s.expires_at)}` : '',
      ];
      this.sessionList.append(h('li', { class: 'admin-item', dataset: { session: String(s.id) } }, h('span', { text: parts.join('') }), end));
    }
  }

  async makeToken(button) {
    button.disabled = true;
    const result = await this.run(this.sessionStatus, 'make a token', (c) => c.makeToken());
    button.disabled = false;
    if (!result) return;
    const out = h('input', { type: 'text', readonly: true, id: 'cli-token', value: result.value, spellcheck: 'false' });
    this.tokenOut.replaceChildren(
      h('label', { for: 'cli-token', text: 'Your token (shown only now; it is a session like any other, listed above)' }),
      out,
      h('p', { class: 'field-hint' }, 'Use it with ', h('code', { text: 'outloud --token …' }), '. End its session here to stop it.'),
    );
    this.tokenOut.hidden = false;
    out.focus();
    out.select();
    this.showSessions(this.sessionsOf);
  }

  // ---- audit -------------------------------------------------------------------------------------

  async loadAudit(older) {
    const last = this.auditEvents[this.auditEvents.length - 1];
    const before = older && last ? (last.id ?? last.ts) : undefined;
    this.auditStatus.textContent = 'Loading…';
    const result = await this.run(this.auditStatus, 'load the audit log', (c) => c.audit({ before, limit: AUDIT_PAGE }));
    if (!result) return;
    const events = result.value;
    if (!older) {
      this.auditEvents = [];
      clear(this.auditBody);
    }
    this.auditEvents.push(...events);
    for (const ev of events) {
      this.auditBody.append(
        h(
          'tr',
          { dataset: { action: ev.action } },
          h('td', { class: 'nowrap', text: when(ev.ts) }),
          h('td', {}, person(ev.actor)),
          h('td', {}, h('code', { text: ev.action })),
          h('td', { text: plain(ev.target) }),
          h('td', { text: plain(ev.detail) }),
        ),
      );
    }
    this.auditMore.hidden = events.length < AUDIT_PAGE;
    this.auditStatus.textContent = `${this.auditEvents.length} events shown, newest first.`;
  }
}
