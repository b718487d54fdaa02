// The facilitation commands (facilitation.md) as pure transitions of a room's SessionState.
#include "server/facilitation/engine.hpp"

#include <algorithm>
#include <set>

#include "server/facilitation/events.hpp"
#include "server/facilitation/grouping.hpp"
#include "server/facilitation/json_writers.hpp"

namespace outloud::facilitation {
namespace {

namespace p = protocol;
using p::ErrorCode;
using p::Role;

bool leads(Role role) { return role == Role::owner || role == Role::facilitator; }

Outcome failure(const SessionState& state, ErrorCode code, std::string message) {
  Outcome out;
  out.error = code;
  out.error_message = std::move(message);
  out.state = state;
  return out;
}

std::optional<p::User> find_user(const SessionState& state, const std::vector<p::PresenceEntry>* present,
                                 const std::string& id) {
  for (const auto& user : state.participants)
    if (user.id == id) return user;
  if (present)
    for (const auto& entry : *present)
      if (entry.user.id == id) return entry.user;
  return std::nullopt;
}

const p::User* find_known(const SessionState& state, const std::string& id) {
  for (const auto& user : state.known)
    if (user.id == id) return &user;
  return nullptr;
}

// A user id as USER: a participant, someone present, or someone the state knows by name without
// their having joined (the owner as they created the room, a session's leaders in its groups). An id
// nobody knows any more is still a well-formed USER rather than dropped: its id as name and the
// room's organisation (the owner's own, since the room took its creator's; every USER the engine
// records otherwise is remembered, so this is only for state written before they were).
p::User resolve(const SessionState& state, const p::Room& room, const std::vector<p::PresenceEntry>* present,
                const std::string& id) {
  if (auto user = find_user(state, present, id)) return *user;
  if (const auto* known = find_known(state, id)) return *known;
  return p::User{id, id, room.org};
}

std::vector<p::User> resolve_all(const SessionState& state, const p::Room& room,
                                 const std::vector<p::PresenceEntry>* present, const std::vector<std::string>& ids) {
  std::vector<p::User> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back(resolve(state, room, present, id));
  return out;
}

// Every group of the round, the empty ones too (members []).
std::vector<ResolvedGroup> resolve_groups(const SessionState& state, const p::Room& room,
                                          const std::vector<p::PresenceEntry>* present) {
  std::vector<ResolvedGroup> out;
  for (const auto& group : state.breakouts.groups)
    out.push_back({group.room, resolve_all(state, room, present, group.members)});
  return out;
}

// Remembers the USER of someone the state names who has not joined; true if the state changed.
// A participant needs no entry (participants are fresher), and loses one they had.
bool remember_known(SessionState& state, const p::User& user) {
  if (std::any_of(state.participants.begin(), state.participants.end(),
                  [&](const p::User& known) { return known.id == user.id; }))
    return std::erase_if(state.known, [&](const p::User& known) { return known.id == user.id; }) > 0;
  for (auto& known : state.known) {
    if (known.id != user.id) continue;
    if (known == user) return false;
    known = user;
    return true;
  }
  state.known.push_back(user);
  return true;
}

// Adds or refreshes a participant; true if the state changed.
bool remember(SessionState& state, const p::User& user) {
  for (auto& known : state.participants) {
    if (known.id != user.id) continue;
    if (known == user) return false;
    known = user;
    return true;
  }
  state.participants.push_back(user);
  std::erase_if(state.known, [&](const p::User& known) { return known.id == user.id; });
  return true;
}

bool erase_hand(SessionState& state, const std::string& user) {
  auto it = std::find(state.hands.begin(), state.hands.end(), user);
  if (it == state.hands.end()) return false;
  state.hands.erase(it);
  return true;
}

Poll* find_poll(SessionState& state, const std::string& id) {
  for (auto& poll : state.polls)
    if (poll.id == id) return &poll;
  return nullptr;
}

const std::string* room_field(const p::ClientBody& body) { return p::room_of(body); }

// The owner and facilitators: who sees the overview of the groups and the late joiners.
std::vector<std::string> leader_ids(const SessionState& state, const p::Room& room) {
  std::vector<std::string> out;
  if (!room.created_by.empty()) out.push_back(room.created_by);
  for (const auto& [user, role] : state.roles)
    if (role == Role::facilitator && user != room.created_by) out.push_back(user);
  return out;
}

// Every group and the late joiners, for the leaders.
Outbound leaders_overview(const SessionState& state, const p::Room& room, const std::vector<p::PresenceEntry>* present) {
  return {breakout_overview_event(room.id, resolve_groups(state, room, present), state.breakouts.ends_at,
                                  resolve_all(state, room, present, state.breakouts.late)),
          leader_ids(state, room)};
}

bool in_a_group(const SessionState& state, const std::string& user) {
  return std::any_of(state.breakouts.groups.begin(), state.breakouts.groups.end(), [&](const BreakoutGroup& group) {
    return std::find(group.members.begin(), group.members.end(), user) != group.members.end();
  });
}

// {"type":"ok",<key>:<value>}: what the request made (a poll's id, the group `place` chose).
std::string ok_with(const char* key, const std::string& value) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  w.Key("type");
  json::write_string(w, "ok");
  w.Key(key);
  json::write_string(w, value);
  w.EndObject();
  return json::text_of(buffer);
}

// The round ends: everyone in the room and in every group room is told.
void close_breakouts(Outcome& out, const std::string& room) {
  auto& breakouts = out.state.breakouts;
  breakouts.open = false;
  breakouts.ends_at.reset();
  breakouts.warn_at.reset();
  breakouts.late.clear();
  out.events.push_back({breakout_closed_event(room), {}});
  for (const auto& group : breakouts.groups) out.room_events.emplace_back(group.room, breakout_closed_event(group.room, room));
}

// One command being applied: the state copy it changes and what goes out.
class Command {
 public:
  Command(const SessionState& before, const Context& context, const p::User& actor)
      : before_(before), context_(context), actor_(actor), role_(role_of(before, context.room, actor.id)) {
    out_.state = before;
  }

  Outcome operator()(const p::SetRole& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only the owner and facilitators may change roles");
    if (command.role == Role::owner) return refuse(ErrorCode::forbidden, "the owner role cannot be given");
    if (command.user == context_.room.created_by)
      return refuse(ErrorCode::forbidden, "the owner's role cannot be changed");
    auto target = find_user(before_, &context_.present, command.user);
    if (!target) return refuse(ErrorCode::not_found, "no such participant in this room");
    if (role_of(before_, context_.room, command.user) == command.role) {
      // Nothing to save, but the contract promises everyone the role event.
      to_everyone(role_event(room(), *target, command.role));
      return unchanged_but_told();
    }
    if (command.role == Role::member) state().roles.erase(command.user);
    else state().roles[command.user] = command.role;
    remember(state(), *target);  // present but not noted yet: their USER stays known for the roles
    if (command.role == Role::observer) {
      // Observers cannot speak: they leave the queue and the floor.
      if (erase_hand(state(), command.user)) hands_changed();
      if (state().floor == command.user) {
        state().floor.reset();
        to_everyone(floor_event(room(), std::nullopt));
      }
    }
    to_everyone(role_event(room(), *target, command.role), true);
    return changed();
  }

  Outcome operator()(const p::Hand& command) {
    if (role_ == Role::observer) return refuse(ErrorCode::forbidden, "observers cannot raise a hand");
    const bool queued = std::find(state().hands.begin(), state().hands.end(), actor_.id) != state().hands.end();
    if (command.up == queued) {
      hands_changed();  // the queue as it is: the contract promises everyone `hands`
      return unchanged_but_told();
    }
    if (command.up) state().hands.push_back(actor_.id);
    else erase_hand(state(), actor_.id);
    hands_changed();
    return changed();
  }

  Outcome operator()(const p::Floor& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may give the floor");
    std::optional<std::string> next;
    if (command.user) {
      if (!find_user(before_, &context_.present, *command.user))
        return refuse(ErrorCode::not_found, "no such participant in this room");
      if (role_of(before_, context_.room, *command.user) == Role::observer)
        return refuse(ErrorCode::conflict, "observers cannot take the floor");
      next = *command.user;
    } else if (!state().hands.empty()) {
      next = state().hands.front();
    }
    const bool queue_changed = next && erase_hand(state(), *next);
    std::optional<p::User> holder;
    if (next) holder = resolve(state(), context_.room, &context_.present, *next);
    to_everyone(floor_event(room(), holder));
    if (state().floor == next && !queue_changed) return unchanged_but_told();
    state().floor = next;
    // Present but not noted yet: remembered, so SESSION names them later.
    if (next)
      if (auto user = find_user(before_, &context_.present, *next)) remember(state(), *user);
    if (queue_changed) hands_changed();
    return changed();
  }

  Outcome operator()(const p::Timer& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may run the timer");
    const std::int64_t now = context_.now_ms;
    auto& timer = state().timer;
    switch (command.action) {
      case p::TimerAction::start: {
        if (command.seconds < 1 || command.seconds > 86400)
          return refuse(ErrorCode::bad_request, "seconds must be 1 to 86400");
        if (p::utf8_length(command.label) > 80) return refuse(ErrorCode::bad_request, "label is too long");
        const std::int64_t duration = std::int64_t{command.seconds} * 1000;
        timer = TimerInfo{TimerState::running, command.label, now + duration, duration, duration};
        break;
      }
      case p::TimerAction::pause:
        if (!timer || timer->state != TimerState::running) return refuse(ErrorCode::conflict, "no timer is running");
        if (timer->ends_at <= now) return refuse(ErrorCode::conflict, "the timer has run out");
        timer->remaining_ms = timer->ends_at - now;
        timer->state = TimerState::paused;
        break;
      case p::TimerAction::resume:
        if (!timer || timer->state != TimerState::paused) return refuse(ErrorCode::conflict, "no timer is paused");
        timer->ends_at = now + timer->remaining_ms;
        timer->state = TimerState::running;
        break;
      case p::TimerAction::stop:
        if (!timer || (timer->state != TimerState::running && timer->state != TimerState::paused))
          return refuse(ErrorCode::conflict, "no timer is running or paused");
        if (timer->state == TimerState::running) timer->remaining_ms = std::max<std::int64_t>(0, timer->ends_at - now);
        timer->state = TimerState::stopped;
        break;
    }
    to_everyone(timer_event(room(), *timer, now));
    return changed();
  }

  Outcome operator()(const p::PollOpen& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may open polls");
    if (command.question.empty()) return refuse(ErrorCode::bad_request, "a poll needs a question");
    if (command.options.size() < 2 || command.options.size() > 10)
      return refuse(ErrorCode::bad_request, "a poll needs 2 to 10 options");
    for (const auto& poll : state().polls)
      if (poll.open) return refuse(ErrorCode::conflict, "poll " + poll.id + " is still open");
    if (state().polls.size() >= context_.limits.max_polls)
      return refuse(ErrorCode::conflict, "this room has reached its limit of polls");
    Poll poll;
    poll.id = "p" + std::to_string(state().polls.size() + 1);
    poll.question = command.question;
    poll.options = command.options;
    poll.multi = command.multi;
    poll.anonymous = command.anonymous;
    poll.open = true;
    state().polls.push_back(poll);
    to_everyone(poll_event(room(), poll));
    out_.reply_json = ok_with("poll", poll.id);
    return changed();
  }

  Outcome operator()(const p::PollClose& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may close polls");
    Poll* poll = find_poll(state(), command.poll);
    if (!poll) return refuse(ErrorCode::not_found, "no such poll");
    if (!poll->open) return refuse(ErrorCode::conflict, "the poll is already closed");
    poll->open = false;
    to_everyone(poll_event(room(), *poll));
    return changed();
  }

  Outcome operator()(const p::Vote& command) {
    if (role_ == Role::observer) return refuse(ErrorCode::forbidden, "observers cannot vote");
    Poll* poll = find_poll(state(), command.poll);
    if (!poll) return refuse(ErrorCode::not_found, "no such poll");
    if (!poll->open) return refuse(ErrorCode::conflict, "the poll is closed");
    if (command.choices.empty()) return refuse(ErrorCode::bad_request, "choose at least one option");
    if (!poll->multi && command.choices.size() != 1)
      return refuse(ErrorCode::bad_request, "this poll takes exactly one choice");
    std::vector<int> choices = command.choices;
    std::sort(choices.begin(), choices.end());
    if (std::adjacent_find(choices.begin(), choices.end()) != choices.end())
      return refuse(ErrorCode::bad_request, "an option is chosen twice");
    if (choices.front() < 0 || static_cast<std::size_t>(choices.back()) >= poll->options.size())
      return refuse(ErrorCode::bad_request, "no such option");
    const auto ballot = poll->ballots.find(actor_.id);
    if (ballot != poll->ballots.end() && ballot->second == choices) {
      to_everyone(poll_event(room(), *poll));  // the same ballot again: confirmed, nothing to save
      return unchanged_but_told();
    }
    poll->ballots[actor_.id] = std::move(choices);
    to_everyone(poll_event(room(), *poll));
    return changed();
  }

  Outcome operator()(const p::BreakoutOpen& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may open breakout groups");
    if (context_.room.kind == p::RoomKind::breakout)
      return refuse(ErrorCode::bad_request, "a breakout group cannot have breakout groups");
    if (state().breakouts.open) return refuse(ErrorCode::conflict, "breakout groups are already open");
    if (command.groups.has_value() == command.size.has_value())
      return refuse(ErrorCode::bad_request, "give either groups or size");
    if (command.groups && (*command.groups < 1 || *command.groups > 50))
      return refuse(ErrorCode::bad_request, "groups must be 1 to 50");
    if (command.size && (*command.size < 1 || *command.size > 200))
      return refuse(ErrorCode::bad_request, "size must be 1 to 200");
    if (command.minutes && (*command.minutes < 1 || *command.minutes > 600))
      return refuse(ErrorCode::bad_request, "minutes must be 1 to 600");

    // Who is distributed: members present (owner, facilitators and observers are not; they may join
    // any group), plus, for manual, whoever the facilitator assigned explicitly.
    std::vector<p::User> people;
    std::set<std::string> seen;
    for (const auto& entry : context_.present) {
      if (role_of(before_, context_.room, entry.user.id) != Role::member) continue;
      if (seen.insert(entry.user.id).second) people.push_back(entry.user);
    }
    const bool manual = command.strategy == p::BreakoutStrategy::manual;
    if (!manual && !command.assign.empty())
      return refuse(ErrorCode::bad_request, "assign is for the manual strategy");
    for (const auto& [user, group] : command.assign) {
      auto known = find_user(before_, &context_.present, user);
      if (!known) return refuse(ErrorCode::not_found, "assign names an unknown user: " + user);
      if (seen.insert(user).second) people.push_back(*known);
    }
    const int count = static_cast<int>(people.size());
    // `groups`: exactly that many rooms, even with fewer people (some groups start empty; late
    // joiners are placed there). `size` needs somebody to size the groups by.
    if (!command.groups && count == 0) return refuse(ErrorCode::conflict, "nobody present to put into groups");
    const int n = command.groups ? *command.groups : (count + *command.size - 1) / *command.size;
    for (const auto& [user, group] : command.assign)
      if (group < 1 || group > n)
        return refuse(ErrorCode::bad_request, "assign names group " + std::to_string(group) + " of " +
                                                  std::to_string(n));
    if (context_.room.id.size() + 1 + std::to_string(n).size() > 64)
      return refuse(ErrorCode::bad_request, "the room id is too long for breakout group ids");

    Groups groups;
    switch (command.strategy) {
      case p::BreakoutStrategy::mix: groups = mix_groups(people, n, context_.random_seed); break;
      case p::BreakoutStrategy::random: {
        std::vector<std::string> ids;
        for (const auto& person : people) ids.push_back(person.id);
        groups = random_groups(ids, n, context_.random_seed);
        break;
      }
      case p::BreakoutStrategy::manual: {
        std::map<std::string, int> assign;
        for (const auto& [user, group] : command.assign) assign[user] = group - 1;
        std::vector<std::string> rest;
        for (const auto& person : people) rest.push_back(person.id);
        groups = manual_groups(assign, rest, n, context_.random_seed);
        break;
      }
    }

    auto& breakouts = state().breakouts;
    breakouts.open = true;
    breakouts.groups.clear();
    breakouts.ends_at.reset();
    breakouts.warn_at.reset();
    breakouts.late.clear();
    if (command.minutes) {
      const std::int64_t minute = context_.limits.minute_ms;
      breakouts.ends_at = context_.now_ms + std::int64_t{*command.minutes} * minute;
      // One minute before the end; a one-minute round is warned at once.
      breakouts.warn_at = std::max(context_.now_ms, *breakouts.ends_at - minute);
    }
    for (int i = 0; i < n; ++i) {
      const std::string id = context_.room.id + "~" + std::to_string(i + 1);
      breakouts.groups.push_back({id, groups[static_cast<std::size_t>(i)]});
      if (std::find(breakouts.rooms.begin(), breakouts.rooms.end(), id) == breakouts.rooms.end())
        breakouts.rooms.push_back(id);
      p::Room group_room;
      group_room.id = id;
      group_room.title = context_.room.title + " — group " + std::to_string(i + 1);
      group_room.kind = p::RoomKind::breakout;
      // The session's owner, never whoever opened them: a facilitator gets no ownership of the
      // groups that would outlive their role (the groups follow the session, see access.md).
      group_room.created_by = context_.room.created_by;
      group_room.created_at = context_.now_ms;
      group_room.parent = context_.room.id;
      out_.rooms_to_create.push_back(std::move(group_room));
    }

    // Whoever was placed is part of the record even if their join was not noted yet.
    for (const auto& person : people) remember(state(), person);
    remember(state(), actor_);
    const auto resolved = resolve_groups(state(), context_.room, &context_.present);
    std::set<std::string> placed;
    for (const auto& group : resolved) {
      if (group.members.empty()) continue;  // an empty only_users would mean everyone
      Outbound event{breakout_group_event(room(), group, breakouts.ends_at), {}};
      for (const auto& member : group.members) {
        event.only_users.push_back(member.id);
        placed.insert(member.id);
      }
      out_.events.push_back(std::move(event));
    }
    Outbound overview{breakout_overview_event(room(), resolved, breakouts.ends_at, {}), {actor_.id}};
    placed.insert(actor_.id);
    for (const auto& entry : context_.present)
      if (placed.insert(entry.user.id).second) overview.only_users.push_back(entry.user.id);
    out_.events.push_back(std::move(overview));
    return changed();
  }

  Outcome operator()(const p::BreakoutBroadcast& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may broadcast to groups");
    if (!state().breakouts.open) return refuse(ErrorCode::conflict, "no breakout groups are open");
    if (command.text.empty()) return refuse(ErrorCode::bad_request, "text is empty");
    for (const auto& group : state().breakouts.groups) out_.posts.emplace_back(group.room, command.text);
    return unchanged();
  }

  Outcome operator()(const p::BreakoutClose&) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may close breakout groups");
    if (!state().breakouts.open) return refuse(ErrorCode::conflict, "no breakout groups are open");
    close_breakouts(out_, room());
    return changed();
  }

  Outcome operator()(const p::BreakoutPlace& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may place people in groups");
    auto& breakouts = state().breakouts;
    if (!breakouts.open || breakouts.groups.empty()) return refuse(ErrorCode::conflict, "no breakout groups are open");
    const auto person = find_user(before_, &context_.present, command.user);
    if (!person) return refuse(ErrorCode::not_found, "no such participant in this room");
    if (role_of(before_, context_.room, command.user) != Role::member)
      return refuse(ErrorCode::conflict, "only members are placed; facilitators and observers may join any group");
    if (command.group && static_cast<std::size_t>(*command.group) > breakouts.groups.size())
      return refuse(ErrorCode::bad_request, "there are " + std::to_string(breakouts.groups.size()) + " groups");

    // Out of wherever they were (moving someone is placing them again), then into the chosen group.
    std::optional<std::size_t> was;
    Groups members;
    for (std::size_t i = 0; i < breakouts.groups.size(); ++i) {
      auto& list = breakouts.groups[i].members;
      if (auto it = std::find(list.begin(), list.end(), command.user); it != list.end()) {
        was = i;
        list.erase(it);
      }
      members.push_back(list);
    }
    std::size_t target = 0;
    if (command.group) {
      target = static_cast<std::size_t>(*command.group - 1);
    } else {
      target = best_group_for(person->org, members, [&](const std::string& id) {
        return resolve(state(), context_.room, &context_.present, id).org;
      });
    }
    const bool same = was == target;  // already there: nothing moves, and they are told so again
    if (same) state() = before_;
    else breakouts.groups[target].members.push_back(command.user);
    std::erase(breakouts.late, command.user);
    remember(state(), *person);

    // Told like everyone was when the groups opened: the group's members (the newcomer with them).
    const auto resolved = resolve_groups(state(), context_.room, &context_.present);
    for (std::size_t i : {target, was.value_or(target)}) {
      Outbound event{breakout_group_event(room(), resolved[i], breakouts.ends_at), {}};
      for (const auto& member : resolved[i].members) event.only_users.push_back(member.id);
      if (!event.only_users.empty()) out_.events.push_back(std::move(event));
      if (!was || same) break;
    }
    out_.events.push_back(leaders_overview(state(), context_.room, &context_.present));
    out_.reply_json = ok_with("group", breakouts.groups[target].room);
    return same ? unchanged_but_told() : changed();
  }

  Outcome operator()(const p::AgendaSet& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may set the agenda");
    if (command.items.size() > 50) return refuse(ErrorCode::bad_request, "at most 50 agenda items");
    std::vector<AgendaEntry> items;
    for (const auto& item : command.items) {
      if (item.title.empty()) return refuse(ErrorCode::bad_request, "an agenda item needs a title");
      if (item.minutes < 0 || item.minutes > 600) return refuse(ErrorCode::bad_request, "minutes must be 0 to 600");
      items.push_back({item.title, item.minutes});
    }
    // Editing the agenda keeps the current item where it can: -1 when empty, else clamped, 0 if none was.
    int current = state().agenda_current;
    if (items.empty()) current = -1;
    else current = std::clamp(current, 0, static_cast<int>(items.size()) - 1);
    const bool same = items == state().agenda && current == state().agenda_current;
    state().agenda = std::move(items);
    state().agenda_current = current;
    to_everyone(agenda_event(room(), state().agenda, current));
    return same ? unchanged_but_told() : changed();
  }

  Outcome operator()(const p::AgendaMove& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may move through the agenda");
    if (state().agenda.empty()) return refuse(ErrorCode::conflict, "the agenda is empty");
    const int last = static_cast<int>(state().agenda.size()) - 1;
    const int current = std::clamp(state().agenda_current + (command.forward ? 1 : -1), 0, last);
    const bool same = current == state().agenda_current;  // at an end: stays, and everyone is told so
    state().agenda_current = current;
    to_everyone(agenda_event(room(), state().agenda, current));
    return same ? unchanged_but_told() : changed();
  }

  Outcome operator()(const p::Lock& command) {
    if (!leads(role_)) return refuse(ErrorCode::forbidden, "only facilitators may lock the room");
    const bool same = state().locked == command.locked;
    state().locked = command.locked;
    to_everyone(lock_event(room(), command.locked));
    return same ? unchanged_but_told() : changed();
  }

  Outcome operator()(const p::Export&) {
    return refuse(ErrorCode::internal, "export is answered by the hub");
  }

  template <typename Other>
  Outcome operator()(const Other&) {
    return refuse(ErrorCode::bad_request, "not a facilitation frame");
  }

 private:
  SessionState& state() { return out_.state; }
  const std::string& room() const { return context_.room.id; }

  Outcome refuse(ErrorCode code, std::string message) { return failure(before_, code, std::move(message)); }
  Outcome unchanged() {
    out_.state = before_;
    out_.changed = false;
    out_.events.clear();
    return std::move(out_);
  }
  // Nothing to save (no durable write), but the events the contract promises for the request go
  // out all the same: a client waits for them to confirm its vote, its hand, the agenda.
  Outcome unchanged_but_told() {
    out_.state = before_;
    out_.changed = false;
    return std::move(out_);
  }
  Outcome changed() {
    remember(state(), actor_);
    out_.changed = true;
    return std::move(out_);
  }
  void to_everyone(std::string payload, bool first = false) {
    Outbound event{std::move(payload), {}};
    if (first) out_.events.insert(out_.events.begin(), std::move(event));
    else out_.events.push_back(std::move(event));
  }
  void hands_changed() {
    to_everyone(hands_event(room(), resolve_all(state(), context_.room, &context_.present, state().hands)));
  }

  const SessionState& before_;
  const Context& context_;
  const p::User& actor_;
  Role role_;
  Outcome out_;
};

}  // namespace

bool is_facilitation_frame(const p::ClientBody& body) {
  return std::holds_alternative<p::SetRole>(body) || std::holds_alternative<p::Hand>(body) ||
         std::holds_alternative<p::Floor>(body) || std::holds_alternative<p::Timer>(body) ||
         std::holds_alternative<p::PollOpen>(body) || std::holds_alternative<p::PollClose>(body) ||
         std::holds_alternative<p::Vote>(body) || std::holds_alternative<p::BreakoutOpen>(body) ||
         std::holds_alternative<p::BreakoutBroadcast>(body) || std::holds_alternative<p::BreakoutClose>(body) ||
         std::holds_alternative<p::BreakoutPlace>(body) ||
         std::holds_alternative<p::AgendaSet>(body) || std::holds_alternative<p::AgendaMove>(body) ||
         std::holds_alternative<p::Lock>(body) || std::holds_alternative<p::Export>(body);
}

Role role_of(const SessionState& state, const p::Room& room, const std::string& user_id) {
  if (!room.created_by.empty() && user_id == room.created_by) return Role::owner;
  auto it = state.roles.find(user_id);
  if (it == state.roles.end() || it->second == Role::owner) return Role::member;
  return it->second;
}

bool is_breakout_room_id(std::string_view room_id) {
  const auto tilde = room_id.rfind('~');
  if (tilde == std::string_view::npos || tilde == 0 || tilde + 1 == room_id.size()) return false;
  return std::all_of(room_id.begin() + static_cast<std::ptrdiff_t>(tilde) + 1, room_id.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

Outcome inherit_roles(const SessionState& group_state, const p::Room& group_room, const SessionState& session_state,
                      const p::Room& session_room) {
  std::map<std::string, Role> roles;
  for (const auto& [user, role] : session_state.roles) {
    if (role == Role::facilitator || role == Role::observer) roles[user] = role;
  }
  if (!session_room.created_by.empty()) roles[session_room.created_by] = Role::facilitator;
  roles.erase(group_room.created_by);  // the group's owner already leads it
  Outcome outcome;
  outcome.state = group_state;
  // The group's SESSION names its owner and these roles before any of them joins the group: their
  // USERs come from the session, where they are known.
  auto know = [&](const std::string& id) {
    const p::User* user = nullptr;
    for (const auto& participant : session_state.participants)
      if (participant.id == id) user = &participant;
    if (!user) user = find_known(session_state, id);
    if (user && remember_known(outcome.state, *user)) outcome.changed = true;
  };
  if (!group_room.created_by.empty()) know(group_room.created_by);
  for (const auto& [user, role] : roles) know(user);
  if (group_state.roles != roles) {
    outcome.state.roles = std::move(roles);
    outcome.changed = true;
  }
  return outcome;
}

Outcome note_owner(const SessionState& state, const p::Room& room, const p::User& owner) {
  Outcome out;
  out.state = state;
  if (owner.id.empty() || owner.id != room.created_by) return out;
  out.changed = remember_known(out.state, owner);
  return out;
}

bool may_send(const SessionState& state, const p::Room& room, const std::string& user_id) {
  const Role role = role_of(state, room, user_id);
  if (role == Role::observer) return false;
  return !state.locked || leads(role);
}

Outcome apply(const SessionState& state, const Context& context, const p::User& actor, const p::ClientBody& command) {
  if (!is_facilitation_frame(command)) return failure(state, ErrorCode::bad_request, "not a facilitation frame");
  const std::string* room = room_field(command);
  if (!room || *room != context.room.id) return failure(state, ErrorCode::bad_request, "the frame is for another room");
  return std::visit(Command(state, context, actor), command);
}

Outcome note_participant(const SessionState& state, const p::User& user) {
  Outcome out;
  out.state = state;
  out.changed = remember(out.state, user);
  return out;
}

Outcome note_participants(const SessionState& state, const std::vector<p::User>& users) {
  Outcome out;
  out.state = state;
  for (const auto& user : users) out.changed = remember(out.state, user) || out.changed;
  return out;
}

bool knows_participant(const SessionState& state, const p::User& user) {
  for (const auto& known : state.participants) {
    if (known.id == user.id) return known == user;
  }
  return false;
}

Outcome expire_timer(const SessionState& state, const Context& context) {
  Outcome out;
  out.state = state;
  auto& timer = out.state.timer;
  if (!timer || timer->state != TimerState::running || timer->ends_at > context.now_ms) return out;
  timer->state = TimerState::done;
  timer->remaining_ms = 0;
  out.changed = true;
  out.events.push_back({timer_event(context.room.id, *timer, context.now_ms), {}});
  return out;
}

Outcome lower_hand_of_leaver(const SessionState& state, const Context& context, const std::string& user_id) {
  Outcome out;
  out.state = state;
  if (!erase_hand(out.state, user_id)) return out;
  out.changed = true;
  out.events.push_back(
      {hands_event(context.room.id, resolve_all(out.state, context.room, &context.present, out.state.hands)), {}});
  return out;
}

namespace {

// A member who (re)joins while groups are open and is in none: listed for the facilitators.
bool is_new_late_joiner(const SessionState& state, const p::Room& room, const p::User& user) {
  const auto& breakouts = state.breakouts;
  if (!breakouts.open || role_of(state, room, user.id) != Role::member || in_a_group(state, user.id)) return false;
  return std::find(breakouts.late.begin(), breakouts.late.end(), user.id) == breakouts.late.end();
}

}  // namespace

Outcome note_arrivals(const SessionState& state, const p::Room& room, const std::vector<p::User>& users) {
  Outcome out = note_participants(state, users);
  bool late = false;
  for (const auto& user : users) {
    if (!is_new_late_joiner(out.state, room, user)) continue;
    out.state.breakouts.late.push_back(user.id);
    late = true;
  }
  if (late) {
    out.changed = true;
    out.events.push_back(leaders_overview(out.state, room, nullptr));
  }
  return out;
}

Outcome note_arrival(const SessionState& state, const p::Room& room, const p::User& user) {
  return note_arrivals(state, room, {user});
}

bool arrival_noted(const SessionState& state, const p::Room& room, const p::User& user) {
  return knows_participant(state, user) && !is_new_late_joiner(state, room, user);
}

Outcome expire_due(const SessionState& state, const Context& context) {
  Outcome out = expire_timer(state, context);
  auto& breakouts = out.state.breakouts;
  if (!breakouts.open) return out;
  const std::string& room = context.room.id;
  if (breakouts.ends_at && *breakouts.ends_at <= context.now_ms) {
    close_breakouts(out, room);
    out.changed = true;
    return out;
  }
  if (breakouts.warn_at && *breakouts.warn_at <= context.now_ms) {
    breakouts.warn_at.reset();
    const std::int64_t ends_at = breakouts.ends_at.value_or(context.now_ms);
    out.events.push_back({breakout_warning_event(room, ends_at, context.now_ms), {}});
    for (const auto& group : breakouts.groups)
      out.room_events.emplace_back(group.room, breakout_warning_event(group.room, ends_at, context.now_ms, room));
    out.changed = true;
  }
  return out;
}

std::optional<std::int64_t> next_deadline(const SessionState& state) {
  std::optional<std::int64_t> next = timer_deadline(state);
  auto earlier = [&](const std::optional<std::int64_t>& at) {
    if (at && (!next || *at < *next)) next = at;
  };
  if (state.breakouts.open) {
    earlier(state.breakouts.warn_at);
    earlier(state.breakouts.ends_at);
  }
  return next;
}

std::optional<std::int64_t> timer_deadline(const SessionState& state) {
  if (state.timer && state.timer->state == TimerState::running) return state.timer->ends_at;
  return std::nullopt;
}

std::string session_json(const SessionState& state, const p::Room& room, std::int64_t now_ms) {
  SessionView view;
  view.hands = resolve_all(state, room, nullptr, state.hands);
  if (state.floor) view.floor = resolve(state, room, nullptr, *state.floor);
  if (!room.created_by.empty()) view.roles.emplace_back(resolve(state, room, nullptr, room.created_by), Role::owner);
  for (const auto& [user, role] : state.roles)
    if (user != room.created_by && role != Role::owner && role != Role::member)
      view.roles.emplace_back(resolve(state, room, nullptr, user), role);
  view.groups = resolve_groups(state, room, nullptr);
  view.late = resolve_all(state, room, nullptr, state.breakouts.late);
  return session_object(state, view, now_ms);
}

}  // namespace outloud::facilitation
