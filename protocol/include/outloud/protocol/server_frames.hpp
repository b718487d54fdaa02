// Serializers of every frame the server sends. Each returns the complete JSON text of one frame,
// ready to be shared by every recipient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::protocol {

// The `re` of a reply: the id of the request it answers, if the request had one.
using ReplyTo = std::optional<RequestId>;

std::string error_frame(const ReplyTo& re, ErrorCode code, std::string_view message);
// What a person may administer, told only to themself (welcome, /api/me): USER gains "admin":true
// and "org_admin":true when set.
struct Privileges {
  bool admin = false;
  bool org_admin = false;
};
std::string welcome_frame(const ReplyTo& re, const User& user, std::string_view session, std::string_view node,
                          std::int64_t server_time, const Privileges& privileges = {});
std::string pong_frame(const ReplyTo& re);
std::string ok_frame(const ReplyTo& re);

std::string created_frame(const ReplyTo& re, const Room& room);
// `next`: the cursor for the following page (the last id of this one) when more rooms remain.
std::string rooms_frame(const ReplyTo& re, const std::vector<RoomListing>& rooms,
                        const std::optional<std::string>& next = std::nullopt);

struct JoinedReply {
  Room room;
  std::vector<PresenceEntry> presence;
  std::vector<Message> messages;
  std::int64_t head = 0;
  bool recovered = false;
  Role role = Role::member;  // serialized as "you":{"role":...}
  std::string session_json = "{}";  // the room's facilitation state, already JSON (raw)
  // A join with `presence_limit`: `presence` is a first page; these say how many users are
  // present in all and where the next page starts (none: that was all).
  std::optional<int> online;
  std::optional<std::string> presence_next;
};
std::string joined_frame(const ReplyTo& re, const JoinedReply& reply);
std::string left_frame(const ReplyTo& re, std::string_view room);
// A page of a room's presence (`presence_page`); `next` absent: the last page.
std::string presence_page_frame(const ReplyTo& re, std::string_view room, const std::vector<PresenceEntry>& presence,
                                const std::optional<std::string>& next, int online);
// Presence changes of a room coalesced into one event: `changes` are `presence` event frames, in
// order; `online` is the number of users present when the batch was made.
std::string presence_batch_event(std::string_view room, const std::vector<std::string_view>& changes, int online);
// Messages of one round coalesced into one event (a join with `message_batches`): `messages` are
// `message` event frames, in seq order.
std::string message_batch_event(std::string_view room, const std::vector<std::string_view>& messages);

std::string sent_frame(const ReplyTo& re, std::string_view room, std::int64_t seq, std::int64_t ts);
std::string history_frame(const ReplyTo& re, std::string_view room, const std::vector<Message>& messages);

// Edits, deletions and removals (server_frames_changes.cpp). `version`: the room's change version
// after this change; `changed` is both the reply (with `re`) and the event everyone in the room gets.
std::string changed_frame(const ReplyTo& re, std::string_view room, std::int64_t version, const Message& message);
// The messages changed after a version, in change order; `version` is where the next request resumes.
std::string changes_frame(const ReplyTo& re, std::string_view room, std::int64_t version,
                          const std::vector<Message>& messages, bool more);
// Search results, newest first; `next` (when more may match) is the `before` of the next page.
std::string found_frame(const ReplyTo& re, std::string_view room, std::string_view query,
                        const std::vector<Message>& messages, std::optional<std::int64_t> next,
                        std::int64_t scanned = 0);

// Events (no `re`).
std::string message_event(const Message& message);
// The `ts` of a `message` event as message_event wrote it (when it was sent, ms since the epoch),
// read without parsing the rest: the server times deliveries by it. None if it has none.
std::optional<std::int64_t> message_event_ts(std::string_view event);
std::string typing_event(std::string_view room, const User& user, std::string_view topic);
std::string presence_event(std::string_view room, PresenceEvent event, const User& user, PresenceState state);

// ---- topics, read markers, mentions and the live room list (server_frames_topics.cpp) ----
// `next`: the cursor (the last topic's last_seq) when more topics remain.
std::string topics_frame(const ReplyTo& re, std::string_view room, const std::vector<TopicSummary>& topics,
                         std::optional<std::int64_t> next);
// The person's read marker moved (to their other connections). `topic` empty: the whole room.
std::string read_event(std::string_view room, std::string_view topic, std::int64_t seq);
// `message` named the person: sent to their connections wherever they are.
std::string mention_event(const Message& message);
// The room list changed: `event` is "upsert" (new or changed: the person may see it) or "remove"
// (they may no longer see it).
std::string room_list_event(std::string_view event, const Room& room);
// {"type":"room_list","event":"refresh"}: this node may have missed room list changes, read markers
// and mentions (its Redis subscriptions were restored after an outage): list the rooms again.
std::string room_list_refresh_event();

// ---- accounts, organisations and access (access.md; server_frames_access.cpp) ----
struct InvitationInfo {
  std::string id;
  std::optional<std::string> code;  // only in the `invitation` reply that created it
  std::optional<std::string> url;
  std::string org;
  std::optional<std::string> room;
  Role role = Role::member;
  bool guest = false;
  int uses_left = 1;
  std::int64_t expires_at = 0;
  std::string created_by;  // user id
  std::int64_t created_at = 0;
};
struct MemberInfo {
  User user;
  Role role = Role::member;
  std::optional<User> sponsor;
  std::optional<std::string> reason;
  std::int64_t since = 0;
};
struct AuditEntry {
  std::int64_t ts = 0;
  std::optional<User> actor;
  std::string action;
  std::string target;
  std::string detail;
};
struct SessionInfo {
  std::string id;
  std::string user;  // user id
  std::int64_t created_at = 0;
  std::int64_t last_used = 0;
  bool current = false;  // the session of the connection asking
};
enum class MemberEvent { add, remove };

std::string orgs_frame(const ReplyTo& re, const std::vector<Org>& orgs);
std::string org_frame(const ReplyTo& re, const Org& org);
// One of `people`: privileges are shown to administrators only (of the deployment, or of the
// person's organisation), who manage them; to anyone else they are empty.
struct Person {
  User user;
  Privileges privileges;
};
std::string people_frame(const ReplyTo& re, const std::vector<Person>& people);
std::string invitation_frame(const ReplyTo& re, const InvitationInfo& invitation);
std::string invitations_frame(const ReplyTo& re, const std::vector<InvitationInfo>& invitations);
std::string room_event(const Room& room);
std::string members_frame(const ReplyTo& re, std::string_view room, const std::vector<MemberInfo>& members);
std::string member_event(std::string_view room, const MemberInfo& member, MemberEvent event);
std::string audit_frame(const ReplyTo& re, const std::vector<AuditEntry>& events);
std::string token_frame(const ReplyTo& re, std::string_view token);
std::string sessions_frame(const ReplyTo& re, const std::vector<SessionInfo>& sessions);
std::string org_json(const Org& org);
std::string user_json_self(const User& user, const Privileges& privileges);  // /api/me's USER
std::string audit_entry_json(const AuditEntry& entry);                      // one line of /api/audit

// Building blocks for other serializers (facilitation frames): JSON text of one value.
std::string user_json(const User& user);
std::string room_json(const Room& room);
std::string message_json(const Message& message);

}  // namespace outloud::protocol
