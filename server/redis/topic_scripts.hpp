// Lua scripts of topics and read markers (keys.hpp). A topic's seqs index the room's stream; the
// stream's oldest entry bounds what is counted and read, so trimmed messages drop out by themselves.
#pragma once

namespace outloud::redis::lua {

#define OUTLOUD_REDIS_OLDEST_SEQ \
  "local function oldest_seq(stream, seq_key)\n" \
  "  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)\n" \
  "  if first[1] then return tonumber(string.match(first[1][1], '^(%d+)')) end\n" \
  "  return tonumber(redis.call('GET', seq_key) or '0') + 1\n" \
  "end\n"

// One topic's messages. KEYS: seq, stream, the topic's seqs. ARGV: "after"|"before"|"latest", bound,
// limit. Returns {head, json...}, descending except for "after".
inline constexpr const char* kTopicPage = OUTLOUD_REDIS_OLDEST_SEQ R"lua(
local out = {redis.call('GET', KEYS[1]) or '0'}
local lowest = oldest_seq(KEYS[2], KEYS[1])
local seqs
if ARGV[1] == 'after' then
  seqs = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. math.max(tonumber(ARGV[2]), lowest - 1), '+inf', 'LIMIT', 0, tonumber(ARGV[3]))
elseif ARGV[1] == 'before' then
  seqs = redis.call('ZREVRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], lowest, 'LIMIT', 0, tonumber(ARGV[3]))
else
  seqs = redis.call('ZREVRANGEBYSCORE', KEYS[3], '+inf', lowest, 'LIMIT', 0, tonumber(ARGV[3]))
end
for _, seq in ipairs(seqs) do
  local entry = redis.call('XRANGE', KEYS[2], seq .. '-0', seq .. '-0')
  if entry[1] then out[#out + 1] = entry[1][2][2] end
end
return out
)lua";

// A page of a room's topics, most recently active first. KEYS: topics, topic times, seq, stream,
// reads. ARGV: before ("0": from the newest), limit, topic key prefix, "<room>\n", unread cap.
// Returns {topic, last seq, last ts, count, unread}...
inline constexpr const char* kListTopics = OUTLOUD_REDIS_OLDEST_SEQ R"lua(
local top = ARGV[1] == '0' and '+inf' or '(' .. ARGV[1]
local page = redis.call('ZREVRANGEBYSCORE', KEYS[1], top, '-inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local lowest = oldest_seq(KEYS[4], KEYS[3])
local room_read = tonumber(redis.call('HGET', KEYS[5], ARGV[4]) or '0')
local cap = tonumber(ARGV[5])
local out = {}
for i = 1, #page, 2 do
  local topic = page[i]
  local key = ARGV[3] .. topic
  local marker = math.max(room_read, tonumber(redis.call('HGET', KEYS[5], ARGV[4] .. topic) or '0'), lowest - 1)
  local unread = redis.call('ZCOUNT', key, '(' .. marker, '+inf')
  out[#out + 1] = topic
  out[#out + 1] = page[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], topic) or '0'
  out[#out + 1] = redis.call('ZCOUNT', key, lowest, '+inf')
  out[#out + 1] = math.min(unread, cap)
end
return out
)lua";

// Raises a read marker. KEYS: reads. ARGV: field, seq. Returns the marker as stored.
inline constexpr const char* kMarkRead = R"lua(
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local seq = tonumber(ARGV[2])
if seq > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return tostring(current)
)lua";

// For each room: its last seq, the person's marker of the whole room and the person's mentions after
// it among messages still kept. KEYS: reads, then per room its seq, stream and the person's mentions.
// ARGV: the count cap, then per room its marker field. Returns {last seq, marker, mentions}...
inline constexpr const char* kReadProgress = OUTLOUD_REDIS_OLDEST_SEQ R"lua(
local cap = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local at = 2 + (i - 2) * 3
  local last = tonumber(redis.call('GET', KEYS[at]) or '0')
  local read = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local from = math.max(read, oldest_seq(KEYS[at + 1], KEYS[at]) - 1)
  out[#out + 1] = last
  out[#out + 1] = read
  out[#out + 1] = math.min(redis.call('ZCOUNT', KEYS[at + 2], '(' .. from, '+inf'), cap)
end
return out
)lua";

// Keeps a message's seq among each named person's mentions, the newest ARGV[2] of them.
// KEYS: the people's mention sets. ARGV: seq, how many to keep.
inline constexpr const char* kNoteMentions = R"lua(
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[1])
  redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[2]) + 1))
end
return 1
)lua";

#undef OUTLOUD_REDIS_OLDEST_SEQ

}  // namespace outloud::redis::lua
