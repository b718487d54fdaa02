// The session record, built off the hub's strand: the room, its state, its messages and those of
// its breakout groups are read page by page on the worker threads and the Markdown is written there
// too. At most max_exports_at_once are built at a time (each holds its room's messages); the rest
// wait their turn on the strand.
#include <algorithm>
#include <iterator>

#include "server/core/hub_impl.hpp"
#include "server/core/log.hpp"

namespace outloud::core {

namespace {

constexpr int kExportPage = 250;  // small reads: the store serves the others in between
constexpr int kExportRoomsPage = 500;

using Messages = std::vector<p::Message>;

// One record being gathered. Every step runs on a worker; backend answers are posted to one.
struct ExportJob : std::enable_shared_from_this<ExportJob> {
  ExportJob(backend::Store& store, std::shared_ptr<asio::thread_pool> workers, p::Export request,
            backend::Callback<std::string> done, std::vector<p::MemberInfo> permissions, std::size_t max_messages,
            std::size_t max_text_bytes)
      : store(store),
        workers(std::move(workers)),
        max_messages(max_messages),
        max_text_bytes(max_text_bytes),
        room(request.room),
        request(std::move(request)),
        done(std::move(done)),
        permissions(std::move(permissions)) {}

  backend::Store& store;
  std::shared_ptr<asio::thread_pool> workers;
  std::size_t max_messages;  // read at most (HubOptions::export_max_messages)
  std::size_t max_text_bytes;  // HubOptions::export_max_text_bytes
  std::size_t text_bytes = 0;  // read so far
  std::string room;
  p::Export request;  // the zone and the form
  backend::Callback<std::string> done;
  std::vector<p::MemberInfo> permissions;  // given across organisations (access.md), for the record
  p::Room meta;
  facilitation::SessionState state;
  Messages messages;
  std::vector<facilitation::GroupRecord> groups;
  std::vector<p::Room> group_rooms;

  // A backend callback that continues on a worker (no copy of what was read so far).
  template <class T, class F>
  backend::Callback<T> on_worker(F next) {
    return [self = shared_from_this(), next = std::move(next)](Result<T> result) mutable {
      auto workers = self->workers;
      asio::post(*workers, [self = std::move(self), next = std::move(next), result = std::move(result)]() mutable {
        run_at_bulk_priority();
        next(*self, std::move(result));
      });
    };
  }

  void start() {
    store.get_room(room, on_worker<std::optional<p::Room>>([](ExportJob& job, Result<std::optional<p::Room>> found) {
      if (!found) return job.finish(found.error());
      if (!found.value()) return job.finish(backend::Error{p::ErrorCode::not_found, "no room '" + job.room + "'"});
      job.meta = *found.value();
      job.store.load_state(job.room, job.on_worker<backend::RoomState>([](ExportJob& job, Result<backend::RoomState> loaded) {
        if (!loaded) return job.finish(loaded.error());
        job.state = facilitation::state_from_json(loaded.value().json);
        job.read_messages(job.room, 0, [](ExportJob& job) { job.find_groups(""); });
      }));
    }));
  }

  // Appends the room's messages after `after` to the last group record, or to `messages` for the
  // session itself, page by page, then calls `then`.
  void read_messages(const std::string& from, std::int64_t after, std::function<void(ExportJob&)> then) {
    store.after(from, after, kExportPage,
                on_worker<backend::Page>([from, then = std::move(then)](ExportJob& job, Result<backend::Page> page) mutable {
                  if (!page) return job.finish(page.error());
                  auto& into = from == job.room ? job.messages : job.groups.back().messages;
                  auto& read = page.value().messages;
                  const bool more = static_cast<int>(read.size()) == kExportPage;
                  for (const auto& message : read) job.text_bytes += message.text.size() + message.from.name.size();
                  if (job.text_bytes > job.max_text_bytes) {
                    return job.finish(backend::Error{p::ErrorCode::too_large,
                                                     "this record holds more than " + std::to_string(job.max_text_bytes) +
                                                         " bytes of text, the server's --max-export-bytes"});
                  }
                  into.insert(into.end(), std::make_move_iterator(read.begin()), std::make_move_iterator(read.end()));
                  if (!more || into.size() >= job.max_messages) return then(job);
                  const auto last = into.back().seq;
                  job.read_messages(from, last, std::move(then));
                }),
                backend::ReadLane::bulk);
  }

  // The group rooms are `<room>~<n>`: those ids sort right after "<room>~", one page at a time.
  void find_groups(std::string after) {
    const std::string prefix = room + "~";
    store.list_rooms_page(
        after.empty() ? prefix : after, kExportRoomsPage,
        on_worker<std::vector<p::Room>>([prefix](ExportJob& job, Result<std::vector<p::Room>> rooms) {
          if (!rooms) return job.finish(rooms.error());
          bool past_prefix = static_cast<int>(rooms.value().size()) < kExportRoomsPage;
          for (auto& candidate : rooms.value()) {
            if (candidate.id.compare(0, prefix.size(), prefix) != 0) {
              past_prefix = true;
              break;
            }
            if (is_group_of(candidate, job.room)) {
              job.group_rooms.push_back(std::move(candidate));
            }
          }
          if (!past_prefix) return job.find_groups(rooms.value().back().id);
          // In the order they were opened: ~1, ~2, …, ~10 (ids sort ~1, ~10, ~2).
          std::sort(job.group_rooms.begin(), job.group_rooms.end(), [](const p::Room& a, const p::Room& b) {
            return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
          });
          job.read_group(0);
        }));
  }

  void read_group(std::size_t index) {
    if (index == group_rooms.size()) return build();
    groups.push_back({group_rooms[index], {}});
    read_messages(group_rooms[index].id, 0, [index](ExportJob& job) { job.read_group(index + 1); });
  }

  void build() {
    // The zone's rule is a small file read: here, on a worker.
    auto clock = facilitation::RecordClock::named(request.tz);
    if (!clock) return finish(clock.error());
    auto markdown = request.format == p::RecordFormat::html
                        ? facilitation::export_html(meta, state, messages, groups, permissions, clock.value())
                        : facilitation::export_markdown(meta, state, messages, groups, permissions, clock.value());
    Messages().swap(messages);
    std::vector<facilitation::GroupRecord>().swap(groups);
    finish(std::move(markdown));
  }

  void finish(Result<std::string> result) {
    auto callback = std::move(done);
    done = nullptr;
    if (callback) callback(std::move(result));
  }
};

}  // namespace

void Hub::Impl::export_markdown(p::Export request, backend::Callback<std::string> done,
                                std::vector<p::MemberInfo> permissions) {
  if (!facilitation::RecordClock::plausible(request.tz)) {
    return done(backend::Error{p::ErrorCode::bad_request,
                               "tz must be UTC, +HH:MM, -HH:MM or a time zone name such as Europe/London"});
  }
  // Records are built one or a few at a time on the whole node (each holds a room's messages).
  auto start = std::make_shared<std::function<void()>>(
      [this, request = std::move(request), done = std::move(done), permissions = std::move(permissions)]() mutable {
        start_export(std::move(request), std::move(done), std::move(permissions));
      });
  with_slot(node_->exports, [start] { (*start)(); });
}

void Hub::Impl::start_export(p::Export request, backend::Callback<std::string> done,
                             std::vector<p::MemberInfo> permissions) {
  auto finished = [weak = weak_from_this(), strand = strand_, node = node_, done = std::move(done)](
                      Result<std::string> result) {
    done(std::move(result));
    node->exports.release();
    asio::post(strand, [weak] {
      if (auto self = weak.lock()) self->trim_memory_soon();
    });
  };
  std::make_shared<ExportJob>(backends_.store, workers_, std::move(request), std::move(finished), std::move(permissions),
                              options_.export_max_messages, options_.export_max_text_bytes)
      ->start();
}

void Hub::Impl::on_export(std::uint64_t conn_id, const Request& re, const p::Export& request) {
  backend::Callback<std::string> answer = [weak = weak_from_this(), strand = strand_, conn_id, re, room = request.room,
                                           html = request.format == p::RecordFormat::html](
                                              Result<std::string> markdown) mutable {
    // On a worker: the frame (as big as the record) is written here too, then only sent from the strand.
    Result<std::string> frame =
        markdown ? Result<std::string>(facilitation::export_frame(re, room, markdown.value(), html ? "html" : "markdown"))
                 : Result<std::string>(markdown.error());
    if (markdown) std::string().swap(markdown.value());
    asio::post(strand, [weak, conn_id, re, frame = std::move(frame)]() mutable {
      auto self = weak.lock();
      if (!self) return;
      if (!frame) return self->fail(conn_id, re, frame.error());
      self->reply(conn_id, re, std::move(frame.value()));
    });
  };
  // accounts mode: the owner, facilitators and administrators only, and audited (hub_access.cpp).
  auto* conn = connection(conn_id);
  if (accounts_mode() && conn && conn->identity) return export_as(*conn->identity, request, std::move(answer));
  export_markdown(request, std::move(answer));
}

}  // namespace outloud::core
