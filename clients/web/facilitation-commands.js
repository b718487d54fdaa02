// Facilitation commands of the OutLoud client (facilitation.md): roles, hands, floor, timer,
// polls, breakouts, agenda, lock and the record. Installed on OutloudClient.prototype by
// outloud.js; each method only builds its frame and calls `this.request`.

export const facilitationCommands = {
  // Each resolves with the server's reply (`ok`, or `export`) and rejects with an OutloudError
  // (`forbidden`, `conflict`, …). None is retried after a reconnect: the rejoin brings the room's
  // current session state, and the person decides again.

  /**
   * Gives a participant a role (owner and facilitators only).
   * @param {string} room
   * @param {string} user user id
   * @param {'facilitator'|'member'|'observer'} role
   */
  setRole(room, user, role) {
    return this.request({ type: 'role', room, user, role });
  },

  /** Raises (`up` true) or lowers one's hand. */
  hand(room, up) {
    return this.request({ type: 'hand', room, up: !!up });
  },

  /** Gives the floor to a user id, or with null to the next in the queue (nobody when it is empty). */
  floor(room, user = null) {
    return this.request({ type: 'floor', room, user });
  },

  /**
   * Starts the room's timer.
   * @param {string} room
   * @param {number} seconds 1 to 86400
   * @param {string} [label]
   */
  startTimer(room, seconds, label = '') {
    return this.request({ type: 'timer', room, action: 'start', seconds, label });
  },

  /** @param {string} room @param {'pause'|'resume'|'stop'} action */
  timer(room, action) {
    return this.request({ type: 'timer', room, action });
  },

  /**
   * Opens a poll (one open poll per room).
   * @param {string} room
   * @param {{question: string, options: string[], multi?: boolean, anonymous?: boolean}} poll
   */
  openPoll(room, { question, options, multi = false, anonymous = true }) {
    return this.request({ type: 'poll', room, action: 'open', question, options, multi, anonymous });
  },

  /** @param {string} room @param {string} poll the poll's id */
  closePoll(room, poll) {
    return this.request({ type: 'poll', room, action: 'close', poll });
  },

  /** Votes (again: the new ballot replaces the old). @param {number[]} choices option indexes */
  vote(room, poll, choices) {
    return this.request({ type: 'vote', room, poll, choices });
  },

  /**
   * Opens breakout groups.
   * @param {string} room
   * @param {{groups?: number, size?: number, strategy?: 'mix'|'random'|'manual',
   *   assign?: Object<string, number>, minutes?: number}} opts exactly one of groups and size
   */
  openBreakout(room, { groups, size, strategy = 'mix', assign, minutes } = {}) {
    const frame = { type: 'breakout', room, action: 'open', strategy };
    if (groups !== undefined) frame.groups = groups;
    if (size !== undefined) frame.size = size;
    if (assign && Object.keys(assign).length) frame.assign = assign;
    if (minutes) frame.minutes = minutes;
    return this.request(frame);
  },

  /** Posts a text into every open group room. */
  broadcast(room, text) {
    return this.request({ type: 'breakout', room, action: 'broadcast', text });
  },

  closeBreakout(room) {
    return this.request({ type: 'breakout', room, action: 'close' });
  },

  /** @param {string} room @param {Array<{title: string, minutes: number}>} items */
  setAgenda(room, items) {
    return this.request({ type: 'agenda', room, items });
  },

  /** @param {string} room @param {'next'|'prev'} action */
  moveAgenda(room, action) {
    return this.request({ type: 'agenda', room, action });
  },

  lock(room, locked) {
    return this.request({ type: 'lock', room, locked: !!locked });
  },

  /** The session record as Markdown. */
  async exportRecord(room) {
    const reply = await this.request({ type: 'export', room }, { retry: true });
    return reply.markdown;
  },
};
