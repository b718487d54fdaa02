// Tokens and codes (accounts.md conventions): 32 random bytes from OpenSSL, base64url without
// padding (43 characters); stored and looked up only as the SHA-256 hex of the text.
#pragma once

#include <string>
#include <string_view>

namespace outloud::accounts {

// 43 characters of base64url carrying 256 random bits. Throws std::runtime_error if the random
// generator fails (never silently weaker).
std::string new_secret();
// 32 lower-case hex characters carrying 128 random bits: public ids of sessions and invitations.
std::string new_public_id();
// Lower-case hex of SHA-256(text): what the store keeps of a secret.
std::string secret_hash(std::string_view text);
// Constant-time equality (CRYPTO_memcmp) of two strings of equal length; false if lengths differ.
bool secrets_equal(std::string_view a, std::string_view b);

}  // namespace outloud::accounts
