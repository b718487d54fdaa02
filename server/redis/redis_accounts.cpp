// Organisations, people and sessions of the Redis AccountStore (the rest: redis_accounts_access.cpp).
#include "server/redis/redis_accounts.hpp"

#include <algorithm>

#include "server/redis/account_codec.hpp"
#include "server/redis/account_replies.hpp"
#include "server/redis/reply_failure.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

using accounts::Account;
using accounts::Session;
using backend::Callback;
using backend::Error;
using backend::Result;
using protocol::ErrorCode;
using protocol::Org;

namespace {

std::optional<Org> org_from(std::string id, const Reply& name, const Reply& domains) {
  if (name.type != Reply::Type::string) return std::nullopt;
  auto parsed = domains_from(domains.type == Reply::Type::string ? domains.str : "[]");
  if (!parsed) return std::nullopt;
  return Org{std::move(id), name.str, std::move(*parsed)};
}

// {id, name, domains JSON} as the org scripts answer; {} for none.
Result<std::optional<Org>> org_answer(const Reply& reply) {
  const auto& e = reply.elements;
  if (e.empty()) return std::optional<Org>();
  auto org = e.size() == 3 ? org_from(e[0].str, e[1], e[2]) : std::nullopt;
  if (!org) return backend::internal_error("unreadable organisation");
  return std::optional<Org>(std::move(org));
}

std::string ascii_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// When a session last used at `last_used` lapses (ms since the epoch), or 0 for never.
std::int64_t expiry_of(std::int64_t last_used, std::int64_t idle_ms) { return idle_ms > 0 ? last_used + idle_ms : 0; }

}  // namespace

RedisAccounts::RedisAccounts(std::shared_ptr<Connection> connection, const std::string& key_prefix, WaitReplicas wait,
                             std::int64_t session_idle_ms)
    : connection_(std::move(connection)), keys_(key_prefix), replicas_(connection_, wait),
      session_idle_ms_(session_idle_ms) {}

void RedisAccounts::run(Script& script, std::vector<std::string> keys, std::vector<std::string> args,
                        ReplyCallback done) {
  script.run(connection_, std::move(keys), std::move(args), std::move(done));
}

void RedisAccounts::write(Script& script, const char* what, std::vector<std::string> keys,
                          std::vector<std::string> args, ReplyCallback done) {
  if (!replicas_.enabled()) return run(script, std::move(keys), std::move(args), std::move(done));
  script.run(connection_, std::move(keys), std::move(args),
             [replicas = replicas_, what, done = std::move(done)](Result<Reply> reply) mutable {
               replicas.confirm_reply(what, std::move(reply), std::move(done));
             });
}

void RedisAccounts::write_command(std::vector<std::string> argv, const char* what, ReplyCallback done) {
  if (!replicas_.enabled()) return connection_->command(std::move(argv), std::move(done));
  connection_->command(std::move(argv), [replicas = replicas_, what, done = std::move(done)](Result<Reply> reply) mutable {
    replicas.confirm_reply(what, std::move(reply), std::move(done));
  });
}

// ---- organisations ----

void RedisAccounts::put_org(Org org, Callback<Org> done) {
  std::sort(org.domains.begin(), org.domains.end());
  org.domains.erase(std::unique(org.domains.begin(), org.domains.end()), org.domains.end());
  std::vector<std::string> args{keys_.base(), org.id, org.name, domains_json(org.domains)};
  args.insert(args.end(), org.domains.begin(), org.domains.end());
  write(scripts_.put_org, "an organisation", {keys_.org(org.id), keys_.orgs()}, std::move(args),
      [org, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot store the organisation")) return done(*error);
        const auto& e = reply.value().elements;
        long long stored = 0;
        if (e.empty() || !reply_int(e[0], stored)) return done(backend::internal_error("bad organisation reply"));
        if (stored == 0) {
          return done(Error{ErrorCode::conflict,
                            "the domain " + (e.size() > 1 ? e[1].str : "") + " belongs to another organisation"});
        }
        done(std::move(org));
      });
}

void RedisAccounts::get_org(std::string id, Callback<std::optional<Org>> done) {
  connection_->command({"HMGET", keys_.org(id), "name", "domains"},
                       [id, done = std::move(done)](Result<Reply> reply) mutable {
                         if (auto error = reply_failure(reply, "cannot read the organisation")) return done(*error);
                         const auto& e = reply.value().elements;
                         if (e.size() != 2) return done(backend::internal_error("bad organisation reply"));
                         if (e[0].is_nil()) return done(std::optional<Org>());
                         auto org = org_from(std::move(id), e[0], e[1]);
                         if (!org) return done(backend::internal_error("unreadable organisation"));
                         done(std::optional<Org>(std::move(org)));
                       });
}

void RedisAccounts::list_orgs(Callback<std::vector<Org>> done) {
  run(scripts_.list_orgs, {keys_.orgs()}, {keys_.base()}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot list the organisations")) return done(*error);
    const auto& e = reply.value().elements;
    std::vector<Org> orgs;
    for (std::size_t i = 0; i + 2 < e.size(); i += 3) {
      if (auto org = org_from(e[i].str, e[i + 1], e[i + 2])) orgs.push_back(std::move(*org));
    }
    done(std::move(orgs));
  });
}

void RedisAccounts::find_org_by_domain(std::string domain, Callback<std::optional<Org>> done) {
  run(scripts_.org_by_domain, {keys_.domain(domain)}, {keys_.base()}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot read the organisation")) return done(*error);
    done(org_answer(reply.value()));
  });
}

// ---- people ----

void RedisAccounts::create_account(Account account, Callback<Account> done) {
  const std::string& id = account.user.id;
  std::vector<std::string> keys{keys_.user(id), keys_.people(),
                                account.email ? keys_.email(*account.email) : keys_.user(id), keys_.admins()};
  std::vector<std::string> args{id, account.email ? "1" : "0", people_member(account), account.admin ? "1" : "0"};
  auto fields = account_fields(account);
  args.insert(args.end(), fields.begin(), fields.end());
  write(scripts_.create_account, "an account", std::move(keys), std::move(args),
      [account = std::move(account), done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot store the account")) return done(*error);
        if (reply.value().integer == 0) return done(Error{ErrorCode::conflict, "the account exists"});
        if (reply.value().integer < 0) {
          return done(Error{ErrorCode::conflict, "the email belongs to another account"});
        }
        done(std::move(account));
      });
}

void RedisAccounts::get_account(std::string user, Callback<std::optional<Account>> done) {
  connection_->command({"HGETALL", keys_.user(user)}, [user, done = std::move(done)](Result<Reply> reply) mutable {
    if (auto error = reply_failure(reply, "cannot read the account")) return done(*error);
    if (reply.value().elements.empty()) return done(std::optional<Account>());
    auto account = account_from(std::move(user), reply.value());
    if (!account) return done(backend::internal_error("unreadable account"));
    done(std::optional<Account>(std::move(account)));
  });
}

void RedisAccounts::find_account_by_email(std::string email, Callback<std::optional<Account>> done) {
  run(scripts_.lookup, {keys_.email(email)}, {keys_.user("")}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot read the account")) return done(*error);
    done(record_answer<Account>(reply.value(), account_from, "unreadable account"));
  });
}

void RedisAccounts::find_accounts(std::string query, bool include_guests, int limit,
                                  Callback<std::vector<Account>> done) {
  run(scripts_.find_accounts, {keys_.people()},
      {keys_.base(), ascii_lower(std::move(query)), include_guests ? "1" : "0", std::to_string(std::max(limit, 0))},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot search the accounts")) return done(*error);
        done(record_list<Account>(reply.value(), account_from, "unreadable account"));
      });
}

void RedisAccounts::set_org_admin(std::string user, bool org_admin, Callback<Account> done) {
  write(scripts_.set_org_admin, "an organisation administrator", {keys_.user(user)}, {org_admin ? "1" : "0"},
      [user, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot store the account")) return done(*error);
        if (reply.value().elements.empty()) return done(Error{ErrorCode::not_found, "no such person"});
        auto account = account_from(std::move(user), reply.value());
        if (!account) return done(backend::internal_error("unreadable account"));
        done(std::move(*account));
      });
}

void RedisAccounts::has_admin(Callback<bool> done) {
  connection_->command({"SCARD", keys_.admins()}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot read the administrators")) return done(*error);
    done(reply.value().integer > 0);
  });
}

// ---- sessions ----

void RedisAccounts::create_session(Session session, Callback<accounts::Unit> done) {
  std::vector<std::string> keys{keys_.session(session.id), keys_.token(session.token_hash),
                                keys_.sessions_of(session.user)};
  std::vector<std::string> args{session.id, std::to_string(session.created_at), session.revoked ? "1" : "0",
                                std::to_string(expiry_of(session.last_used, session_idle_ms_))};
  auto fields = session_fields(session);
  args.insert(args.end(), fields.begin(), fields.end());
  write(scripts_.create_session, "a session", std::move(keys), std::move(args), [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot store the session")) return done(*error);
    if (reply.value().integer != 1) return done(Error{ErrorCode::conflict, "the session exists"});
    done(accounts::Unit{});
  });
}

void RedisAccounts::find_session(std::string token_hash, Callback<std::optional<Session>> done) {
  run(scripts_.lookup, {keys_.token(token_hash)}, {keys_.session("")}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot read the session")) return done(*error);
    done(record_answer<Session>(reply.value(), session_from, "unreadable session"));
  });
}

void RedisAccounts::get_session(std::string id, Callback<std::optional<Session>> done) {
  connection_->command({"HGETALL", keys_.session(id)}, [id, done = std::move(done)](Result<Reply> reply) mutable {
    if (auto error = reply_failure(reply, "cannot read the session")) return done(*error);
    if (reply.value().elements.empty()) return done(std::optional<Session>());
    auto session = session_from(std::move(id), reply.value());
    if (!session) return done(backend::internal_error("unreadable session"));
    done(std::optional<Session>(std::move(session)));
  });
}

void RedisAccounts::touch_session(std::string id, std::int64_t last_used, Callback<accounts::Unit> done) {
  run(scripts_.touch_session, {keys_.session(id)},
      {std::to_string(last_used), keys_.token(""), std::to_string(expiry_of(last_used, session_idle_ms_))},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot store the session")) return done(*error);
        done(accounts::Unit{});
      });
}

void RedisAccounts::list_sessions(std::string user, int limit, Callback<std::vector<Session>> done) {
  run(scripts_.list_sessions, {keys_.sessions_of(user)}, {keys_.base(), std::to_string(std::max(limit, 0))},
      [limit, done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot list the sessions")) return done(*error);
        auto sessions = record_list<Session>(reply.value(), session_from, "unreadable session");
        newest_first(sessions, limit);
        done(std::move(sessions));
      });
}

void RedisAccounts::delete_sessions_unused_since(std::int64_t, int, Callback<int> done) {
  done(0);  // their keys expire on their own (expiry_of), on Redis's clock rather than a sweep
}

void RedisAccounts::revoke_session(std::string id, Callback<Session> done) {
  write(scripts_.revoke_session, "a revoked session", {keys_.session(id)}, {keys_.base(), id},
      [id, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot revoke the session")) return done(*error);
        if (reply.value().elements.empty()) return done(Error{ErrorCode::not_found, "no such session"});
        auto session = session_from(std::move(id), reply.value());
        if (!session) return done(backend::internal_error("unreadable session"));
        done(std::move(*session));
      });
}

}  // namespace outloud::redis
