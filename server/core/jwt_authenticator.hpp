// JWT mode's settings (--auth jwt and the --jwt-* flags).
#pragma once

#include <string>

#include "server/core/hub.hpp"
#include "server/limits/limits.hpp"

namespace outloud::core {

// The settings of JWT mode; its limits (limits::Jwt, with their defaults) are members through the base.
struct JwtOptions : limits::Jwt {
  std::string key;                 // HMAC secret or PEM public key
  std::string algorithm = "HS256";
  std::string audience;            // non-empty: the token's `aud` must name it
  std::string issuer;              // non-empty: the token's `iss` must be it
  bool allow_no_exp = false;       // false: a token without `exp` is refused (it would never expire)
};

// Error if the algorithm or key is unusable.
backend::Result<Authenticator> jwt_authenticator(JwtOptions options);

}  // namespace outloud::core
