// The accounts service: organisations, people, invitations, room memberships and the audit log.
#include "server/accounts/accounts.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "server/accounts/accounts_impl.hpp"
#include "server/accounts/validation.hpp"

namespace outloud::accounts {

namespace {

bool may_revoke(const Account& me, const Invitation& invitation) {
  return me.admin || invitation.created_by == me.user.id ||
         (me.org_admin && !me.user.guest && invitation.org == me.user.org);
}

bool leads(std::optional<protocol::Role> role) {
  return role == protocol::Role::owner || role == protocol::Role::facilitator;
}

// Resolves user ids to USER values in parallel; an id with no account shows as itself.
void resolve_users(AccountStore& store, std::vector<std::string> ids,
                   std::function<void(std::map<std::string, protocol::User>)> done) {
  std::set<std::string> unique(ids.begin(), ids.end());
  if (unique.empty()) return done({});
  struct Pending {
    std::mutex mutex;
    std::map<std::string, protocol::User> users;
    std::size_t left = 0;
    std::function<void(std::map<std::string, protocol::User>)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = unique.size();
  pending->done = std::move(done);
  for (const auto& id : unique) {
    store.get_account(id, [pending, id](Result<std::optional<Account>> account) {
      bool last = false;
      {
        std::lock_guard lock(pending->mutex);
        pending->users[id] = account && account.value() ? account.value()->user : protocol::User{id, id, "", false};
        last = --pending->left == 0;
      }
      if (last) pending->done(std::move(pending->users));
    });
  }
}

}  // namespace

// ---- organisations and people ----

void Accounts::orgs(const Identity& who, Callback<std::vector<protocol::Org>> done) {
  auto impl = impl_;
  impl->fresh<std::vector<protocol::Org>>(who, std::move(done), [impl](Account me, Callback<std::vector<protocol::Org>> done) {
    if (me.user.guest) return done(denied("guests do not see organisations"));
    impl->store.list_orgs(std::move(done));
  });
}

void Accounts::put_org(const Identity& who, protocol::Org org, Callback<protocol::Org> done) {
  if (!protocol::is_valid_slug(org.id)) return done(invalid("org.id: lower-case letters, digits and . _ ~ -"));
  if (!is_valid_org_name(org.name)) return done(invalid("org.name: 1 to 200 characters"));
  if (org.domains.size() > 20) return done(invalid("org.domains: at most 20"));
  std::set<std::string> domains;
  for (const auto& domain : org.domains) {
    auto normalized = normalize_domain(domain);
    if (!normalized) return done(invalid("org.domains: not a domain: " + domain));
    domains.insert(*normalized);
  }
  org.domains.assign(domains.begin(), domains.end());
  auto impl = impl_;
  impl->fresh<protocol::Org>(who, std::move(done), [impl, org = std::move(org)](Account me, Callback<protocol::Org> done) {
    if (!me.admin) return done(denied("only administrators change organisations"));
    impl->store.put_org(org, [impl, me, done = std::move(done)](Result<protocol::Org> stored) mutable {
      if (stored) {
        std::string detail = stored.value().name + "; domains:";
        for (const auto& d : stored.value().domains) detail += " " + d;
        impl->record(me.user, kAuditOrgChanged, stored.value().id, detail);
      }
      done(std::move(stored));
    });
  });
}

void Accounts::set_org_admin(const Identity& who, std::string user, bool org_admin, Callback<Account> done) {
  auto impl = impl_;
  impl->fresh<Account>(who, std::move(done), [impl, user = std::move(user), org_admin](Account me, Callback<Account> done) {
    if (!me.admin) return done(denied("only administrators name organisation administrators"));
    impl->store.get_account(user, [impl, me, org_admin, done = std::move(done)](Result<std::optional<Account>> target) mutable {
      if (!target) return done(target.error());
      if (!target.value()) return done(missing("no such person"));
      if (target.value()->user.guest && org_admin) return done(denied("a guest cannot administer an organisation"));
      impl->store.set_org_admin(target.value()->user.id, org_admin, [impl, me, org_admin, done = std::move(done)](
                                                                        Result<Account> changed) mutable {
        if (changed) {
          impl->record(me.user, kAuditOrgAdminChanged, changed.value().user.id,
                       std::string(org_admin ? "made" : "no longer") + " administrator of " + changed.value().user.org);
        }
        done(std::move(changed));
      });
    });
  });
}

void Accounts::people(const Identity& who, std::string query, Callback<std::vector<protocol::Person>> done) {
  if (query.size() > 200) return done(invalid("query: at most 200 characters"));
  auto impl = impl_;
  impl->fresh<std::vector<protocol::Person>>(who, std::move(done), [impl, query = std::move(query)](
                                                                       Account me, Callback<std::vector<protocol::Person>> done) {
    if (me.user.guest) return done(std::vector<protocol::Person>{});
    impl->store.find_accounts(query, false, impl->options.max_list, [me, done = std::move(done)](
                                                                        Result<std::vector<Account>> found) {
      if (!found) return done(found.error());
      std::vector<protocol::Person> people;
      people.reserve(found.value().size());
      for (auto& account : found.value()) {
        // The administration page shows and changes who administers what: its readers see it.
        const bool manages = me.admin || (me.org_admin && account.user.org == me.user.org);
        people.push_back({std::move(account.user), manages ? protocol::Privileges{account.admin, account.org_admin}
                                                           : protocol::Privileges{}});
      }
      done(std::move(people));
    });
  });
}

// ---- invitations ----

void Accounts::invite(const Identity& who, InviteRequest request, std::optional<protocol::Role> room_role,
                      Callback<CreatedInvitation> done) {
  if (!protocol::is_valid_slug(request.org)) return done(invalid("org: not an organisation id"));
  if (request.uses < 1 || request.uses > impl_->options.invitation_max_uses) {
    return done(invalid("uses: 1 to " + std::to_string(impl_->options.invitation_max_uses)));
  }
  if (request.hours < 1 || request.hours > impl_->options.invitation_max_hours) {
    return done(invalid("hours: 1 to " + std::to_string(impl_->options.invitation_max_hours)));
  }
  if (request.role == protocol::Role::owner) return done(invalid("role: a room has one owner, its creator"));
  if (request.guest && !request.room) return done(invalid("a guest is invited into one room"));
  // A guest is never owner or facilitator (the frame refuses it; this holds for any caller).
  if (request.guest && request.role == protocol::Role::facilitator) request.role = protocol::Role::member;
  auto impl = impl_;
  impl->fresh<CreatedInvitation>(who, std::move(done), [impl, request = std::move(request), room_role](
                                                           Account me, Callback<CreatedInvitation> done) {
    if (me.user.guest) return done(denied("guests cannot invite"));
    if (request.guest) {
      if (!leads(room_role)) return done(denied("only the room's owner or facilitators invite guests into it"));
    } else {
      if (!me.admin && !(me.org_admin && me.user.org == request.org)) {
        return done(denied("only the organisation's administrators invite people into it"));
      }
      if (request.room && !me.admin && !leads(room_role)) {
        return done(denied("only the room's owner or facilitators invite people into it"));
      }
    }
    impl->store.get_org(request.org, [impl, me, request, done = std::move(done)](
                                         Result<std::optional<protocol::Org>> org) mutable {
      if (!org) return done(org.error());
      if (!org.value()) return done(missing("no such organisation: " + request.org));
      CreatedInvitation created;
      created.code = new_secret();
      created.url = impl->options.base_url() + "/#invite=" + created.code;
      auto& i = created.invitation;
      i.id = new_public_id();
      i.code_hash = secret_hash(created.code);
      i.org = request.org;
      i.room = request.room;
      i.role = request.role;
      i.guest = request.guest;
      i.uses_left = request.uses;
      i.created_at = impl->now();
      i.expires_at = i.created_at + std::int64_t{request.hours} * 60 * 60 * 1000;
      i.created_by = me.user.id;
      auto invitation = i;
      impl->store.create_invitation(std::move(invitation), [impl, me, created = std::move(created),
                                                            done = std::move(done)](Result<Unit> stored) mutable {
        if (!stored) return done(stored.error());
        const auto& i = created.invitation;
        std::string detail = "org " + i.org + (i.guest ? ", guest" : "") + ", " + std::to_string(i.uses_left) + " use(s)";
        if (i.room) detail += ", room " + *i.room + " as " + std::string(protocol::to_string(i.role));
        impl->record(me.user, kAuditInvitationCreated, i.id, detail);
        done(std::move(created));
      });
    });
  });
}

void Accounts::invitations(const Identity& who, Callback<std::vector<Invitation>> done) {
  auto impl = impl_;
  impl->fresh<std::vector<Invitation>>(who, std::move(done), [impl](Account me, Callback<std::vector<Invitation>> done) {
    if (me.user.guest) return done(std::vector<Invitation>{});
    impl->store.list_invitations(impl->now(), impl->options.max_list, [me, done = std::move(done)](
                                                                          Result<std::vector<Invitation>> list) {
      if (!list) return done(list.error());
      std::vector<Invitation> mine;
      for (auto& invitation : list.value()) {
        if (may_revoke(me, invitation)) mine.push_back(std::move(invitation));
      }
      done(std::move(mine));
    });
  });
}

void Accounts::revoke_invitation(const Identity& who, std::string invitation, Callback<Unit> done) {
  auto impl = impl_;
  impl->fresh<Unit>(who, std::move(done), [impl, id = std::move(invitation)](Account me, Callback<Unit> done) {
    impl->store.get_invitation(id, [impl, me, done = std::move(done)](Result<std::optional<Invitation>> found) mutable {
      if (!found) return done(found.error());
      if (!found.value() || !may_revoke(me, *found.value())) return done(missing("no such invitation"));
      impl->store.revoke_invitation(found.value()->id, [impl, me, done = std::move(done)](Result<Invitation> revoked) mutable {
        if (!revoked) return done(revoked.error());
        impl->record(me.user, kAuditInvitationRevoked, revoked.value().id, "org " + revoked.value().org);
        done(Unit{});
      });
    });
  });
}

// ---- memberships ----

void Accounts::membership(std::string room, std::string user, Callback<std::optional<Membership>> done) {
  impl_->store.get_member(std::move(room), std::move(user), std::move(done));
}

void Accounts::rooms_of(std::string user, Callback<std::vector<std::string>> done) {
  impl_->store.rooms_of(std::move(user), std::move(done));
}

void Accounts::ensure_member(const protocol::Room& room, const protocol::User& user, protocol::Role role,
                             Callback<Membership> done) {
  impl_->store.ensure_member(Membership{room.id, user.id, role, std::nullopt, std::nullopt, impl_->now()},
                             std::move(done));
}

void Accounts::add_member(const Identity& who, const protocol::Room& room, std::string user, protocol::Role role,
                          std::optional<std::string> reason, Callback<MemberView> done) {
  if (role == protocol::Role::owner) return done(invalid("role: a room has one owner, its creator"));
  if (reason) {
    // A reason of spaces is no reason: refused, never recorded.
    reason = protocol::trim_blank(*reason);
    if (reason->empty()) return done(invalid("reason: must not be blank: say why they are let in"));
    if (reason->size() > 1000) return done(invalid("reason: 1 to 1000 bytes"));
  }
  auto impl = impl_;
  impl->store.get_account(user, [impl, me = who.account, room, role, reason = std::move(reason),
                                 done = std::move(done)](Result<std::optional<Account>> target) mutable {
    if (!target) return done(target.error());
    if (!target.value()) return done(missing("no such person"));
    const Account person = *target.value();
    if (person.user.guest && role == protocol::Role::facilitator) {
      return done(denied("a guest is never made owner or facilitator"));
    }
    const bool across = person.user.org != room.org;
    if (across && !reason) return done(invalid("reason: needed to add someone from another organisation"));
    impl->store.get_member(room.id, person.user.id, [impl, me, room, role, reason, person, across,
                                                     done = std::move(done)](
                                                        Result<std::optional<Membership>> existing) mutable {
      if (!existing) return done(existing.error());
      if (person.user.id == room.created_by) return done(invalid("the owner is already in the room"));
      Membership member{room.id, person.user.id, role, std::nullopt, std::nullopt, impl->now()};
      if (existing.value()) {
        member.since = existing.value()->since;
        member.sponsor = existing.value()->sponsor;
        member.reason = existing.value()->reason;
      }
      if (across) {
        member.sponsor = me.user.id;
        member.reason = reason;
      }
      std::optional<protocol::Role> previous;  // none: new to the room
      if (existing.value()) previous = existing.value()->role;
      impl->store.put_member(member, [impl, me, person, previous, done = std::move(done)](
                                         Result<Membership> stored) mutable {
        if (!stored) return done(stored.error());
        const auto& m = stored.value();
        const bool added = !previous;
        const bool role_change = previous && previous != m.role;
        if (added) {
          std::string detail = "room " + m.room + " as " + std::string(protocol::to_string(m.role));
          if (m.sponsor) detail += ", sponsor " + me.user.name + " (" + me.user.org + "), reason: " + m.reason.value_or("");
          impl->record(me.user, kAuditMemberAdded, m.user, detail);
        } else if (role_change) {
          impl->record(me.user, kAuditRoleChanged, m.user,
                       "room " + m.room + " now " + std::string(protocol::to_string(m.role)));
        }
        MemberView view{m, person.user, std::nullopt, added, previous};
        if (m.sponsor) view.sponsor = m.sponsor == me.user.id ? std::optional(me.user) : std::nullopt;
        if (!m.sponsor || view.sponsor) return done(std::move(view));
        impl->store.get_account(*m.sponsor, [view, done = std::move(done)](Result<std::optional<Account>> sponsor) mutable {
          if (sponsor && sponsor.value()) view.sponsor = sponsor.value()->user;
          else view.sponsor = protocol::User{*view.membership.sponsor, *view.membership.sponsor, "", false};
          done(std::move(view));
        });
      });
    });
  });
}

void Accounts::remove_member(const Identity& who, const protocol::Room& room, std::string user, Callback<Membership> done) {
  if (user == room.created_by) return done(invalid("the owner cannot be removed from the room"));
  auto impl = impl_;
  impl->store.remove_member(room.id, std::move(user), [impl, me = who.account.user, done = std::move(done)](
                                                           Result<Membership> removed) mutable {
    if (removed) impl->record(me, kAuditMemberRemoved, removed.value().user, "room " + removed.value().room);
    done(std::move(removed));
  });
}

void Accounts::record_role_change(const Identity& who, std::string room, std::optional<std::string> membership_room,
                                  std::string user, protocol::Role role, Callback<Unit> done) {
  auto impl = impl_;
  impl->record(who.account.user, kAuditRoleChanged, user, "room " + room + " now " + std::string(protocol::to_string(role)));
  if (!membership_room) return done(Unit{});
  impl->store.get_member(*membership_room, user, [impl, role, done = std::move(done)](
                                                     Result<std::optional<Membership>> existing) mutable {
    if (!existing) return done(existing.error());
    // Someone who is no member (any more) stays none: a role is no way into a room.
    if (!existing.value() || existing.value()->role == role) return done(Unit{});
    auto member = *existing.value();
    member.role = role;
    impl->store.put_member(std::move(member), [done = std::move(done)](Result<Membership> stored) mutable {
      if (!stored) return done(stored.error());
      done(Unit{});
    });
  });
}

void Accounts::members(std::string room, Callback<std::vector<MemberView>> done) {
  auto impl = impl_;
  impl->store.list_members(std::move(room), impl->options.max_list, [impl, done = std::move(done)](
                                                                        Result<std::vector<Membership>> list) mutable {
    if (!list) return done(list.error());
    std::vector<std::string> ids;
    for (const auto& m : list.value()) {
      ids.push_back(m.user);
      if (m.sponsor) ids.push_back(*m.sponsor);
    }
    resolve_users(impl->store, std::move(ids), [list = std::move(list.value()), done = std::move(done)](
                                                   std::map<std::string, protocol::User> users) mutable {
      std::vector<MemberView> views;
      views.reserve(list.size());
      for (auto& m : list) {
        MemberView view{m, users[m.user], std::nullopt, false, std::nullopt};
        if (m.sponsor) view.sponsor = users[*m.sponsor];
        views.push_back(std::move(view));
      }
      done(std::move(views));
    });
  });
}

// ---- audit ----

void Accounts::audit(const Identity& who, std::optional<std::int64_t> before, std::optional<int> limit,
                     Callback<std::vector<AuditEvent>> done) {
  const int n = std::clamp(limit.value_or(impl_->options.audit_default_limit), 1, impl_->options.audit_max_limit);
  auto impl = impl_;
  impl->fresh<std::vector<AuditEvent>>(who, std::move(done), [impl, before, n](Account me,
                                                                               Callback<std::vector<AuditEvent>> done) {
    if (!me.admin) return done(denied("only administrators read the audit log"));
    impl->store.audit_page(before, n, std::move(done));
  });
}

}  // namespace outloud::accounts
