#include "server/redis/sentinels.hpp"

#include <charconv>
#include <sstream>

#include "server/core/log.hpp"

namespace outloud::redis {

namespace {
constexpr const char* kSwitchChannel = "+switch-master";

bool parse_port(const std::string& text, int& port) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  return error == std::errc() && end == text.data() + text.size() && port > 0 && port <= 65535;
}
}  // namespace

Sentinels::Sentinels(Strand strand, std::vector<SentinelAddress> addresses, std::string master_name, Endpoint master,
                     ConnectionOptions options, const std::string& node_id)
    : master_name_(std::move(master_name)), master_(std::move(master)) {
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    Endpoint sentinel;
    sentinel.host = addresses[i].host;
    sentinel.port = addresses[i].port;
    const std::string name = node_id + "/sentinel" + std::to_string(i + 1);
    queries_.push_back(Connection::create(strand, sentinel, options, name, Connection::Role::command));
    watchers_.push_back(Connection::create(strand, sentinel, options, name + "-watch", Connection::Role::subscriber));
  }
}

void Sentinels::start() {
  for (auto& watcher : watchers_) {
    std::weak_ptr<Connection> weak_watcher = watcher;
    watcher->set_state_handler([weak_watcher](bool up) {
      if (auto connection = weak_watcher.lock(); connection && up) connection->send_subscription("SUBSCRIBE", kSwitchChannel);
    });
    watcher->set_push_handler([weak = weak_from_this()](const Reply& reply) {
      if (auto self = weak.lock()) self->on_push(reply);
    });
  }
  for (auto& connection : queries_) connection->start();
  for (auto& connection : watchers_) connection->start();
}

void Sentinels::stop_now() {
  switch_handler_ = nullptr;
  for (auto& connection : watchers_) connection->stop_now();
  for (auto& connection : queries_) connection->stop_now();
}

void Sentinels::resolve_master(std::function<void(std::optional<Endpoint>)> done) {
  ask(0, std::make_shared<std::function<void(std::optional<Endpoint>)>>(std::move(done)));
}

// One sentinel after the other: a sentinel that is down answers `unavailable` at once, one that does
// not know the name answers nil; the first address given wins.
void Sentinels::ask(std::size_t index, std::shared_ptr<std::function<void(std::optional<Endpoint>)>> done) {
  if (index >= queries_.size()) return (*done)(std::nullopt);
  queries_[index]->command(
      {"SENTINEL", "get-master-addr-by-name", master_name_},
      [weak = weak_from_this(), index, done](backend::Result<Reply> reply) {
        auto self = weak.lock();
        if (!self) return (*done)(std::nullopt);
        if (reply.ok() && reply.value().elements.size() == 2) {
          Endpoint master = self->master_;
          master.host = reply.value().elements[0].str;
          if (!master.host.empty() && parse_port(reply.value().elements[1].str, master.port)) return (*done)(master);
        }
        if (reply.ok() && reply.value().is_error()) {
          log::warn("redis: sentinel %zu: %s", index + 1, reply.value().str.c_str());
        }
        self->ask(index + 1, done);
      });
}

// ["message", "+switch-master", "NAME OLD_IP OLD_PORT NEW_IP NEW_PORT"]
void Sentinels::on_push(const Reply& reply) {
  const auto& parts = reply.elements;
  if (parts.size() != 3 || parts[0].str != "message" || parts[1].str != kSwitchChannel) return;
  std::istringstream fields(parts[2].str);
  std::string name, old_host, old_port, new_host, new_port;
  fields >> name >> old_host >> old_port >> new_host >> new_port;
  int port = 0;
  if (name != master_name_ || new_host.empty() || !parse_port(new_port, port)) return;
  log::warn("redis: sentinel announces a failover of %s: %s:%s -> %s:%d", name.c_str(), old_host.c_str(),
            old_port.c_str(), new_host.c_str(), port);
  if (switch_handler_) switch_handler_(new_host, port);
}

}  // namespace outloud::redis
