// The accounts service's checks of what people type: display names, organisation names, emails and
// email domains. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace outloud::accounts {

// 1..80 characters of valid UTF-8 with something other than spaces, and no control characters.
bool is_valid_display_name(std::string_view name);
// 1..200 characters, same rules.
bool is_valid_org_name(std::string_view name);
// Lower-cased `name@domain` if it looks like an email address (<= 254 bytes, one @, a valid domain).
std::optional<std::string> normalize_email(std::string_view email);
// Lower-cased domain if valid: labels of [a-z0-9-], not starting or ending with '-', at least two
// labels, <= 253 bytes.
std::optional<std::string> normalize_domain(std::string_view domain);
// The part after the last '@' of a normalized email.
std::string email_domain(std::string_view email);

}  // namespace outloud::accounts
