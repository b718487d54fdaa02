// Pure parts of the Redis backends: the URL of --redis, the bus envelope, and which Redis errors a
// client is told to retry.
#include <catch2/catch.hpp>

#include <variant>

#include "server/redis/envelope.hpp"
#include "server/redis/redis_url.hpp"
#include "server/redis/reply_failure.hpp"

namespace outloud::redis {
namespace redis_codec_test {

TEST_CASE("redis errors: a master that cannot take writes now is unavailable, other errors internal", "[redis]") {
  const auto code_of = [](std::string text) {
    Reply reply;
    reply.type = Reply::Type::error;
    reply.str = std::move(text);
    auto failure = reply_failure(backend::Result<Reply>(reply), "storage error");
    REQUIRE(failure.has_value());
    return failure->code;
  };
  using protocol::ErrorCode;
  CHECK(code_of("OOM command not allowed when used memory > 'maxmemory'.") == ErrorCode::unavailable);
  CHECK(code_of("OOM command not allowed when used memory > 'maxmemory'. script: ff96, on @user_script:1.") ==
        ErrorCode::unavailable);
  CHECK(code_of("ERR Error running script (call to f_ff96): @user_script:1: @user_script: 1: -OOM command not "
                "allowed when used memory > 'maxmemory'.") == ErrorCode::unavailable);  // Redis 6
  CHECK(code_of("NOREPLICAS Not enough good replicas to write.") == ErrorCode::unavailable);
  CHECK(code_of("READONLY You can't write against a read only replica.") == ErrorCode::unavailable);
  CHECK(code_of("ERR unknown command 'FOO'") == ErrorCode::internal);
  CHECK(code_of("WRONGTYPE Operation against a key holding the wrong kind of value") == ErrorCode::internal);
  CHECK(code_of("ERR value mentions OOMPH") == ErrorCode::internal);
}

TEST_CASE("redis url: host, port and database are read; mistakes are explained", "[redis]") {
  auto parsed = parse_redis_url("redis://10.0.0.5:6380/3");
  REQUIRE(std::holds_alternative<Endpoint>(parsed));
  CHECK(std::get<Endpoint>(parsed).host == "10.0.0.5");
  CHECK(std::get<Endpoint>(parsed).port == 6380);
  CHECK(std::get<Endpoint>(parsed).db == 3);

  auto defaults = parse_redis_url("redis://cache.internal");
  REQUIRE(std::holds_alternative<Endpoint>(defaults));
  CHECK(std::get<Endpoint>(defaults).port == 6379);
  CHECK(std::get<Endpoint>(defaults).db == 0);

  auto v6 = parse_redis_url("redis://[::1]:7000/");
  REQUIRE(std::holds_alternative<Endpoint>(v6));
  CHECK(std::get<Endpoint>(v6).host == "::1");
  CHECK(std::get<Endpoint>(v6).port == 7000);

  // Presence changes keep their kind; a state's number is its version.
  backend::BusEvent presence;
  presence.kind = backend::BusEvent::Kind::presence;
  presence.payload = std::make_shared<const std::string>("{\"type\":\"presence\"}");
  auto decoded_presence = decode_envelope(encode_envelope(presence));
  REQUIRE(decoded_presence);
  CHECK(decoded_presence->kind == backend::BusEvent::Kind::presence);
  backend::BusEvent state;
  state.kind = backend::BusEvent::Kind::state;
  state.version = 9;
  state.payload = std::make_shared<const std::string>("{}");
  auto decoded_state = decode_envelope(encode_envelope(state));
  REQUIRE(decoded_state);
  CHECK(decoded_state->version == 9);
  CHECK(decoded_state->seq == 0);

  for (const char* bad : {"http://x:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:70000",
                          "redis://h:12ab", "redis://h:1/x", "redis://user@h:1", "redis://:@h:1", "redis://:p%zz@h",
                          "redis://[::1"}) {
    INFO(bad);
    auto result = parse_redis_url(bad);
    REQUIRE(std::holds_alternative<std::string>(result));
    CHECK_THAT(std::get<std::string>(result), Catch::Contains("HOST:PORT[/DB]"));
  }
}

TEST_CASE("redis url: credentials are read, decoded and never shown", "[redis]") {
  auto with_user = parse_redis_url("redis://app:s3cr%40t/x@10.0.0.5:6380/2");
  REQUIRE(std::holds_alternative<Endpoint>(with_user));
  CHECK(std::get<Endpoint>(with_user).username == "app");
  CHECK(std::get<Endpoint>(with_user).password == "s3cr@t/x");
  CHECK(std::get<Endpoint>(with_user).host == "10.0.0.5");
  CHECK(std::get<Endpoint>(with_user).db == 2);

  auto password_only = parse_redis_url("redis://:hunter2@cache");
  REQUIRE(std::holds_alternative<Endpoint>(password_only));
  CHECK(std::get<Endpoint>(password_only).username.empty());
  CHECK(std::get<Endpoint>(password_only).password == "hunter2");
  CHECK(std::get<Endpoint>(password_only).port == 6379);

  CHECK(redacted_redis_url("redis://app:hunter2@cache:1/3") == "redis://app:***@cache:1/3");
  CHECK(redacted_redis_url("redis://:hunter2@cache") == "redis://:***@cache");
  CHECK(redacted_redis_url("redis://cache:1") == "redis://cache:1");
  auto bad = parse_redis_url("redis://:hunter2@cache:99999");
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK_THAT(std::get<std::string>(bad), !Catch::Contains("hunter2"));
}

TEST_CASE("bus envelope: every field survives, the payload is the frame text byte for byte", "[redis]") {
  backend::BusEvent event;
  event.kind = backend::BusEvent::Kind::event;
  event.seq = 42;
  event.exclude_user = "u:1\n2";
  event.only_users = {"a", "", "b:c"};
  event.payload = std::make_shared<const std::string>("{\"type\":\"presence\",\"text\":\"1:2\\n\"}");
  auto decoded = decode_envelope(encode_envelope(event));
  REQUIRE(decoded);
  CHECK(decoded->kind == event.kind);
  CHECK(decoded->seq == 42);
  CHECK(decoded->exclude_user == event.exclude_user);
  CHECK(decoded->only_users == event.only_users);
  CHECK(*decoded->payload == *event.payload);

  // The header the append script writes for messages.
  auto message = decode_envelope("O1m2:170:1:0{\"type\":\"message\"}");
  REQUIRE(message);
  CHECK(message->kind == backend::BusEvent::Kind::message);
  CHECK(message->seq == 17);
  CHECK(message->only_users.empty());
  CHECK(*message->payload == "{\"type\":\"message\"}");

  for (const char* bad : {"", "O1", "O1x1:1", "O1m", "O1m5:1", "O1m1:x0:1:0", "O1e1:10:1:5", "X1m1:10:1:0"}) {
    INFO(bad);
    CHECK_FALSE(decode_envelope(bad));
  }
}

}  // namespace redis_codec_test
}  // namespace outloud::redis
