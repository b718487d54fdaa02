#include "server/accounts/validation.hpp"

#include "outloud/protocol/types.hpp"

namespace outloud::accounts {

namespace {

bool is_valid_text(std::string_view text, std::size_t max_chars) {
  if (text.empty() || !protocol::is_valid_utf8(text)) return false;
  const auto length = protocol::utf8_length(text);
  if (length < 1 || length > max_chars) return false;
  bool visible = false;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return false;
    if (c != ' ') visible = true;
  }
  return visible;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

bool is_valid_display_name(std::string_view name) { return is_valid_text(name, 80); }
bool is_valid_org_name(std::string_view name) { return is_valid_text(name, 200); }

std::optional<std::string> normalize_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return std::nullopt;
  std::string out = lower(domain);
  std::size_t labels = 0;
  std::size_t start = 0;
  while (start <= out.size()) {
    auto end = out.find('.', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view label(out.data() + start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
    }
    ++labels;
    start = end + 1;
  }
  if (labels < 2) return std::nullopt;
  return out;
}

std::optional<std::string> normalize_email(std::string_view email) {
  if (email.size() > 254) return std::nullopt;
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || email.find('@') != at) return std::nullopt;
  const auto local = email.substr(0, at);
  for (unsigned char c : local) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',') return std::nullopt;
  }
  auto domain = normalize_domain(email.substr(at + 1));
  if (!domain) return std::nullopt;
  return lower(local) + "@" + *domain;
}

std::string email_domain(std::string_view email) {
  const auto at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(email.substr(at + 1));
}

}  // namespace outloud::accounts
