// Topics, read markers and the room list's archive (OutLoud extensions, protocol/README.md "Topics,
// read markers, mentions and the live room list"). Installed on OutloudClient.prototype by outloud.js;
// each method only builds its frame and calls `this.request`.

export const topicCommands = {
  /**
   * One page of a room's topics, most recently active first: {topic, count, last_seq, last_ts, unread}.
   * @param {string} room
   * @param {{limit?: number, before?: number}} [opts]
   * @returns {Promise<{topics: object[], next?: number}>}
   */
  async topics(room, opts = {}) {
    const frame = { type: 'topics', room };
    if (opts.limit) frame.limit = opts.limit;
    if (opts.before) frame.before = opts.before;
    const reply = await this.request(frame, { retry: true });
    return { topics: reply.topics || [], next: reply.next };
  },

  /**
   * One topic's messages, ascending (`before` a seq for older ones).
   * @param {string} room
   * @param {string} topic
   * @param {{before?: number, limit?: number}} [opts]
   */
  async topicHistory(room, topic, opts = {}) {
    const frame = { type: 'history', room, topic, limit: opts.limit ?? 50 };
    if (opts.before !== undefined) frame.before = opts.before;
    const reply = await this.request(frame, { retry: true });
    return reply.messages || [];
  },

  /**
   * Moves the person's read marker of the room (or of one topic) up to `seq`; kept by the server,
   * so it follows them to their other devices (a `read` event there).
   */
  markRead(room, seq, topic = null) {
    const frame = { type: 'read', room, seq };
    if (topic) frame.topic = topic;
    return this.request(frame, { retry: true });
  },

  /** Every room including archived breakout groups. */
  async roomsWithArchived() {
    return this._allRooms({ archived: true });
  },
};
