// JWT mode: the token says who the user is. The signature is checked with the configured key and
// algorithm only (a token naming another algorithm is refused, so a public key can never be used
// as an HMAC secret). Then the header (no `crit` extension: we understand none, RFC 7515 §4.1.11)
// and the claims: `exp` (required unless allowed otherwise) and `nbf` as numbers, `aud` and `iss`
// when configured, and sub, name, org under the same rules as `hello`'s fields.
#include "server/core/jwt_authenticator.hpp"

#include <jwt.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace outloud::core {

namespace {

backend::Error refused(std::string why) { return {protocol::ErrorCode::unauthenticated, std::move(why)}; }

// The token's header or claims as a JSON object (libjwt gives them as text); null if unreadable.
std::unique_ptr<rapidjson::Document> json_of(char* text) {
  std::unique_ptr<char, decltype(&std::free)> owned(text, &std::free);
  auto document = std::make_unique<rapidjson::Document>();
  if (!owned || document->Parse(owned.get()).HasParseError() || !document->IsObject()) return nullptr;
  return document;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

bool audience_matches(const rapidjson::Value& aud, const std::string& expected) {
  if (aud.IsString()) return expected == aud.GetString();
  if (!aud.IsArray()) return false;
  for (const auto& item : aud.GetArray()) {
    if (item.IsString() && expected == item.GetString()) return true;
  }
  return false;
}

std::optional<backend::Error> check_header(jwt_t* token) {
  auto header = json_of(jwt_get_headers_json(token, nullptr));
  if (!header) return refused("the token's header is not readable");
  if (member(*header, "crit") != nullptr) {
    return refused("the token names critical extensions ('crit') this server does not support");
  }
  return std::nullopt;
}

// exp, nbf, aud, iss; `now` in seconds since the epoch.
std::optional<backend::Error> check_registered_claims(const rapidjson::Value& claims, const JwtOptions& options,
                                                      double now) {
  const auto leeway = std::chrono::duration<double>(options.clock_leeway).count();
  const rapidjson::Value* exp = member(claims, "exp");
  if (exp == nullptr) {
    if (!options.allow_no_exp) return refused("the token has no 'exp' claim");
  } else if (!exp->IsNumber()) {
    return refused("the token's 'exp' claim is not a number");
  } else if (exp->GetDouble() + leeway < now) {
    return refused("the token has expired");
  }
  if (const rapidjson::Value* nbf = member(claims, "nbf")) {
    if (!nbf->IsNumber()) return refused("the token's 'nbf' claim is not a number");
    if (nbf->GetDouble() - leeway > now) return refused("the token is not valid yet");
  }
  if (const rapidjson::Value* iat = member(claims, "iat"); iat != nullptr && !iat->IsNumber()) {
    return refused("the token's 'iat' claim is not a number");
  }
  if (!options.audience.empty()) {
    const rapidjson::Value* aud = member(claims, "aud");
    if (aud == nullptr || !audience_matches(*aud, options.audience)) {
      return refused("the token is not meant for this server ('aud')");
    }
  }
  if (!options.issuer.empty()) {
    const rapidjson::Value* iss = member(claims, "iss");
    if (iss == nullptr || !iss->IsString() || options.issuer != iss->GetString()) {
      return refused("the token is not from the expected issuer ('iss')");
    }
  }
  return std::nullopt;
}

std::optional<std::string> string_claim(const rapidjson::Value& claims, const char* name) {
  const rapidjson::Value* value = member(claims, name);
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return std::string(value->GetString(), value->GetStringLength());
}

}  // namespace

backend::Result<Authenticator> jwt_authenticator(JwtOptions options) {
  const jwt_alg_t alg = jwt_str_alg(options.algorithm.c_str());
  if (alg == JWT_ALG_INVAL || alg == JWT_ALG_NONE) {
    return backend::Error{protocol::ErrorCode::bad_request, "unsupported JWT algorithm '" + options.algorithm + "'"};
  }
  if (options.key.empty()) return backend::Error{protocol::ErrorCode::bad_request, "the JWT key is empty"};
  auto shared = std::make_shared<const JwtOptions>(std::move(options));
  return Authenticator([shared, alg](const protocol::Hello& hello) -> backend::Result<protocol::User> {
    const JwtOptions& options = *shared;
    if (!hello.token) return refused("this server requires a token: say hello with \"token\"");
    jwt_t* raw = nullptr;
    const int status = jwt_decode(&raw, hello.token->c_str(), reinterpret_cast<const unsigned char*>(options.key.data()),
                                  static_cast<int>(options.key.size()));
    std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
    if (status != 0 || !token) return refused("the token is not valid");
    if (jwt_get_alg(token.get()) != alg) return refused("the token is not signed with the expected algorithm");
    if (auto error = check_header(token.get())) return *error;
    auto claims = json_of(jwt_get_grants_json(token.get(), nullptr));
    if (!claims) return refused("the token's claims are not readable");
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (auto error = check_registered_claims(*claims, options, now)) return *error;
    auto sub = string_claim(*claims, "sub");
    auto name = string_claim(*claims, "name");
    auto org = string_claim(*claims, "org");
    if (!sub || !protocol::is_valid_user_id(*sub)) {
      return refused("the token has no usable 'sub' claim (1 to 128 characters, no control characters)");
    }
    if (!name || !protocol::is_valid_user_name(*name)) {
      return refused("the token has no usable 'name' claim (1 to 80 characters, not blank, no control characters)");
    }
    if (!org || !protocol::is_valid_slug(*org)) return refused("the token's 'org' claim is not an organisation id");
    return protocol::User{*sub, *name, *org};
  });
}

backend::Result<Authenticator> jwt_authenticator(std::string key, const std::string& algorithm) {
  JwtOptions options;
  options.key = std::move(key);
  options.algorithm = algorithm;
  return jwt_authenticator(std::move(options));
}

}  // namespace outloud::core
