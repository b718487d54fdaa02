#include "server/redis/script.hpp"

namespace outloud::redis {

namespace {
std::vector<std::string> eval_argv(std::string verb, std::string script, std::vector<std::string>& keys,
                                   std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(std::move(verb));
  argv.push_back(std::move(script));
  argv.push_back(std::to_string(keys.size()));
  for (auto& key : keys) argv.push_back(key);
  for (auto& arg : args) argv.push_back(arg);
  return argv;
}
}  // namespace

std::string Script::sha() const {
  std::lock_guard lock(mutex_);
  return sha_;
}

void Script::learn_sha(const std::shared_ptr<Connection>& connection) {
  {
    std::lock_guard lock(mutex_);
    if (loading_ || !sha_.empty()) return;
    loading_ = true;
  }
  connection->command({"SCRIPT", "LOAD", body_}, [this](backend::Result<Reply> reply) {
    std::lock_guard lock(mutex_);
    loading_ = false;
    if (reply.ok() && reply.value().type == Reply::Type::string) sha_ = reply.value().str;
  });
}

void Script::run(const std::shared_ptr<Connection>& connection, std::vector<std::string> keys,
                 std::vector<std::string> args, ReplyCallback done) {
  if (!done) done = [](backend::Result<Reply>) {};
  const std::string known_sha = sha();
  if (known_sha.empty()) {
    connection->command(eval_argv("EVAL", body_, keys, args), std::move(done));
    learn_sha(connection);
    return;
  }
  auto fallback = eval_argv("EVAL", body_, keys, args);
  connection->command(eval_argv("EVALSHA", known_sha, keys, args),
                      [connection, fallback = std::move(fallback), done = std::move(done)](
                          backend::Result<Reply> reply) mutable {
                        if (reply.ok() && reply.value().is_error() && reply.value().str.rfind("NOSCRIPT", 0) == 0) {
                          connection->command(std::move(fallback), std::move(done));
                          return;
                        }
                        done(std::move(reply));
                      });
}

}  // namespace outloud::redis
