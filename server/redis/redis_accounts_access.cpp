// Invitations, sign-in and setup codes, room memberships and the audit log of the Redis AccountStore.
#include <algorithm>

#include "server/redis/account_codec.hpp"
#include "server/redis/account_replies.hpp"
#include "server/redis/redis_accounts.hpp"
#include "server/redis/reply_failure.hpp"
#include "server/redis/script_set.hpp"

namespace outloud::redis {

using accounts::AuditEvent;
using accounts::Invitation;
using accounts::Membership;
using accounts::SignInCode;
using backend::Callback;
using backend::Error;
using backend::Result;
using protocol::ErrorCode;

namespace {

// Keys of codes live this long past the code's expiry: the check against the caller's clock decides,
// the TTL only tidies up (and so tolerates clocks that differ from Redis').
constexpr std::int64_t kExpiredKeptMs = 24LL * 60 * 60 * 1000;

Error not_found(const char* what) { return Error{ErrorCode::not_found, what}; }

}  // namespace

// ---- invitations ----

void RedisAccounts::create_invitation(Invitation invitation, Callback<accounts::Unit> done) {
  std::vector<std::string> keys{keys_.invitation(invitation.id), keys_.code(invitation.code_hash),
                                keys_.invitations()};
  const bool listed = !invitation.revoked && invitation.uses_left > 0;
  std::vector<std::string> args{invitation.id, std::to_string(invitation.created_at), listed ? "1" : "0",
                                std::to_string(std::max<std::int64_t>(invitation.expires_at, 0) + kExpiredKeptMs)};
  auto fields = invitation_fields(invitation);
  args.insert(args.end(), fields.begin(), fields.end());
  write(scripts_.create_invitation, "an invitation", std::move(keys), std::move(args), [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot store the invitation")) return done(*error);
    if (reply.value().integer != 1) return done(Error{ErrorCode::conflict, "the invitation exists"});
    done(accounts::Unit{});
  });
}

void RedisAccounts::get_invitation(std::string id, Callback<std::optional<Invitation>> done) {
  connection_->command({"HGETALL", keys_.invitation(id)}, [id, done = std::move(done)](Result<Reply> reply) mutable {
    if (auto error = reply_failure(reply, "cannot read the invitation")) return done(*error);
    if (reply.value().elements.empty()) return done(std::optional<Invitation>());
    auto invitation = invitation_from(std::move(id), reply.value());
    if (!invitation) return done(backend::internal_error("unreadable invitation"));
    done(std::optional<Invitation>(std::move(invitation)));
  });
}

void RedisAccounts::redeem_invitation(std::string code_hash, std::int64_t now, Callback<Invitation> done) {
  write(scripts_.redeem_invitation, "a redeemed invitation", {keys_.code(code_hash), keys_.invitations()}, {keys_.base(), std::to_string(now)},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot redeem the invitation")) return done(*error);
        auto invitation = record_answer<Invitation>(reply.value(), invitation_from, "unreadable invitation");
        if (!invitation.ok()) return done(invitation.error());
        if (!invitation.value()) return done(not_found("no such invitation"));
        done(std::move(*invitation.value()));
      });
}

void RedisAccounts::list_invitations(std::int64_t now, int limit, Callback<std::vector<Invitation>> done) {
  run(scripts_.list_invitations, {keys_.invitations()},
      {keys_.base(), std::to_string(now), std::to_string(std::max(limit, 0)), std::to_string(kExpiredKeptMs)},
      [limit, done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot list the invitations")) return done(*error);
        auto invitations = record_list<Invitation>(reply.value(), invitation_from, "unreadable invitation");
        newest_first(invitations, limit);
        done(std::move(invitations));
      });
}

void RedisAccounts::revoke_invitation(std::string id, Callback<Invitation> done) {
  write(scripts_.revoke_invitation, "a revoked invitation", {keys_.invitation(id), keys_.invitations()}, {id},
      [id, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot revoke the invitation")) return done(*error);
        if (reply.value().elements.empty()) return done(not_found("no such invitation"));
        auto invitation = invitation_from(std::move(id), reply.value());
        if (!invitation) return done(backend::internal_error("unreadable invitation"));
        done(std::move(*invitation));
      });
}

// ---- codes ----

void RedisAccounts::create_sign_in_code(SignInCode code, Callback<accounts::Unit> done) {
  const std::int64_t drop_at = std::max<std::int64_t>(code.expires_at, 0) + kExpiredKeptMs;
  connection_->command({"SET", keys_.sign_in(code.code_hash), sign_in_code_json(code), "PXAT", std::to_string(drop_at)},
                       [done = std::move(done)](Result<Reply> reply) {
                         if (auto error = reply_failure(reply, "cannot store the sign-in code")) return done(*error);
                         done(accounts::Unit{});
                       });
}

void RedisAccounts::consume_sign_in_code(std::string code_hash, std::int64_t now, Callback<SignInCode> done) {
  // GETDEL: of two concurrent uses, exactly one reads it.
  write_command({"GETDEL", keys_.sign_in(code_hash)}, "a used sign-in code",
                       [code_hash, now, done = std::move(done)](Result<Reply> reply) mutable {
                         if (auto error = reply_failure(reply, "cannot use the sign-in code")) return done(*error);
                         if (reply.value().is_nil()) return done(not_found("no such code"));
                         auto code = sign_in_code_from(std::move(code_hash), reply.value().str);
                         if (!code) return done(backend::internal_error("unreadable sign-in code"));
                         if (code->expires_at <= now) return done(not_found("no such code"));
                         done(std::move(*code));
                       });
}

void RedisAccounts::put_setup_code(std::string code_hash, Callback<accounts::Unit> done) {
  write(scripts_.put_setup_code, "a setup code",
        {keys_.setup_codes(), keys_.legacy_setup(), keys_.setup_done(), keys_.admins()}, {std::move(code_hash)},
        [done = std::move(done)](Result<Reply> reply) {
          if (auto error = reply_failure(reply, "cannot store the setup code")) return done(*error);
          if (reply.value().integer != 1) return done(Error{ErrorCode::conflict, "setup is done"});
          done(accounts::Unit{});
        });
}

void RedisAccounts::consume_setup_code(std::string code_hash, Callback<accounts::Unit> done) {
  write(scripts_.consume_setup_code, "a used setup code",
        {keys_.setup_codes(), keys_.legacy_setup(), keys_.setup_done()}, {std::move(code_hash)},
      [done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot use the setup code")) return done(*error);
        if (reply.value().integer != 1) return done(not_found("no such code"));
        done(accounts::Unit{});
      });
}

// ---- room memberships ----

void RedisAccounts::write_member(Membership member, bool only_if_new, Callback<Membership> done) {
  std::vector<std::string> keys{keys_.members(member.room), keys_.members_since(member.room),
                                keys_.rooms_of(member.user)};
  std::vector<std::string> args{member.user, membership_json(member), std::to_string(member.since), member.room,
                                only_if_new ? "1" : "0"};
  write(scripts_.put_member, "a room membership", std::move(keys), std::move(args),
      [member = std::move(member), done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot store the membership")) return done(*error);
        const auto& e = reply.value().elements;
        if (e.size() == 2) {  // only-if-new found one: answer the stored one
          auto stored = membership_from(member.room, member.user, e[1].str);
          if (!stored) return done(backend::internal_error("unreadable membership"));
          return done(std::move(*stored));
        }
        done(std::move(member));
      });
}

void RedisAccounts::put_member(Membership member, Callback<Membership> done) {
  write_member(std::move(member), false, std::move(done));
}

void RedisAccounts::ensure_member(Membership member, Callback<Membership> done) {
  write_member(std::move(member), true, std::move(done));
}

void RedisAccounts::get_member(std::string room, std::string user, Callback<std::optional<Membership>> done) {
  connection_->command({"HGET", keys_.members(room), user},
                       [room, user, done = std::move(done)](Result<Reply> reply) mutable {
                         if (auto error = reply_failure(reply, "cannot read the membership")) return done(*error);
                         if (reply.value().is_nil()) return done(std::optional<Membership>());
                         auto member = membership_from(std::move(room), std::move(user), reply.value().str);
                         if (!member) return done(backend::internal_error("unreadable membership"));
                         done(std::optional<Membership>(std::move(member)));
                       });
}

void RedisAccounts::list_members(std::string room, int limit, Callback<std::vector<Membership>> done) {
  run(scripts_.list_members, {keys_.members(room), keys_.members_since(room)}, {std::to_string(limit)},
      [room, done = std::move(done)](Result<Reply> reply) {
        if (auto error = reply_failure(reply, "cannot list the members")) return done(*error);
        const auto& e = reply.value().elements;
        std::vector<Membership> members;
        members.reserve(e.size() / 2);
        for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
          if (auto member = membership_from(room, e[i].str, e[i + 1].str)) {
            members.push_back(std::move(*member));
          } else {
            log::error("redis: unreadable membership skipped");
          }
        }
        done(std::move(members));
      });
}

void RedisAccounts::rooms_of(std::string user, Callback<std::vector<std::string>> done) {
  connection_->command({"SMEMBERS", keys_.rooms_of(user)}, [done = std::move(done)](Result<Reply> reply) {
    if (auto error = reply_failure(reply, "cannot read the memberships")) return done(*error);
    std::vector<std::string> rooms;
    rooms.reserve(reply.value().elements.size());
    for (const auto& room : reply.value().elements) rooms.push_back(room.str);
    std::sort(rooms.begin(), rooms.end());
    done(std::move(rooms));
  });
}

void RedisAccounts::remove_member(std::string room, std::string user, Callback<Membership> done) {
  write(scripts_.remove_member, "a removed membership", {keys_.members(room), keys_.members_since(room), keys_.rooms_of(user)}, {user, room},
      [room, user, done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot remove the membership")) return done(*error);
        if (reply.value().is_nil()) return done(not_found("not a member"));
        auto member = membership_from(std::move(room), std::move(user), reply.value().str);
        if (!member) return done(backend::internal_error("unreadable membership"));
        done(std::move(*member));
      });
}

// ---- audit ----

void RedisAccounts::append_audit(AuditEvent event, Callback<AuditEvent> done) {
  event.ts = std::max<std::int64_t>(event.ts, 0);
  std::vector<std::string> args{std::to_string(event.ts)};
  auto fields = audit_fields(event);
  args.insert(args.end(), fields.begin(), fields.end());
  write(scripts_.append_audit, "an audit entry", {keys_.audit()}, std::move(args),
      [event = std::move(event), done = std::move(done)](Result<Reply> reply) mutable {
        if (auto error = reply_failure(reply, "cannot store the audit event")) return done(*error);
        long long ts = 0;
        if (!reply_int(reply.value(), ts)) return done(backend::internal_error("bad audit reply"));
        event.ts = ts;
        done(std::move(event));
      });
}

void RedisAccounts::audit_page(std::optional<std::int64_t> before, int limit,
                               Callback<std::vector<AuditEvent>> done) {
  // Entry ids are "<ts>-1": "(<before>-0" excludes exactly the events at or after `before`.
  // Nothing can come before ts 0, and no entry has id 0-0: that range reads nothing.
  const bool nothing = limit <= 0 || (before && *before <= 0);
  std::string end = nothing ? "0-0" : before ? "(" + std::to_string(*before) + "-0" : "+";
  std::string start = nothing ? "0-0" : "-";
  connection_->command({"XREVRANGE", keys_.audit(), std::move(end), std::move(start), "COUNT",
                        std::to_string(std::max(limit, 1))},
                       [done = std::move(done)](Result<Reply> reply) {
                         if (auto error = reply_failure(reply, "cannot read the audit log")) return done(*error);
                         std::vector<AuditEvent> events;
                         events.reserve(reply.value().elements.size());
                         for (const auto& entry : reply.value().elements) {
                           if (auto event = audit_from(entry)) {
                             events.push_back(std::move(*event));
                           } else {
                             log::error("redis: unreadable audit event skipped");
                           }
                         }
                         done(std::move(events));
                       });
}

}  // namespace outloud::redis
