// The sign-in email as it goes over SMTP: one-line headers (no injection through a subject or an
// address), CRLF lines, and the addresses the HTTP layer accepts.
#include <catch2/catch.hpp>

#include "server/mail/mailer.hpp"
#include "server/mail/smtp_mailer.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace mail_format_test {

using namespace outloud::mail;

TEST_CASE("format_message: headers, CRLF body, no header injection", "[mail]") {
  const Mail mail{"ann@example.org", "Sign in\r\nBcc: victim@example.net", "Hello\nhttp://x/#sign-in=abc\n"};
  const std::string text = format_message(mail, "outloud@chat.example.org");
  CHECK(text.find("From: OutLoud <outloud@chat.example.org>\r\n") != std::string::npos);
  CHECK(text.find("To: <ann@example.org>\r\n") != std::string::npos);
  CHECK(text.find("\r\nBcc:") == std::string::npos);
  CHECK(text.find("Subject: Sign in  Bcc: victim@example.net\r\n") != std::string::npos);
  CHECK(text.find("Message-ID: <") != std::string::npos);
  CHECK(text.find("\r\n\r\nHello\r\nhttp://x/#sign-in=abc\r\n") != std::string::npos);
}

TEST_CASE("is_valid_address", "[mail]") {
  for (const char* good : {"ann@example.org", "a.b+tag@mail.example.co.uk", "x@localhost"}) {
    CAPTURE(good);
    CHECK(is_valid_address(good));
  }
  for (const char* bad : {"", "ann", "@example.org", "ann@", "ann@.org", "ann@example..org", "a b@example.org",
                          "ann@exa mple.org", "ann@example.org\r\nRCPT TO:<x@y>", "<ann@example.org>",
                          "ann@example.org,bob@example.org", "a@b@example.org", "ann@exa_mple.org"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_address(bad));
  }
}

}  // namespace mail_format_test
