// JWT mode: the token says who the user is. The signature is checked with the configured key and
// algorithm only (a token naming another algorithm is refused, so a public key can never be used
// as an HMAC secret), then `exp`/`nbf` and the claims OutLoud needs: sub, name, org.
#include <jwt.h>

#include <cerrno>
#include <chrono>
#include <memory>

#include "server/core/hub.hpp"

namespace outloud::core {

namespace {

constexpr long kClockLeewaySeconds = 30;

backend::Error refused(std::string why) { return {protocol::ErrorCode::unauthenticated, std::move(why)}; }

std::optional<std::string> claim(jwt_t* token, const char* name) {
  const char* value = jwt_get_grant(token, name);
  if (!value) return std::nullopt;
  return std::string(value);
}

}  // namespace

backend::Result<Authenticator> jwt_authenticator(std::string key, const std::string& algorithm) {
  const jwt_alg_t alg = jwt_str_alg(algorithm.c_str());
  if (alg == JWT_ALG_INVAL || alg == JWT_ALG_NONE) {
    return backend::Error{protocol::ErrorCode::bad_request, "unsupported JWT algorithm '" + algorithm + "'"};
  }
  if (key.empty()) return backend::Error{protocol::ErrorCode::bad_request, "the JWT key is empty"};
  auto shared_key = std::make_shared<const std::string>(std::move(key));
  return Authenticator([shared_key, alg](const protocol::Hello& hello) -> backend::Result<protocol::User> {
    if (!hello.token) return refused("this server requires a token: say hello with \"token\"");
    jwt_t* raw = nullptr;
    const int status = jwt_decode(&raw, hello.token->c_str(), reinterpret_cast<const unsigned char*>(shared_key->data()),
                                  static_cast<int>(shared_key->size()));
    std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
    if (status != 0 || !token) return refused("the token is not valid");
    if (jwt_get_alg(token.get()) != alg) return refused("the token is not signed with the expected algorithm");
    const long now = static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    errno = 0;
    if (const long exp = jwt_get_grant_int(token.get(), "exp"); errno == 0 && exp + kClockLeewaySeconds < now) {
      return refused("the token has expired");
    }
    errno = 0;
    if (const long nbf = jwt_get_grant_int(token.get(), "nbf"); errno == 0 && nbf - kClockLeewaySeconds > now) {
      return refused("the token is not valid yet");
    }
    auto sub = claim(token.get(), "sub");
    auto name = claim(token.get(), "name");
    auto org = claim(token.get(), "org");
    if (!sub || sub->empty() || sub->size() > 128) return refused("the token has no usable 'sub' claim");
    if (!name || name->empty() || !protocol::is_valid_utf8(*name) || protocol::utf8_length(*name) > 80) {
      return refused("the token has no usable 'name' claim (1 to 80 characters)");
    }
    if (!org || !protocol::is_valid_slug(*org)) return refused("the token's 'org' claim is not an organisation id");
    return protocol::User{*sub, *name, *org};
  });
}

}  // namespace outloud::core
