// Breakout rounds that run themselves (protocol/README.md): what session-state.js does not know of
// — the one-minute warning, the late joiners, and the copies of events sent into group rooms.
// Pure: no DOM, no network.

/**
 * What the breakout part of session-state.js does not know of. Returns a change (for the
 * announcements), null to ignore the event, or undefined to let session-state.js apply it.
 * @param {object} s the room's session state
 * @param {object} ev a `breakout` event
 */
export function breakoutEventBefore(s, ev) {
  // Group rooms get their own copy of the warning and the close, naming the session as `parent`;
  // the session room's copy is the one the page acts on.
  if (ev.parent) return null;
  if (ev.state === 'warning') {
    if (ev.ends_at) s.breakouts = { ...s.breakouts, endsAt: ev.ends_at };
    return { kind: 'breakout', warning: true, remainingMs: ev.remaining_ms || 0 };
  }
  return undefined;
}

/** After session-state.js applied a `breakout` event: the late joiners listed for facilitators. */
export function breakoutEventAfter(s, ev) {
  if (ev.parent) return;
  if (ev.state === 'closed') s.breakouts.late = [];
  else if (Array.isArray(ev.late)) s.breakouts.late = ev.late;
  else if (!Array.isArray(s.breakouts.late)) s.breakouts.late = [];
}

/** The late joiners of a `joined` snapshot's breakouts. */
export function lateFromSnapshot(breakouts) {
  return breakouts && breakouts.open && Array.isArray(breakouts.late) ? breakouts.late : [];
}

