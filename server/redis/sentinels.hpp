// The sentinels of a redis-sentinel:// URL: one command connection to each, to ask where the master
// is (SENTINEL get-master-addr-by-name, each sentinel in turn until one knows), and one subscriber
// connection to each, listening for +switch-master to reconnect at once after a failover instead of
// waiting for the old master's connection to time out. All on the backends' strand; nothing blocks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/redis/connection.hpp"

namespace outloud::redis {

class Sentinels : public std::enable_shared_from_this<Sentinels> {
 public:
  // The master's credentials and database come from `master`; its host and port from the sentinels.
  Sentinels(Strand strand, std::vector<SentinelAddress> addresses, std::string master_name, Endpoint master,
            ConnectionOptions options, const std::string& node_id);

  // On the strand: called with the new master's host and port when a sentinel announces a switch.
  void set_switch_handler(std::function<void(const std::string& host, int port)> handler) {
    switch_handler_ = std::move(handler);
  }
  // On the strand: asks the sentinels in order; `done` gets the master, or nullopt if none knows.
  void resolve_master(std::function<void(std::optional<Endpoint>)> done);

  void start();
  void stop_now();  // on the strand, or once the io_context no longer runs

 private:
  void ask(std::size_t index, std::shared_ptr<std::function<void(std::optional<Endpoint>)>> done);
  void on_push(const Reply& reply);

  std::string master_name_;
  Endpoint master_;
  std::vector<std::shared_ptr<Connection>> queries_;
  std::vector<std::shared_ptr<Connection>> watchers_;
  std::function<void(const std::string&, int)> switch_handler_;
};

}  // namespace outloud::redis
