#include <catch2/catch.hpp>

#include <jwt.h>

#include <chrono>
#include <memory>

#include "server/core/jwt_authenticator.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace jwt_authenticator_test {

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

namespace {

const std::string kSecret = "s3cret-key-for-tests";

long now_s() {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// A token signed with kSecret (HS256) whose claims and extra header fields are the given JSON.
std::string token_of(const std::string& claims_json, const std::string& headers_json = "{}") {
  jwt_t* raw = nullptr;
  jwt_new(&raw);
  std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
  REQUIRE(jwt_add_grants_json(raw, claims_json.c_str()) == 0);
  REQUIRE(jwt_add_headers_json(raw, headers_json.c_str()) == 0);
  jwt_set_alg(raw, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(kSecret.data()),
              static_cast<int>(kSecret.size()));
  char* encoded = jwt_encode_str(raw);
  std::string out = encoded ? encoded : "";
  free(encoded);
  return out;
}

// The usual claims with `extra` (a JSON object's members, leading comma) appended.
std::string claims(const std::string& sub, const std::string& name, const std::string& org, const std::string& extra) {
  return R"({"sub":)" + sub + R"(,"name":)" + name + R"(,"org":)" + org + extra + "}";
}

std::string valid_claims(const std::string& extra = "") {
  return claims(R"("user-42")", R"("Priya Shah")", R"("nhs-mse")", R"(,"exp":)" + std::to_string(now_s() + 600) + extra);
}

outloud::core::Authenticator make(outloud::core::JwtOptions options = {}) {
  options.key = kSecret;
  return outloud::core::jwt_authenticator(std::move(options)).value();
}

// The refusal's message, or "" if the token was accepted.
std::string refusal(const outloud::core::Authenticator& authenticate, const std::string& token) {
  auto user = authenticate(hello_with(token));
  if (user) return "";
  CHECK(user.error().code == outloud::protocol::ErrorCode::unauthenticated);
  return user.error().message;
}

}  // namespace

TEST_CASE("jwt: exp is required unless --jwt-allow-no-exp", "[jwt]") {
  const std::string no_exp = token_of(claims(R"("user-42")", R"("Priya Shah")", R"("nhs-mse")", ""));
  CHECK_THAT(refusal(make(), no_exp), Catch::Contains("no 'exp'"));
  outloud::core::JwtOptions lenient;
  lenient.allow_no_exp = true;
  CHECK(refusal(make(lenient), no_exp).empty());
  CHECK(refusal(make(), token_of(valid_claims())).empty());
}

TEST_CASE("jwt: exp, nbf and iat must be numbers", "[jwt]") {
  const auto authenticate = make();
  const std::string later = std::to_string(now_s() + 600);
  CHECK_THAT(refusal(authenticate, token_of(claims(R"("u")", R"("N")", R"("o")", R"(,"exp":")" + later + "\""))),
             Catch::Contains("'exp' claim is not a number"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(R"(,"nbf":"0")"))), Catch::Contains("'nbf' claim is not a number"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(R"(,"nbf":)" + later))), Catch::Contains("not valid yet"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(R"(,"iat":true)"))), Catch::Contains("'iat'"));
  CHECK(refusal(authenticate, token_of(valid_claims(R"(,"nbf":0,"iat":1.5)"))).empty());
}

TEST_CASE("jwt: aud and iss are checked when configured", "[jwt]") {
  outloud::core::JwtOptions options;
  options.audience = "outloud.example.org";
  options.issuer = "https://idp.example.org";
  const auto authenticate = make(options);
  const std::string good_iss = R"(,"iss":"https://idp.example.org")";
  CHECK(refusal(authenticate, token_of(valid_claims(R"(,"aud":"outloud.example.org")" + good_iss))).empty());
  CHECK(refusal(authenticate, token_of(valid_claims(R"(,"aud":["other","outloud.example.org"])" + good_iss))).empty());
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(R"(,"aud":"other")" + good_iss))), Catch::Contains("'aud'"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(good_iss))), Catch::Contains("'aud'"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(R"(,"aud":["other"])" + good_iss))), Catch::Contains("'aud'"));
  const std::string good_aud = R"(,"aud":"outloud.example.org")";
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(good_aud))), Catch::Contains("'iss'"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(good_aud + R"(,"iss":"https://evil.example")"))),
             Catch::Contains("'iss'"));
  CHECK_THAT(refusal(authenticate, token_of(valid_claims(good_aud + R"(,"iss":7)"))), Catch::Contains("'iss'"));
  // Not configured: not checked.
  CHECK(refusal(make(), token_of(valid_claims(R"(,"aud":"anyone","iss":"anybody")"))).empty());
}

TEST_CASE("jwt: a crit header is refused (RFC 7515 4.1.11)", "[jwt]") {
  CHECK_THAT(refusal(make(), token_of(valid_claims(), R"({"crit":["exp"],"exp":1})")), Catch::Contains("crit"));
  CHECK(refusal(make(), token_of(valid_claims(), R"({"kid":"key-1"})")).empty());
}

TEST_CASE("jwt: sub, name and org follow hello's rules", "[jwt]") {
  const auto authenticate = make();
  const std::string exp = R"(,"exp":)" + std::to_string(now_s() + 600);
  auto with = [&](const std::string& sub, const std::string& name, const std::string& org) {
    return refusal(authenticate, token_of(claims(sub, name, org, exp)));
  };
  CHECK(with(R"("u-1")", R"("Zoë O'Brien-Åberg")", R"("essex-cc")").empty());
  CHECK_THAT(with(R"("")", R"("Name")", R"("org")"), Catch::Contains("'sub'"));
  CHECK_THAT(with(R"("a\nb")", R"("Name")", R"("org")"), Catch::Contains("'sub'"));
  CHECK_THAT(with(R"(42)", R"("Name")", R"("org")"), Catch::Contains("'sub'"));
  CHECK_THAT(with("\"" + std::string(129, 'x') + "\"", R"("Name")", R"("org")"), Catch::Contains("'sub'"));
  CHECK_THAT(with(R"("u")", R"("Eve\nAdmin")", R"("org")"), Catch::Contains("'name'"));
  CHECK_THAT(with(R"("u")", R"("Eve\u0007")", R"("org")"), Catch::Contains("'name'"));
  CHECK_THAT(with(R"("u")", R"("   ")", R"("org")"), Catch::Contains("'name'"));
  CHECK_THAT(with(R"("u")", R"("\u200b\u00a0")", R"("org")"), Catch::Contains("'name'"));
  CHECK_THAT(with(R"("u")", R"("")", R"("org")"), Catch::Contains("'name'"));
  CHECK_THAT(with(R"("u")", "\"" + std::string(81, 'n') + "\"", R"("org")"), Catch::Contains("'name'"));
  CHECK(with(R"("u")", "\"" + std::string(80, 'n') + "\"", R"("org")").empty());
  CHECK_THAT(with(R"("u")", R"("Name")", R"("Essex CC")"), Catch::Contains("'org'"));
  CHECK_THAT(with(R"("u")", R"("Name")", R"("org\n")"), Catch::Contains("'org'"));
}

}  // namespace jwt_authenticator_test
