// The Lua scripts that make each Redis step atomic. Key names: see keys.hpp.
#pragma once

namespace outloud::redis::lua {

// Store a message: nonce check, room check, next seq, XADD, and (if asked) PUBLISH — one atomic
// step, so the channel carries a room's messages in seq order and nothing is published that was not
// stored. Without PUBLISH (when replicas must confirm first: WAIT) the node publishes the message
// itself once WAIT confirms (redis_store.cpp); the channel may then carry a room's seqs out of
// order, which each node's RoomSequencer puts back in order.
// The author's read markers move past their own message (Store::append).
// KEYS: rooms, seq, stream, nonce, topics, topic times, the topic's seqs, the author's reads. ARGV:
// room, event JSON before the seq, after the seq, nonce ttl ms ("0": do not keep it), has nonce
// ("1"/"0"), stream maxlen ("0": keep all), channel, topic, ts, publish ("1"/"0"), the room's marker
// field ("<room>\n").
// Returns {-1} no such room; {0, seq[, first event JSON]} duplicate nonce; {1, seq} stored.
inline constexpr const char* kAppend = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1} end
if ARGV[5] == '1' then
  local seen = redis.call('GET', KEYS[4])
  if seen then
    local entries = redis.call('XRANGE', KEYS[3], seen .. '-0', seen .. '-0')
    if entries[1] then return {0, seen, entries[1][2][2]} end
    return {0, seen}
  end
end
local seq = tostring(redis.call('INCR', KEYS[2]))
local body = ARGV[2] .. seq .. ARGV[3]
if ARGV[6] ~= '0' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], seq .. '-0', 'm', body)
else
  redis.call('XADD', KEYS[3], seq .. '-0', 'm', body)
end
if ARGV[5] == '1' and ARGV[4] ~= '0' then redis.call('SET', KEYS[4], seq, 'PX', ARGV[4]) end
redis.call('ZADD', KEYS[5], seq, ARGV[8])
redis.call('HSET', KEYS[6], ARGV[8], ARGV[9])
local previous = redis.call('ZREVRANGEBYSCORE', KEYS[7], '(' .. seq, '-inf', 'LIMIT', 0, 1)[1]
redis.call('ZADD', KEYS[7], seq, seq)
local room_read = tonumber(redis.call('HGET', KEYS[8], ARGV[11]) or '0')
local topic_read = tonumber(redis.call('HGET', KEYS[8], ARGV[11] .. ARGV[8]) or '0')
if math.max(room_read, topic_read) >= tonumber(previous or '0') then redis.call('HSET', KEYS[8], ARGV[11] .. ARGV[8], seq) end
if room_read == tonumber(seq) - 1 then redis.call('HSET', KEYS[8], ARGV[11], seq) end
if ARGV[10] == '1' then
  redis.call('PUBLISH', ARGV[7], 'O1m' .. string.len(seq) .. ':' .. seq .. '0:1:0' .. body)
end
return {1, seq}
)lua";

// A slice of a room's stream with the room's head, read atomically; an edited or deleted message
// is read in its current form. KEYS: seq, stream, edits. ARGV: XRANGE|XREVRANGE, start id, end id,
// count. Returns {head, json...}.
inline constexpr const char* kReadRange = R"lua(
local out = {redis.call('GET', KEYS[1]) or '0'}
local entries = redis.call(ARGV[1], KEYS[2], ARGV[2], ARGV[3], 'COUNT', ARGV[4])
for _, entry in ipairs(entries) do
  local seq = string.sub(entry[1], 1, string.find(entry[1], '-', 1, true) - 1)
  out[#out + 1] = redis.call('HGET', KEYS[3], seq) or entry[2][2]
end
return out
)lua";

// One message as it stands. KEYS: stream, edits. ARGV: seq. Returns {edited JSON or '', stored JSON},
// or {'', ''} when the stream no longer holds it (never stored, or trimmed by retention: an edit
// left behind in edits:{room} does not bring it back).
inline constexpr const char* kReadMessage = R"lua(
local entries = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', ARGV[1] .. '-0')
if not entries[1] then return {'', ''} end
return {redis.call('HGET', KEYS[2], ARGV[1]) or '', entries[1][2][2]}
)lua";

// Compare-and-set of a message's current form, with the room's next change version.
// KEYS: rooms, edits, changes, change version. ARGV: room, seq, the edited JSON read ('' if none),
// new JSON. Returns {-1} no such room, {0} changed meanwhile (read again), {1, version}.
inline constexpr const char* kChangeMessage = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1} end
if (redis.call('HGET', KEYS[2], ARGV[2]) or '') ~= ARGV[3] then return {0} end
local version = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], version, ARGV[2])
return {1, version}
)lua";

// The messages changed after a version. KEYS: rooms, change version, changes, edits. ARGV: room,
// since ('' : none), count. Returns {-1} no such room, else {1, room version, (version, JSON)...}.
inline constexpr const char* kChangesSince = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1} end
local out = {1, redis.call('GET', KEYS[2]) or '0'}
if ARGV[2] == '' then return out end
local seqs = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #seqs, 2 do
  out[#out + 1] = seqs[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[4], seqs[i]) or ''
end
return out
)lua";

// Compare-and-set of a room's facilitation state. KEYS: state. ARGV: expected version, json.
inline constexpr const char* kSaveState = R"lua(
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', tostring(version + 1), 'json', ARGV[2])
return 1
)lua";

// Replaces a room's record if it exists (rooms are never deleted, so no id is revived).
inline constexpr const char* kUpdateRoom = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// Deadlines use the Redis clock, so nodes with skewed clocks agree on expiry.
#define OUTLOUD_REDIS_NOW \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// Forgets one user of a room once their connection count drops to zero (shared by the scripts).
#define OUTLOUD_REDIS_FORGET_USER \
  "local function forget(base, user)\n" \
  "  local record = redis.call('HGET', base .. 'users', user)\n" \
  "  redis.call('HDEL', base .. 'counts', user)\n" \
  "  redis.call('HDEL', base .. 'users', user)\n" \
  "  redis.call('HDEL', base .. 'state', user)\n" \
  "  redis.call('HDEL', base .. 'since', user)\n" \
  "  return record\n" \
  "end\n"

// KEYS: expiry. ARGV: presence base "<p>presence:{room}:", conn key, user id, user JSON, ttl ms,
// expiry member. Returns {first (1/0)[, user JSON of a stale user evicted from a reused conn key]}.
inline constexpr const char* kPresenceJoin = OUTLOUD_REDIS_NOW OUTLOUD_REDIS_FORGET_USER R"lua(
local base = ARGV[1]
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[6])
local previous = redis.call('HGET', base .. 'conns', ARGV[2])
if previous == ARGV[3] then return {0} end
local out = {0}
if previous then
  if redis.call('HINCRBY', base .. 'counts', previous, -1) <= 0 then
    local record = forget(base, previous)
    if record then out[2] = record end
  end
end
redis.call('HSET', base .. 'conns', ARGV[2], ARGV[3])
if redis.call('HINCRBY', base .. 'counts', ARGV[3], 1) == 1 then
  redis.call('HSET', base .. 'users', ARGV[3], ARGV[4])
  redis.call('HSET', base .. 'state', ARGV[3], 'online')
  redis.call('HSET', base .. 'since', ARGV[3], tostring(now))
  out[1] = 1
end
return out
)lua";

// KEYS: expiry. ARGV: presence base, conn key, user id, expiry member. Returns 1 if it was the
// user's last connection in the room.
inline constexpr const char* kPresenceLeave = OUTLOUD_REDIS_FORGET_USER R"lua(
local base = ARGV[1]
if redis.call('HGET', base .. 'conns', ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HDEL', base .. 'conns', ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[4])
if redis.call('HINCRBY', base .. 'counts', ARGV[3], -1) > 0 then return 0 end
forget(base, ARGV[3])
return 1
)lua";

// KEYS: state hash. ARGV: user id, state. Returns 1 if it changed.
inline constexpr const char* kPresenceSetState = R"lua(
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or current == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS: users, state, since. Returns {user JSON, state, since}...
inline constexpr const char* kPresenceList = R"lua(
local users = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #users, 2 do
  out[#out + 1] = users[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], users[i]) or 'online'
  out[#out + 1] = redis.call('HGET', KEYS[3], users[i]) or '0'
end
return out
)lua";

// KEYS: users, state, since. ARGV: HSCAN cursor, count. Returns {next cursor, users present,
// {user JSON, state, since}...}.
inline constexpr const char* kPresencePage = R"lua(
local scan = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', tonumber(ARGV[2]))
local out = {scan[1], redis.call('HLEN', KEYS[1])}
local users = scan[2]
for i = 1, #users, 2 do
  out[#out + 1] = users[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], users[i]) or 'online'
  out[#out + 1] = redis.call('HGET', KEYS[3], users[i]) or '0'
end
return out
)lua";

// Pushes the deadline of this node's live entries. KEYS: expiry. ARGV: ttl ms, member...
// XX: an entry already swept stays gone.
inline constexpr const char* kPresenceRefresh = OUTLOUD_REDIS_NOW R"lua(
local deadline = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
return #ARGV - 1
)lua";

// Removes entries past their deadline. The script is atomic, so exactly one node's sweep reports a
// user whose last entry vanished. KEYS: expiry. ARGV: presence prefix "<p>presence:", batch size.
// Returns {room, user JSON}...
inline constexpr const char* kPresenceSweep = OUTLOUD_REDIS_NOW OUTLOUD_REDIS_FORGET_USER R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local cut = string.find(member, '\n', 1, true)
  if cut then
    local room = string.sub(member, 1, cut - 1)
    local conn = string.sub(member, cut + 1)
    local base = ARGV[1] .. '{' .. room .. '}:'
    local user = redis.call('HGET', base .. 'conns', conn)
    if user then
      redis.call('HDEL', base .. 'conns', conn)
      if redis.call('HINCRBY', base .. 'counts', user, -1) <= 0 then
        local record = forget(base, user)
        if record then
          out[#out + 1] = room
          out[#out + 1] = record
        end
      end
    end
  end
end
return out
)lua";

#undef OUTLOUD_REDIS_NOW
#undef OUTLOUD_REDIS_FORGET_USER

}  // namespace outloud::redis::lua
