// Open mode: anyone may say who they are; the same name and org always give the same user id.
#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "server/core/hub.hpp"

namespace outloud::core {

namespace {

std::string stable_user_id(const std::string& name, const std::string& org) {
  // SHA-256 over "org\nname": names may contain anything but a newline cannot end an org id.
  const std::string input = org + "\n" + name;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string id = "u_";
  char hex[3];
  for (unsigned int i = 0; i < 10 && i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    id += hex;
  }
  return id;
}

}  // namespace

Authenticator open_authenticator() {
  return [](const protocol::Hello& hello) -> backend::Result<protocol::User> {
    if (hello.token && !hello.name) {
      return backend::Error{protocol::ErrorCode::unauthenticated,
                            "this server runs in open mode: say hello with name and org"};
    }
    if (!hello.name || !hello.org) {
      return backend::Error{protocol::ErrorCode::bad_request, "hello needs name and org"};
    }
    return protocol::User{stable_user_id(*hello.name, *hello.org), *hello.name, *hello.org};
  };
}

}  // namespace outloud::core
