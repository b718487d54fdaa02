// How the Redis AccountStore writes its records (account_keys.hpp) and reads them back: accounts,
// sessions and invitations as hash fields, memberships and sign-in codes as small JSON values,
// audit events as stream entry fields. Readers answer nullopt for a record they cannot read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/accounts/account_store.hpp"
#include "server/redis/reply.hpp"

namespace outloud::redis {

// "field, value, field, value..." as HSET and XADD take them, and as HGETALL answers.
using Fields = std::vector<std::string>;

Fields account_fields(const accounts::Account& account);
std::optional<accounts::Account> account_from(std::string id, const Reply& fields);
// The `people` zset member that orders accounts by name, then id.
std::string people_member(const accounts::Account& account);

Fields session_fields(const accounts::Session& session);
std::optional<accounts::Session> session_from(std::string id, const Reply& fields);

Fields invitation_fields(const accounts::Invitation& invitation);
std::optional<accounts::Invitation> invitation_from(std::string id, const Reply& fields);

// Organisation domains: a JSON array of strings.
std::string domains_json(const std::vector<std::string>& domains);
std::optional<std::vector<std::string>> domains_from(std::string_view json);

std::string membership_json(const accounts::Membership& member);
std::optional<accounts::Membership> membership_from(std::string room, std::string user, std::string_view json);

std::string sign_in_code_json(const accounts::SignInCode& code);
std::optional<accounts::SignInCode> sign_in_code_from(std::string code_hash, std::string_view json);

// Everything but ts, which is the entry id.
Fields audit_fields(const accounts::AuditEvent& event);
// An XRANGE entry: {id, {field, value...}}.
std::optional<accounts::AuditEvent> audit_from(const Reply& entry);

}  // namespace outloud::redis
