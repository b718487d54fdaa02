// The Lua scripts of the Redis AccountStore: each multi-key step is one atomic script, so two nodes
// redeeming one single-use code at once see exactly one success. Key names: account_keys.hpp; every
// script that builds keys of its own gets the accounts base "<prefix>{accounts}:" as ARGV[1] (the
// keys share its hash tag, so a script still touches one cluster slot).
#pragma once

#include "server/redis/script.hpp"

namespace outloud::redis {

namespace account_lua {

// Creates or replaces an organisation unless one of its domains belongs to another.
// KEYS: org, orgs. ARGV: base, id, name, domains JSON, domain... Returns {1} or {0, taken domain}.
inline constexpr const char* kPutOrg = R"lua(
local base, id = ARGV[1], ARGV[2]
for i = 5, #ARGV do
  local owner = redis.call('GET', base .. 'domain:' .. ARGV[i])
  if owner and owner ~= id then return {0, ARGV[i]} end
end
local old = redis.call('HGET', KEYS[1], 'domains')
if old then
  for _, domain in ipairs(cjson.decode(old)) do
    if redis.call('GET', base .. 'domain:' .. domain) == id then redis.call('DEL', base .. 'domain:' .. domain) end
  end
end
for i = 5, #ARGV do redis.call('SET', base .. 'domain:' .. ARGV[i], id) end
redis.call('HSET', KEYS[1], 'name', ARGV[3], 'domains', ARGV[4])
redis.call('ZADD', KEYS[2], 0, id)
return {1}
)lua";

// Every organisation in id order. KEYS: orgs. ARGV: base. Returns {id, name, domains JSON}...
inline constexpr const char* kListOrgs = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. 'org:' .. id, 'name', 'domains')
  if f[1] then
    out[#out + 1] = id
    out[#out + 1] = f[1]
    out[#out + 1] = f[2] or '[]'
  end
end
return out
)lua";

// KEYS: domain. ARGV: base. Returns {} or {id, name, domains JSON}.
inline constexpr const char* kOrgByDomain = R"lua(
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local f = redis.call('HMGET', ARGV[1] .. 'org:' .. id, 'name', 'domains')
if not f[1] then return {} end
return {id, f[1], f[2] or '[]'}
)lua";

// KEYS: user, people, email (the user key again when none), admins.
// ARGV: id, has email (1/0), people member, admin (1/0), field, value...
// Returns 1 created, 0 the id exists, -1 the email belongs to another account.
inline constexpr const char* kCreateAccount = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[2] == '1' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
  redis.call('SET', KEYS[3], ARGV[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], 0, ARGV[3])
if ARGV[4] == '1' then redis.call('SADD', KEYS[4], ARGV[1]) end
return 1
)lua";

// A record found through an index key holding its id (an email's account, a token's session).
// KEYS: index. ARGV: the record's key without the id ("<base>user:"). Returns {} or {id, fields}.
inline constexpr const char* kLookup = R"lua(
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local fields = redis.call('HGETALL', ARGV[1] .. id)
if #fields == 0 then return {} end
return {id, fields}
)lua";

// Accounts in name-then-id order whose name, id or email contains the query (ASCII lower case, as
// SQLite's lower()), guests only when asked, at most `limit`.
// KEYS: people. ARGV: base, lowered query, include guests (1/0), limit. Returns {{id, fields}...}.
inline constexpr const char* kFindAccounts = R"lua(
local base, query, guests, limit = ARGV[1], ARGV[2], ARGV[3] == '1', tonumber(ARGV[4])
local out = {}
local function has(text) return text ~= false and string.find(string.lower(text), query, 1, true) ~= nil end
local start = 0
while #out < limit do
  local batch = redis.call('ZRANGE', KEYS[1], start, start + 199)
  if #batch == 0 then break end
  start = start + 200
  for _, member in ipairs(batch) do
    local id = string.sub(member, string.find(member, '\0', 1, true) + 1)
    local key = base .. 'user:' .. id
    local f = redis.call('HMGET', key, 'name', 'email', 'guest')
    if f[1] and (guests or f[3] ~= '1') and (query == '' or has(f[1]) or has(id) or has(f[2])) then
      out[#out + 1] = {id, redis.call('HGETALL', key)}
      if #out >= limit then break end
    end
  end
end
return out
)lua";

// KEYS: user. ARGV: org_admin (1/0). Returns {} if there is no such account, else its fields.
inline constexpr const char* kSetOrgAdmin = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('HSET', KEYS[1], 'org_admin', ARGV[1])
return redis.call('HGETALL', KEYS[1])
)lua";

// KEYS: session, token, sessions of the user. ARGV: id, created_at, revoked (1/0), expiry (ms since
// the epoch when the session lapses unless used; 0: never), field, value...
// Returns 1, or 0 if the id or the token hash exists.
inline constexpr const char* kCreateSession = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[4] ~= '0' then
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
  redis.call('PEXPIREAT', KEYS[2], ARGV[4])
end
if ARGV[3] == '0' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return 1
)lua";

// last_used = max(last_used, ARGV[1]) if the session exists, and its keys' expiry moves on with it.
// KEYS: session. ARGV: last_used, the token key without the hash ("<base>token:"), expiry (0: never).
inline constexpr const char* kTouchSession = R"lua(
local current = redis.call('HGET', KEYS[1], 'last_used')
if current and tonumber(ARGV[1]) > tonumber(current) then
  redis.call('HSET', KEYS[1], 'last_used', ARGV[1])
  if ARGV[3] ~= '0' then
    redis.call('PEXPIREAT', KEYS[1], ARGV[3])
    redis.call('PEXPIREAT', ARGV[2] .. redis.call('HGET', KEYS[1], 'token_hash'), ARGV[3])
  end
end
return 0
)lua";

// Marks a session revoked; it leaves its user's list but stays findable by its token hash.
// KEYS: session. ARGV: base, id. Returns {} (none, or revoked already) or its fields as they were.
inline constexpr const char* kRevokeSession = R"lua(
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local f = redis.call('HMGET', KEYS[1], 'revoked', 'user')
if f[1] == '1' then return {} end
redis.call('HSET', KEYS[1], 'revoked', '1')
redis.call('ZREM', ARGV[1] .. 'sessions:' .. f[2], ARGV[2])
return fields
)lua";

// The newest entries of a zset scored by creation time: at least `limit` accepted ones (when there
// are), plus every one tied with the last on its score, so the caller's order of ties (by id) cuts
// exactly as SQLite's ORDER BY created_at DESC, id does. `accept(id)` filters.
#define OUTLOUD_REDIS_NEWEST \
  "local function newest(key, limit, accept)\n" \
  "  local out, last, start = {}, nil, 0\n" \
  "  if limit <= 0 then return out end\n" \
  "  while true do\n" \
  "    local batch = redis.call('ZREVRANGE', key, start, start + 99, 'WITHSCORES')\n" \
  "    if #batch == 0 then return out end\n" \
  "    for i = 1, #batch, 2 do\n" \
  "      local score = tonumber(batch[i + 1])\n" \
  "      if #out >= limit and score ~= last then return out end\n" \
  "      if accept(batch[i]) then\n" \
  "        out[#out + 1] = batch[i]\n" \
  "        last = score\n" \
  "      end\n" \
  "    end\n" \
  "    start = start + 100\n" \
  "  end\n" \
  "end\n"

// A user's sessions not revoked, newest first. KEYS: sessions of the user. ARGV: base, limit.
// Returns {{id, fields}...} (ties at the cut included; the caller sorts and cuts).
inline constexpr const char* kListSessions = OUTLOUD_REDIS_NEWEST R"lua(
local out, lapsed = {}, {}
-- A session whose keys expired (unused too long) leaves the list here, once the paging is over.
local function alive(id)
  if redis.call('EXISTS', ARGV[1] .. 'session:' .. id) == 1 then return true end
  lapsed[#lapsed + 1] = id
  return false
end
for _, id in ipairs(newest(KEYS[1], tonumber(ARGV[2]), alive)) do
  out[#out + 1] = {id, redis.call('HGETALL', ARGV[1] .. 'session:' .. id)}
end
for _, id in ipairs(lapsed) do redis.call('ZREM', KEYS[1], id) end
return out
)lua";

// KEYS: invitation, code, invitations. ARGV: id, created_at, listed (1/0: neither revoked nor used
// up), code key expiry (ms since the epoch), field, value... Returns 1, or 0 if id or code exists.
inline constexpr const char* kCreateInvitation = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[4])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return 1
)lua";

// Takes one use of the invitation with this code. KEYS: code, invitations. ARGV: base, now.
// Returns {} (unknown, revoked, used up or expired at now) or {id, fields after the use}.
inline constexpr const char* kRedeemInvitation = R"lua(
local id = redis.call('GET', KEYS[1])
if not id then return {} end
local key = ARGV[1] .. 'invitation:' .. id
local f = redis.call('HMGET', key, 'revoked', 'uses_left', 'expires_at')
if not f[2] or f[1] == '1' or tonumber(f[2]) <= 0 or tonumber(f[3]) <= tonumber(ARGV[2]) then return {} end
if redis.call('HINCRBY', key, 'uses_left', -1) <= 0 then redis.call('ZREM', KEYS[2], id) end
return {id, redis.call('HGETALL', key)}
)lua";

// Invitations neither revoked, used up nor expired at `now`, newest first; those expired for longer
// than ARGV[4] ms leave the list as they are passed. KEYS: invitations. ARGV: base, now, limit,
// grace. Returns {{id, fields}...} (ties at the cut included; the caller sorts and cuts).
inline constexpr const char* kListInvitations = OUTLOUD_REDIS_NEWEST R"lua(
local base, now = ARGV[1], tonumber(ARGV[2])
local stale = {}
local function live(id)
  local expires = tonumber(redis.call('HGET', base .. 'invitation:' .. id, 'expires_at') or '0')
  if expires <= now - tonumber(ARGV[4]) then stale[#stale + 1] = id end
  return expires > now
end
local out = {}
for _, id in ipairs(newest(KEYS[1], tonumber(ARGV[3]), live)) do
  out[#out + 1] = {id, redis.call('HGETALL', base .. 'invitation:' .. id)}
end
for _, id in ipairs(stale) do redis.call('ZREM', KEYS[1], id) end
return out
)lua";

// KEYS: invitation, invitations. ARGV: id. Returns {} if there is none, else its fields (revoked).
inline constexpr const char* kRevokeInvitation = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('HSET', KEYS[1], 'revoked', '1')
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
)lua";

// Adds a setup code; the earlier ones stay valid. The single code of earlier versions joins the set.
// None once a setup is done (a node that found no administrator a moment before one was made).
// KEYS: setup codes, legacy setup, setup done, admins. ARGV: code hash. Returns 1, or 0 if done.
inline constexpr const char* kPutSetupCode = R"lua(
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('SCARD', KEYS[4]) > 0 then return 0 end
local legacy = redis.call('GET', KEYS[2])
if legacy then
  redis.call('SADD', KEYS[1], legacy)
  redis.call('DEL', KEYS[2])
end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
)lua";

// If this is one of the setup codes, deletes them all and marks the setup done: one script, so of
// two setups at once, on any nodes, exactly one finds its code.
// KEYS: setup codes, legacy setup, setup done. ARGV: code hash. Returns 1 or 0.
inline constexpr const char* kConsumeSetupCode = R"lua(
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], '1')
return 1
)lua";

// Writes a membership. KEYS: members, members-since, rooms-of. ARGV: user, JSON, since, room,
// only if new (1/0). Returns {1} written, or {0, stored JSON} when only-if-new found one.
inline constexpr const char* kPutMember = R"lua(
if ARGV[5] == '1' then
  local existing = redis.call('HGET', KEYS[1], ARGV[1])
  if existing then return {0, existing} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[4])
return {1}
)lua";

// By since, then user id. KEYS: members, members-since. ARGV: limit. Returns {user, JSON}...
inline constexpr const char* kListMembers = R"lua(
local out = {}
if tonumber(ARGV[1]) <= 0 then return out end
for _, user in ipairs(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)) do
  local json = redis.call('HGET', KEYS[1], user)
  if json then
    out[#out + 1] = user
    out[#out + 1] = json
  end
end
return out
)lua";

// KEYS: members, members-since, rooms-of. ARGV: user, room. Returns the removed JSON or nil.
inline constexpr const char* kRemoveMember = R"lua(
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
return json
)lua";

// Appends an audit event with ts = max(ts, previous + 1), as entry id "<ts>-1" (ts 0 is allowed:
// "0-0" is not a valid id). KEYS: audit. ARGV: ts, field, value... Returns the ts stored.
inline constexpr const char* kAppendAudit = R"lua(
local ts = tonumber(ARGV[1])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then
  local previous = tonumber(string.match(last[1][1], '^(%d+)'))
  if previous >= ts then ts = previous + 1 end
end
local id = string.format('%.0f', ts)
redis.call('XADD', KEYS[1], id .. '-1', unpack(ARGV, 2))
return id
)lua";

#undef OUTLOUD_REDIS_NEWEST

}  // namespace account_lua

// One Script per step above, shared by every call of a node's AccountStore.
struct AccountScripts {
  Script put_org{account_lua::kPutOrg};
  Script list_orgs{account_lua::kListOrgs};
  Script org_by_domain{account_lua::kOrgByDomain};
  Script create_account{account_lua::kCreateAccount};
  Script lookup{account_lua::kLookup};
  Script find_accounts{account_lua::kFindAccounts};
  Script set_org_admin{account_lua::kSetOrgAdmin};
  Script create_session{account_lua::kCreateSession};
  Script touch_session{account_lua::kTouchSession};
  Script revoke_session{account_lua::kRevokeSession};
  Script list_sessions{account_lua::kListSessions};
  Script create_invitation{account_lua::kCreateInvitation};
  Script redeem_invitation{account_lua::kRedeemInvitation};
  Script list_invitations{account_lua::kListInvitations};
  Script revoke_invitation{account_lua::kRevokeInvitation};
  Script put_setup_code{account_lua::kPutSetupCode};
  Script consume_setup_code{account_lua::kConsumeSetupCode};
  Script put_member{account_lua::kPutMember};
  Script list_members{account_lua::kListMembers};
  Script remove_member{account_lua::kRemoveMember};
  Script append_audit{account_lua::kAppendAudit};
};

}  // namespace outloud::redis
