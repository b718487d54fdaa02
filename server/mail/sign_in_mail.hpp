// The email that carries a sign-in link (access.md "Email link").
#pragma once

#include <chrono>
#include <string>

#include "server/mail/mailer.hpp"

namespace outloud::mail {

// To `email`, holding `<public_url>/#sign-in=<code>`, valid for `ttl`.
Mail sign_in_mail(std::string email, const std::string& public_url, const std::string& code, std::chrono::minutes ttl);

}  // namespace outloud::mail
