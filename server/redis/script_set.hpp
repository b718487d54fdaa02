// Every Lua script of the Redis backends, shared by the node's store and presence registry.
#pragma once

#include "server/redis/lua_scripts.hpp"
#include "server/redis/script.hpp"
#include "server/redis/topic_scripts.hpp"

namespace outloud::redis {

struct ScriptSet {
  Script append{lua::kAppend};
  Script read_range{lua::kReadRange};
  Script save_state{lua::kSaveState};
  Script update_room{lua::kUpdateRoom};
  Script read_message{lua::kReadMessage};
  Script change_message{lua::kChangeMessage};
  Script changes_since{lua::kChangesSince};
  Script presence_join{lua::kPresenceJoin};
  Script presence_leave{lua::kPresenceLeave};
  Script presence_set_state{lua::kPresenceSetState};
  Script presence_list{lua::kPresenceList};
  Script presence_page{lua::kPresencePage};
  Script presence_refresh{lua::kPresenceRefresh};
  Script presence_sweep{lua::kPresenceSweep};
  Script topic_page{lua::kTopicPage};
  Script list_topics{lua::kListTopics};
  Script mark_read{lua::kMarkRead};
  Script read_progress{lua::kReadProgress};
  Script note_mentions{lua::kNoteMentions};
};

// Reads an integer reply, or a string reply holding one (Lua returns strings for big numbers).
inline bool reply_int(const Reply& reply, long long& out) {
  if (reply.type == Reply::Type::integer) {
    out = reply.integer;
    return true;
  }
  if (reply.type != Reply::Type::string || reply.str.empty()) return false;
  try {
    std::size_t used = 0;
    out = std::stoll(reply.str, &used);
    return used == reply.str.size();
  } catch (...) {
    return false;
  }
}

}  // namespace outloud::redis
