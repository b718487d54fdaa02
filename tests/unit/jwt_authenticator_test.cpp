#include <catch2/catch.hpp>

#include <jwt.h>

#include <chrono>
#include <memory>

#include "server/core/hub.hpp"

namespace {

std::string make_token(const std::string& secret, jwt_alg_t alg, long exp_offset_s, bool with_org = true) {
  jwt_t* raw = nullptr;
  jwt_new(&raw);
  std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
  jwt_add_grant(raw, "sub", "user-42");
  jwt_add_grant(raw, "name", "Priya Shah");
  if (with_org) jwt_add_grant(raw, "org", "nhs-mse");
  const long now = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  jwt_add_grant_int(raw, "exp", now + exp_offset_s);
  jwt_set_alg(raw, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  char* encoded = jwt_encode_str(raw);
  std::string out = encoded ? encoded : "";
  free(encoded);
  return out;
}

outloud::protocol::Hello hello_with(std::string token) {
  outloud::protocol::Hello hello;
  hello.token = std::move(token);
  return hello;
}

}  // namespace

TEST_CASE("jwt: a valid HS256 token gives the user of its claims", "[jwt]") {
  auto authenticator = outloud::core::jwt_authenticator("s3cret-key-for-tests", "HS256");
  REQUIRE(authenticator);
  auto user = authenticator.value()(hello_with(make_token("s3cret-key-for-tests", JWT_ALG_HS256, 600)));
  REQUIRE(user);
  CHECK(user.value().id == "user-42");
  CHECK(user.value().name == "Priya Shah");
  CHECK(user.value().org == "nhs-mse");
}

TEST_CASE("jwt: wrong key, expired, alg none, missing claims and no token are unauthenticated", "[jwt]") {
  auto authenticate = outloud::core::jwt_authenticator("s3cret-key-for-tests", "HS256").value();
  using outloud::protocol::ErrorCode;
  auto refused = [&](const outloud::protocol::Hello& hello) {
    auto user = authenticate(hello);
    return !user && user.error().code == ErrorCode::unauthenticated;
  };
  CHECK(refused(hello_with(make_token("another-key", JWT_ALG_HS256, 600))));
  CHECK(refused(hello_with(make_token("s3cret-key-for-tests", JWT_ALG_HS256, -3600))));
  CHECK(refused(hello_with(make_token("", JWT_ALG_NONE, 600))));
  CHECK(refused(hello_with(make_token("s3cret-key-for-tests", JWT_ALG_HS512, 600))));
  CHECK(refused(hello_with(make_token("s3cret-key-for-tests", JWT_ALG_HS256, 600, false))));
  CHECK(refused(hello_with("not.a.token")));
  outloud::protocol::Hello open_style;
  open_style.name = "Priya";
  open_style.org = "nhs-mse";
  CHECK(refused(open_style));
}

TEST_CASE("jwt: unusable settings are refused up front", "[jwt]") {
  CHECK_FALSE(outloud::core::jwt_authenticator("key", "none"));
  CHECK_FALSE(outloud::core::jwt_authenticator("key", "XX999"));
  CHECK_FALSE(outloud::core::jwt_authenticator("", "HS256"));
}
