// Test helper: a real /usr/bin/redis-server on a free loopback port, with its own temporary
// directory and the AOF on (appendonly yes), stopped and removed when the object goes. It can be
// stopped, killed and started again on the same port and directory, to test outages and durability.
#pragma once

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace outloud::testing {

class RedisServer {
 public:
  RedisServer() : port_(free_port()) {
    char pattern[] = "/tmp/outloud-redis-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    start();
  }
  ~RedisServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Starts redis-server (again, on the same port and data) and waits until it answers PING.
  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    std::vector<std::string> args{"/usr/bin/redis-server", "--port", port, "--bind", "127.0.0.1",
                                  "--dir", dir_, "--appendonly", "yes", "--save", "",
                                  "--daemonize", "no", "--logfile", dir_ + "/redis.log", "--protected-mode", "no"};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ping()) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start; see " + dir_ + "/redis.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not answer within 10 s");
  }

  // SIGTERM: a clean shutdown (the AOF is flushed).
  void stop() { end(SIGTERM); }
  // SIGKILL: a crash.
  void kill() { end(SIGKILL); }

  // A blocking command for test assertions only (never from server code).
  std::string command(const std::vector<std::string>& argv) const {
    redisContext* context = connect();
    if (context == nullptr) return "<unreachable>";
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    for (const auto& arg : argv) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), pointers.data(), lengths.data()));
    std::string out = "<null>";
    if (reply != nullptr) {
      if (reply->type == REDIS_REPLY_INTEGER) {
        out = std::to_string(reply->integer);
      } else if (reply->str != nullptr) {
        out.assign(reply->str, reply->len);
      } else if (reply->type == REDIS_REPLY_NIL) {
        out = "<nil>";
      } else if (reply->type == REDIS_REPLY_ARRAY) {
        out = "<array " + std::to_string(reply->elements) + ">";
      }
      freeReplyObject(reply);
    }
    redisFree(context);
    return out;
  }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
  }

  redisContext* connect() const {
    timeval timeout{1, 0};
    redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
    if (context == nullptr || context->err != 0) {
      if (context != nullptr) redisFree(context);
      return nullptr;
    }
    redisSetTimeout(context, timeout);
    return context;
  }

  bool ping() const { return command({"PING"}) == "PONG"; }

  void end(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  int port_;
  std::string dir_;
  pid_t pid_ = -1;
};

// One redis-server shared by every test of the process that needs no outage of its own.
inline RedisServer& shared_redis_server() {
  static RedisServer server;
  return server;
}

}  // namespace outloud::testing
