// The Redis key layout, all under one prefix ("outloud:" by default). Keys of one room share the
// hash tag {room}, so a room's script touches one cluster slot apart from the rooms index.
//
//   <p>rooms                      hash  room id -> room JSON
//   <p>seq:{room}                 string: the room's last seq
//   <p>stream:{room}              stream: entry id "<seq>-0", field m = the `message` event JSON
//   <p>nonce:{room}:<n>:<user>:<nonce>   string: seq of the first message, expires after 24 h
//   <p>state:{room}               hash  version, json (facilitation state, compare-and-set)
//   <p>edits:{room}               hash  seq -> the message's current JSON once edited or deleted
//                                 (stream entries cannot change: reads prefer this)
//   <p>changes:{room}             zset  seq scored by the room's change version of its last change
//   <p>changever:{room}           string: the room's last change version
//   <p>topics:{room}              zset  topic -> its last seq (topics.hpp)
//   <p>topicts:{room}             hash  topic -> ts of its last message
//   <p>topic:{room}:<topic>       zset  the topic's seqs (member and score the seq)
//   <p>reads:<user id>            hash  "<room>\n<topic>" -> read marker ("<room>\n": the whole room)
//   <p>presence:{room}:conns      hash  conn key -> user id
//   <p>presence:{room}:users      hash  user id -> user JSON
//   <p>presence:{room}:counts     hash  user id -> number of connections
//   <p>presence:{room}:state      hash  user id -> online|away
//   <p>presence:{room}:since      hash  user id -> ms
//   <p>presence:expiry            zset  "<room>\n<conn key>" scored by its deadline (ms, Redis clock)
//   channel <p>db<N>:room:<room>  pub/sub: bus envelopes (see envelope.hpp). Pub/sub ignores SELECT,
//                                 so the database number keeps deployments on one Redis apart.
#pragma once

#include <string>
#include <string_view>

namespace outloud::redis {

class Keys {
 public:
  explicit Keys(std::string prefix = "outloud:", int db = 0)
      : prefix_(std::move(prefix)), channel_prefix_(prefix_ + "db" + std::to_string(db) + ":room:") {}

  std::string rooms() const { return prefix_ + "rooms"; }
  std::string seq(std::string_view room) const { return tagged("seq:", room); }
  std::string stream(std::string_view room) const { return tagged("stream:", room); }
  std::string nonce(std::string_view room, std::string_view user_id, std::string_view nonce) const {
    // The user id's length keeps "a:b"+"c" apart from "a"+"b:c".
    return tagged("nonce:", room) + ":" + std::to_string(user_id.size()) + ":" + std::string(user_id) + ":" +
           std::string(nonce);
  }
  std::string state(std::string_view room) const { return tagged("state:", room); }
  std::string edits(std::string_view room) const { return tagged("edits:", room); }
  std::string changes(std::string_view room) const { return tagged("changes:", room); }
  std::string change_version(std::string_view room) const { return tagged("changever:", room); }
  std::string topics(std::string_view room) const { return tagged("topics:", room); }
  std::string topic_times(std::string_view room) const { return tagged("topicts:", room); }
  // A topic's key is this prefix followed by the topic.
  std::string topic_prefix(std::string_view room) const { return tagged("topic:", room) + ":"; }
  std::string reads(std::string_view user_id) const { return prefix_ + "reads:" + std::string(user_id); }
  // The field of the room's own marker in `reads`; a topic's is this followed by the topic.
  static std::string room_marker_field(std::string_view room) { return std::string(room) + "\n"; }
  // The seqs of the room's messages that name this person (a sorted set scored by seq).
  std::string mentions(std::string_view room, std::string_view user_id) const {
    return tagged("mentions:", room) + ":" + std::string(user_id);
  }
  std::string presence(std::string_view room, std::string_view part) const {
    return tagged("presence:", room) + ":" + std::string(part);
  }
  std::string presence_expiry() const { return prefix_ + "presence:expiry"; }
  std::string presence_prefix() const { return prefix_ + "presence:"; }
  std::string channel(std::string_view room) const { return channel_prefix_ + std::string(room); }
  const std::string& channel_prefix() const { return channel_prefix_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string tagged(std::string_view kind, std::string_view room) const {
    return prefix_ + std::string(kind) + "{" + std::string(room) + "}";
  }
  std::string prefix_;
  std::string channel_prefix_;
};

}  // namespace outloud::redis
