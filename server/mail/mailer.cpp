#include "server/mail/mailer.hpp"

#include <algorithm>
#include <cctype>

namespace outloud::mail {

bool is_valid_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  const auto local = address.substr(0, at), domain = address.substr(at + 1);
  const auto printable = [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != ',' && c != '(' && c != ')' &&
           c != '[' && c != ']' && c != '\\' && c != ';' && c != ':';
  };
  if (!std::all_of(local.begin(), local.end(), printable) || local.find('@') != std::string_view::npos) return false;
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(domain.begin(), domain.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

}  // namespace outloud::mail
