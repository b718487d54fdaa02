// Account, organisation and access commands of the OutLoud client (access.md): organisations,
// people, invitations, room settings, members, sessions, tokens and the audit log. Installed on
// OutloudClient.prototype by outloud.js; each method only builds its frame and calls `this.request`.

export const accessCommands = {
  // Like the facilitation requests, none is retried after a reconnect except plain reads.

  /** Every organisation: ORG {id, name, domains}. */
  async orgs() {
    const reply = await this.request({ type: 'orgs' }, { retry: true });
    return reply.orgs || [];
  },

  /** Creates or updates an organisation (administrators). @param {{id: string, name: string, domains: string[]}} org */
  saveOrg(org) {
    return this.request({ type: 'org', org });
  },

  /** Makes a person an administrator of their organisation, or no longer (administrators). */
  setOrgAdmin(user, admin) {
    return this.request({ type: 'org_admin', user, admin: !!admin });
  },

  /** Non-guest accounts, for adding to rooms; `query` narrows by name. */
  async people(query = '') {
    const frame = { type: 'people' };
    if (query) frame.query = query;
    const reply = await this.request(frame, { retry: true });
    return reply.people || [];
  },

  /**
   * Makes an invitation; resolves with {id, code, url, org, room, role, guest, uses_left, expires_at}.
   * @param {{org: string, room?: string, role?: string, guest?: boolean, uses?: number, hours?: number}} opts
   */
  async invite({ org, room, role, guest, uses, hours }) {
    const frame = { type: 'invite', org };
    if (room) frame.room = room;
    if (role) frame.role = role;
    if (guest) frame.guest = true;
    if (uses) frame.uses = uses;
    if (hours) frame.hours = hours;
    const reply = await this.request(frame);
    return reply.invitation;
  },

  /** The invitations one may revoke (without their codes). */
  async invitations() {
    const reply = await this.request({ type: 'invitations' }, { retry: true });
    return reply.invitations || [];
  },

  revokeInvitation(invitation) {
    return this.request({ type: 'revoke', invitation });
  },

  /**
   * Changes a room's settings (owner).
   * @param {string} room
   * @param {{visibility?: 'open'|'private', label?: string, retention_days?: number|null, title?: string}} changes
   */
  roomSettings(room, changes) {
    return this.request({ type: 'room', room, ...changes });
  },

  /** A room's members: [{user, role, sponsor, reason, since}]. */
  async members(room) {
    const reply = await this.request({ type: 'members', room }, { retry: true });
    return reply.members || [];
  },

  /** Adds a member (owner or facilitators); `reason` is needed for someone from another organisation. */
  addMember(room, user, { role, reason } = {}) {
    const frame = { type: 'add', room, user };
    if (role) frame.role = role;
    if (reason) frame.reason = reason;
    return this.request(frame);
  },

  removeMember(room, user) {
    return this.request({ type: 'remove', room, user });
  },

  /** Sessions: one's own, or (administrators) those of `user`. */
  async sessions(user) {
    const frame = { type: 'sessions' };
    if (user) frame.user = user;
    const reply = await this.request(frame, { retry: true });
    return reply.sessions || [];
  },

  endSession(session) {
    return this.request({ type: 'end_session', session });
  },

  /** A new session token for the command-line client. */
  async makeToken() {
    const reply = await this.request({ type: 'token' });
    return reply.token;
  },

  /** The audit log, newest first (administrators). */
  async audit({ before, limit } = {}) {
    const frame = { type: 'audit' };
    if (before !== undefined && before !== null) frame.before = before;
    if (limit) frame.limit = limit;
    const reply = await this.request(frame, { retry: true });
    return reply.events || [];
  },
};
