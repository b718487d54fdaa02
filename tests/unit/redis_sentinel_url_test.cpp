// --redis redis-sentinel://…: the sentinels, the master name, the database and the credentials.
#include <catch2/catch.hpp>

#include <variant>

#include "server/redis/redis_url.hpp"

namespace outloud::redis {
namespace redis_sentinel_url_test {

RedisTarget target_of(const char* url) {
  auto parsed = parse_redis_target(url);
  INFO(url << " -> " << (std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "ok"));
  REQUIRE(std::holds_alternative<RedisTarget>(parsed));
  return std::get<RedisTarget>(parsed);
}

TEST_CASE("sentinel url: every sentinel in order, the master name and the database", "[redis]") {
  auto target = target_of("redis-sentinel://10.0.0.1:26380,sentinel-b,[::1]:7001/outloud-master/4");
  REQUIRE(target.uses_sentinel());
  REQUIRE(target.sentinels.size() == 3);
  CHECK(target.sentinels[0].host == "10.0.0.1");
  CHECK(target.sentinels[0].port == 26380);
  CHECK(target.sentinels[1].host == "sentinel-b");
  CHECK(target.sentinels[1].port == 26379);  // the sentinel default
  CHECK(target.sentinels[2].host == "::1");
  CHECK(target.sentinels[2].port == 7001);
  CHECK(target.master_name == "outloud-master");
  CHECK(target.endpoint.db == 4);
  CHECK(target.endpoint.host.empty());  // the sentinels name it
  CHECK(target.endpoint.password.empty());

  auto single = target_of("redis-sentinel://127.0.0.1:5000/m");
  REQUIRE(single.sentinels.size() == 1);
  CHECK(single.master_name == "m");
  CHECK(single.endpoint.db == 0);
  auto trailing = target_of("redis-sentinel://127.0.0.1:5000/m/");
  CHECK(trailing.endpoint.db == 0);
}

TEST_CASE("sentinel url: credentials are for the master, decoded and never shown", "[redis]") {
  auto target = target_of("redis-sentinel://app:pa%3Ass@w@s1:1,s2:2/main/1");
  CHECK(target.endpoint.username == "app");
  CHECK(target.endpoint.password == "pa:ss@w");
  CHECK(target.sentinels.size() == 2);
  CHECK(target.master_name == "main");
  CHECK(target.endpoint.db == 1);
  CHECK(target_of("redis-sentinel://:hunter2@s1/main").endpoint.password == "hunter2");
  CHECK(redacted_redis_url("redis-sentinel://app:hunter2@s1:1,s2:2/main") == "redis-sentinel://app:***@s1:1,s2:2/main");
  auto bad = parse_redis_target("redis-sentinel://:hunter2@s1:99999/main");
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK_THAT(std::get<std::string>(bad), !Catch::Contains("hunter2"));
}

TEST_CASE("sentinel url: mistakes are explained", "[redis]") {
  for (const char* bad : {"redis-sentinel://", "redis-sentinel://s1:1", "redis-sentinel://s1:1/", "redis-sentinel://s1:1//2",
                          "redis-sentinel://s1:1,/m", "redis-sentinel://,s1/m", "redis-sentinel://s1:0/m",
                          "redis-sentinel://s1:1,s2:x/m", "redis-sentinel://s1/m/x", "redis-sentinel://user@s1/m",
                          "redis-sentinel://[::1/m", "sentinel://s1/m",
                          "redis-sentinel://a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q/m"}) {
    INFO(bad);
    auto result = parse_redis_target(bad);
    REQUIRE(std::holds_alternative<std::string>(result));
    CHECK_THAT(std::get<std::string>(result), Catch::Contains("redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT]"));
  }
  // A plain redis:// URL is a direct target, and parse_redis_url refuses the sentinel form.
  auto direct = target_of("redis://cache:6380/2");
  CHECK(!direct.uses_sentinel());
  CHECK(direct.endpoint.host == "cache");
  CHECK(std::holds_alternative<std::string>(parse_redis_url("redis-sentinel://s1/m")));
}

}  // namespace redis_sentinel_url_test
}  // namespace outloud::redis
