// Correcting, taking back and finding messages: edit and delete by their author, removal with a
// reason by the room's owner or facilitators, catching up with changes, and search
// (protocol/README.md "Edits, removal and search"). Stores do the reading and matching on their own
// threads; pages are serialized on the workers; the strand only checks and answers.

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"
#include "server/core/reply_budget.hpp"

namespace outloud::core {

namespace {

constexpr const char* kAuditMessageRemoved = "message_removed";

}  // namespace

void Hub::Impl::on_edit(std::uint64_t conn_id, const Request& re, const p::Edit& edit) {
  if (!is_active_member(conn_id, edit.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + edit.room + "' before editing in it");
  }
  auto* conn = connection(conn_id);
  auto* local = local_room(edit.room);
  // Editing is writing: the same rule as sending (observers, locked rooms).
  if (!facilitation::may_send(local->session, local->meta, conn->user->id)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "you cannot write in this room now");
  }
  backend::ChangeRequest request{edit.room, edit.seq, backend::ChangeKind::edit, *conn->user, edit.text, {}, now_ms()};
  change_message(conn_id, re, std::move(request));
}

void Hub::Impl::on_delete(std::uint64_t conn_id, const Request& re, const p::Delete& remove) {
  if (!is_active_member(conn_id, remove.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + remove.room + "' before deleting in it");
  }
  backend::ChangeRequest request{remove.room, remove.seq, backend::ChangeKind::delete_, *connection(conn_id)->user,
                                 {}, {}, now_ms()};
  change_message(conn_id, re, std::move(request));
}

void Hub::Impl::on_remove_message(std::uint64_t conn_id, const Request& re, const p::RemoveMessage& remove) {
  if (!is_active_member(conn_id, remove.room)) {
    return fail(conn_id, re, p::ErrorCode::forbidden, "join room '" + remove.room + "' first");
  }
  const p::User moderator = *connection(conn_id)->user;
  // The role as stored, not as this node last heard it: a facilitator just demoted elsewhere is not one.
  role_in(local_room(remove.room)->meta, moderator.id, [this, conn_id, re, remove, moderator](Result<p::Role> role) {
    if (!connection(conn_id)) return;
    if (!role) return fail(conn_id, re, role.error());
    if (role.value() != p::Role::owner && role.value() != p::Role::facilitator) {
      return fail(conn_id, re, p::ErrorCode::forbidden, "only the room's owner or facilitators remove messages");
    }
    backend::ChangeRequest request{remove.room, remove.seq, backend::ChangeKind::remove, moderator, {},
                                   remove.reason, now_ms()};
    change_message(conn_id, re, std::move(request));
  });
}

void Hub::Impl::change_message(std::uint64_t conn_id, const Request& re, backend::ChangeRequest request) {
  if (draining_) return fail(conn_id, re, p::ErrorCode::unavailable, "the server is shutting down");
  write_started();
  const auto kind = request.kind;
  const auto room = request.room;
  backends_.store.change_message(
      std::move(request),
      on_strand<backend::ChangeResult>([this, conn_id, re, kind, room](Result<backend::ChangeResult> changed) {
        if (!changed) {
          fail(conn_id, re, changed.error());
          return write_finished();
        }
        const auto& result = changed.value();
        // Everyone in the room, on every node, the author's other tabs included; a client that
        // missed it catches up with `changes` from the last version it saw.
        publish_event(room, p::changed_frame(std::nullopt, room, result.version, result.message));
        if (kind == backend::ChangeKind::remove && accounts_mode() && result.message.deleted) {
          backends_.accounts->record(result.message.deleted->by, kAuditMessageRemoved,
                                     room + "#" + std::to_string(result.message.seq),
                                     result.message.deleted->reason.value_or(""));
        }
        reply(conn_id, re, p::changed_frame(re, room, result.version, result.message));
        write_finished();
      }));
}

void Hub::Impl::on_changes(std::uint64_t conn_id, const Request& re, const p::Changes& changes) {
  with_visible_room(conn_id, re, changes.room, [this, conn_id, re, changes](const RoomAccess&) {
    const int limit = std::clamp(changes.limit, 1, options_.history_max_limit);
    with_history_slot([this, conn_id, re, changes, limit] {
      backends_.store.changes_since(
          changes.room, changes.since, limit,
          [self = shared_from_this(), conn_id, re, room = changes.room](Result<backend::ChangePage> page) mutable {
            self->answer_page(conn_id, re, [re, room, page = std::move(page),
                                            budget = self->options_.max_reply_bytes]() mutable -> Result<std::string> {
              if (!page) return page.error();
              auto& found = page.value();
              // Too large for one reply: stop earlier and say there is more.
              if (trim_to_budget(found.messages, budget, false)) {
                found.more = true;
                found.version = found.versions.at(found.messages.size() - 1);
              }
              return p::changes_frame(re, room, found.version, found.messages, found.more);
            });
          });
    });
  });
}

void Hub::Impl::on_search(std::uint64_t conn_id, const Request& re, const p::Search& search) {
  with_visible_room(conn_id, re, search.room, [this, conn_id, re, search](const RoomAccess&) {
    backend::SearchRequest request{search.room, p::search_terms(search.query), search.before, search.limit,
                                   options_.search_scan};
    with_history_slot([this, conn_id, re, search, request = std::move(request)]() mutable {
      backends_.store.search(
          std::move(request), [self = shared_from_this(), conn_id, re, room = search.room,
                               query = search.query](Result<backend::SearchPage> page) mutable {
            self->answer_page(conn_id, re, [re, room, query, page = std::move(page),
                                            budget = self->options_.max_reply_bytes]() mutable -> Result<std::string> {
              if (!page) return page.error();
              auto& found = page.value();
              // Newest first: the first ones are kept, and the next page starts below the last kept.
              if (trim_to_budget(found.messages, budget, false)) found.next = found.messages.back().seq;
              return p::found_frame(re, room, query, found.messages, found.next, found.scanned);
            });
          });
    });
  });
}

// Serializes on a worker and answers from the strand, freeing the history slot taken for the read.
void Hub::Impl::answer_page(std::uint64_t conn_id, const Request& re, std::function<Result<std::string>()> build) {
  off_strand([build = std::move(build)]() -> Result<std::string> { return build(); },
             [this, conn_id, re](Result<std::string> frame) { answer_large(conn_id, re, std::move(frame)); });
}

}  // namespace outloud::core
